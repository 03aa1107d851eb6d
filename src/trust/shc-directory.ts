/**
 * SMART Health Card issuer keys: JWKS per issuer, or a whole directory in the VCI-directory snapshot shape
 * (`{ issuerInfo: [{ issuer: { iss, name }, keys: [jwk…] }] }`, the-commons-project/vci-directory).
 * The SHC kid is the RFC 7638 JWK thumbprint (https://spec.smarthealth.cards/#generating-and-resolving-cryptographic-keys);
 * keys whose published kid differs are refused.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { TrustError } from './errors.ts';

export interface ShcKey {
  readonly iss: string;
  readonly kid: string;
  readonly jwk: JWK;
  readonly publicKey: KeyObject;
  readonly source: 'directory' | 'self';
}

export interface ShcIssuer {
  readonly iss: string;
  readonly name: string | undefined;
  readonly keys: readonly ShcKey[];
}

export interface ShcDirectory {
  readonly issuers: ShcIssuer[];
  /** Keys left out, with the reason. */
  readonly problems: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turns one issuer's JWKS into checked keys: EC P-256, kid = thumbprint, public only. */
export async function shcIssuerFromJwks(
  iss: string,
  jwks: unknown,
  options: { name?: string; source?: ShcKey['source'] } = {},
): Promise<{ issuer: ShcIssuer; problems: string[] }> {
  const problems: string[] = [];
  const keys: ShcKey[] = [];
  const list = isObject(jwks) && Array.isArray(jwks.keys) ? jwks.keys : [];
  const base = iss.replace(/\/+$/, '');
  for (const [i, k] of list.entries()) {
    const where = `${base} key ${i}`;
    if (!isObject(k) || k.kty !== 'EC' || k.crv !== 'P-256' || typeof k.x !== 'string' || typeof k.y !== 'string') {
      problems.push(`${where}: not an EC P-256 public key`);
      continue;
    }
    if ('d' in k) {
      problems.push(`${where}: contains private key material`);
      continue;
    }
    const jwk = k as JWK;
    const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    if (jwk.kid !== thumbprint) {
      problems.push(`${where}: kid ${String(jwk.kid)} is not the JWK thumbprint ${thumbprint}`);
      continue;
    }
    keys.push({
      iss: base,
      kid: thumbprint,
      jwk,
      publicKey: createPublicKey({ key: jwk as never, format: 'jwk' }),
      source: options.source ?? 'directory',
    });
  }
  return { issuer: { iss: base, name: options.name, keys }, problems };
}

/** Reads a VCI-directory snapshot. Throws TrustError SHC_DIRECTORY_MALFORMED when the shape is wrong. */
export async function parseShcDirectory(json: unknown): Promise<ShcDirectory> {
  if (!isObject(json) || !Array.isArray(json.issuerInfo)) {
    throw new TrustError('SHC_DIRECTORY_MALFORMED', 'SHC directory must be an object with an issuerInfo array');
  }
  const issuers: ShcIssuer[] = [];
  const problems: string[] = [];
  for (const [i, info] of json.issuerInfo.entries()) {
    const issuer = isObject(info) && isObject(info.issuer) ? info.issuer : undefined;
    if (!issuer || typeof issuer.iss !== 'string') {
      problems.push(`issuerInfo ${i}: no issuer.iss`);
      continue;
    }
    const name = typeof issuer.name === 'string' ? issuer.name : undefined;
    const read = await shcIssuerFromJwks(issuer.iss, { keys: (info as Record<string, unknown>).keys }, { name });
    issuers.push(read.issuer);
    problems.push(...read.problems);
  }
  return { issuers, problems };
}

/** Reads a VCI-directory snapshot file (e.g. `SHC_DIRECTORY_FILE`). Throws FILE_UNREADABLE or SHC_DIRECTORY_MALFORMED. */
export async function readShcDirectoryFile(path: string): Promise<ShcDirectory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new TrustError(
      'FILE_UNREADABLE',
      `SHC directory file cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TrustError('SHC_DIRECTORY_MALFORMED', `SHC directory is not JSON: ${(e as Error).message}`);
  }
  return parseShcDirectory(json);
}
