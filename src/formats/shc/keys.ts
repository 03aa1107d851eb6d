/**
 * SHC issuer keys: kid = RFC 7638 SHA-256 thumbprint; JWKS import into a ready lookup (keys imported once).
 * https://spec.smarthealth.cards/#determining-keys-associated-with-an-issuer · https://www.rfc-editor.org/rfc/rfc7638
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { FormatError } from '../errors.ts';
import { isJsonObject } from '../json.ts';
import type { ShcCandidateKey, ShcKeyLookup } from './jws.ts';

/**
 * The SHC kid of a public JWK.
 * @example await shcKidFromJwk({ kty: 'EC', crv: 'P-256', x, y }) // '3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s'
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3
 */
export async function shcKidFromJwk(jwk: JWK): Promise<string> {
  try {
    return await calculateJwkThumbprint(jwk, 'sha256');
  } catch (cause) {
    throw new FormatError(
      'KEY_INVALID',
      `SHC: cannot compute the thumbprint of this JWK (${(cause as Error).message})`,
      { cause },
    );
  }
}

async function importIssuerKey(jwk: unknown): Promise<[string, ShcCandidateKey]> {
  if (!isJsonObject(jwk) || jwk.kty !== 'EC' || jwk.crv !== 'P-256')
    throw new FormatError('KEY_INVALID', 'SHC: issuer keys must be EC P-256 JWKs');
  if (jwk.alg !== undefined && jwk.alg !== 'ES256')
    throw new FormatError('KEY_INVALID', `SHC: issuer key alg ${String(jwk.alg)} is not ES256`);
  if ('d' in jwk)
    throw new FormatError('KEY_INVALID', 'SHC: a published issuer key must not contain the private part d');
  const thumbprint = await shcKidFromJwk(jwk as JWK);
  if (jwk.kid !== undefined && jwk.kid !== thumbprint)
    throw new FormatError(
      'KEY_INVALID',
      `SHC: kid ${String(jwk.kid)} is not the key's RFC 7638 thumbprint ${thumbprint}`,
    );
  try {
    const publicKey = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string },
      format: 'jwk',
    });
    return [thumbprint, { publicKey, ref: jwk }];
  } catch (cause) {
    throw new FormatError('KEY_INVALID', `SHC: the issuer JWK cannot be imported (${(cause as Error).message})`, {
      cause,
    });
  }
}

/**
 * Import a JWKS once and return a lookup over it, optionally bound to one issuer URL.
 * @example const lookup = await shcLookupFromJwks(jwks, 'https://spec.smarthealth.cards/examples/issuer')
 */
export async function shcLookupFromJwks(jwks: unknown, iss?: string): Promise<ShcKeyLookup> {
  if (!isJsonObject(jwks) || !Array.isArray(jwks.keys))
    throw new FormatError('KEY_INVALID', 'SHC: a JWKS is an object with a keys array');
  const byKid = new Map<string, ShcCandidateKey[]>();
  for (const [kid, candidate] of await Promise.all(jwks.keys.map(importIssuerKey))) {
    byKid.set(kid, [...(byKid.get(kid) ?? []), candidate]);
  }
  return async (kid, cardIss) => (iss !== undefined && cardIss !== iss ? [] : (byKid.get(kid) ?? []));
}

/**
 * The public JWK an SHC issuer publishes in `/.well-known/jwks.json`, with kid = RFC 7638 thumbprint.
 * @example { keys: [await shcPublicJwk(issuerKey.publicKey)] }
 * @see https://spec.smarthealth.cards/#determining-keys-associated-with-an-issuer
 */
export async function shcPublicJwk(publicKey: KeyObject): Promise<JWK> {
  if (
    publicKey.type !== 'public' ||
    publicKey.asymmetricKeyType !== 'ec' ||
    publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new FormatError('KEY_INVALID', 'SHC: issuer keys must be EC P-256 public keys');
  }
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const jwk = { kty: kty!, crv: crv!, x: x!, y: y! };
  return { ...jwk, kid: await shcKidFromJwk(jwk), use: 'sig', alg: 'ES256' };
}
