/**
 * Our own signing keys: a CSCA certificate, one or more DSC certificates with their PKCS#8 keys, and an
 * optional SHC key. Everything is checked at start-up and every problem is reported at once.
 * Rotation: the newest DSC valid at signing time signs; every DSC still valid verifies.
 * HCERT DSC rules: https://github.com/ehn-dcc-development/eu-dcc-hcert-spec/blob/main/hcert_spec.md §5.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { keyObjectSigner, type Signer } from '../formats/signer.ts';
import { TrustError } from './errors.ts';
import {
  checkAnchor,
  checkCriticalExtensions,
  checkIssuedBy,
  checkKeyStrength,
  checkSigningUsage,
  checkValidity,
  hcertKidBytes,
  readCertificate,
  type CertificateFacts,
} from './x509.ts';

const OWN_KEYS = { minRsaBits: 3072, curves: ['P-256'] };

export interface IssuerDsc {
  readonly certificate: CertificateFacts;
  /** The signing seam: every HCERT/VHL signature is asked of it (a local key today; an HSM or KMS can stand in). */
  readonly signer: Signer;
  /** HCERT kid, standard base64. */
  readonly kid: string;
  readonly kidBytes: Uint8Array;
  readonly alg: 'ES256' | 'PS256';
}

export interface IssuerShcKey {
  /** The signing seam for SMART Health Cards (see IssuerDsc.signer). */
  readonly signer: Signer;
  /** Public JWK with `kid` (RFC 7638 thumbprint), `use: "sig"`, `alg: "ES256"`, and `x5c` when there is a certificate. */
  readonly publicJwk: JWK;
  readonly kid: string;
  readonly certificate: CertificateFacts | undefined;
}

export interface IssuerKeySet {
  /** ISO 3166-1 alpha-2 of the CSCA. */
  readonly country: string;
  readonly csca: CertificateFacts;
  /** DSCs not expired at load time (valid or not yet valid), newest (latest notBefore) first. */
  readonly dscs: readonly IssuerDsc[];
  /** The DSC that signs at load time; use `signerAt` in long-running processes. */
  readonly signer: IssuerDsc;
  readonly shc: IssuerShcKey | undefined;
  /** Retired SHC keys: published so the cards they signed keep verifying, never used to sign. */
  readonly shcRetired: readonly RetiredShcKey[];
  /** Non-fatal findings, e.g. an expired DSC that was left out. */
  readonly warnings: readonly string[];
}

export interface RetiredShcKey {
  /** Public JWK with its own `kid` (RFC 7638 thumbprint), `use: "sig"`, `alg: "ES256"`. */
  readonly publicJwk: JWK;
  readonly kid: string;
  /** End of publication when the retired key came with a certificate. */
  readonly notAfter: Date | undefined;
}

export interface IssuerKeyPem {
  cscaCertPem: string;
  /**
   * Each DSC with its private key as PEM, or with a `signer` that holds the key elsewhere (HSM, KMS: the signing
   * seam, docs/decisions/0049). The signer's public key must be the certificate's.
   */
  dscs: readonly { certPem: string; keyPem?: string; signer?: Signer; label?: string }[];
  shcKeyPem?: string;
  /** The SHC key behind the signing seam, instead of `shcKeyPem`. */
  shcSigner?: Signer;
  /** Retired SHC keys as PEM (certificate, public or private key; only the public part is kept). */
  shcRetiredPems?: readonly { pem: string; label?: string }[];
  shcCertPem?: string;
  now: Date;
}

export interface LoadIssuerKeysOptions {
  cscaCertPath: string;
  dscCertPaths: readonly string[];
  dscKeyPaths: readonly string[];
  shcKeyPath?: string;
  shcCertPath?: string;
  shcRetiredPaths?: readonly string[];
  now: Date;
}

async function readText(path: string, problems: string[]): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    problems.push(`${path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return '';
  }
}

/**
 * Loads and validates the issuer key files. Throws TrustError ISSUER_KEYS_INVALID listing every problem.
 * @see https://smart.who.int/trust/concepts_certificate_governance.html
 */
export async function loadIssuerKeys(options: LoadIssuerKeysOptions): Promise<IssuerKeySet> {
  const problems: string[] = [];
  if (options.dscCertPaths.length !== options.dscKeyPaths.length || options.dscCertPaths.length === 0) {
    problems.push(
      `need one key file per DSC certificate (got ${options.dscCertPaths.length} certificates, ${options.dscKeyPaths.length} keys)`,
    );
  }
  const cscaCertPem = await readText(options.cscaCertPath, problems);
  const dscs = [];
  for (const [i, certPath] of options.dscCertPaths.entries()) {
    const keyPath = options.dscKeyPaths[i];
    dscs.push({
      certPem: await readText(certPath, problems),
      keyPem: keyPath ? await readText(keyPath, problems) : '',
      label: certPath,
    });
  }
  const shcKeyPem = options.shcKeyPath ? await readText(options.shcKeyPath, problems) : undefined;
  const shcCertPem = options.shcCertPath ? await readText(options.shcCertPath, problems) : undefined;
  const shcRetiredPems = [];
  for (const path of options.shcRetiredPaths ?? [])
    shcRetiredPems.push({ pem: await readText(path, problems), label: path });
  if (problems.length > 0) throw invalid(problems);
  return issuerKeysFromPem({ cscaCertPem, dscs, shcKeyPem, shcCertPem, shcRetiredPems, now: options.now });
}

function invalid(problems: string[]): TrustError {
  return new TrustError('ISSUER_KEYS_INVALID', `Issuer keys are not usable: ${problems.join('; ')}`, problems);
}

function tryCert(pem: string, label: string, problems: string[]): CertificateFacts | undefined {
  try {
    return readCertificate(pem);
  } catch (e) {
    problems.push(`${label}: ${(e as Error).message}`);
    return undefined;
  }
}

function tryKey(pem: string, label: string, problems: string[]): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    problems.push(`${label}: private key cannot be read (${(e as Error).message})`);
    return undefined;
  }
}

function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}

function localSigner(pem: string, label: string, problems: string[]): Signer | undefined {
  const key = tryKey(pem, label, problems);
  if (!key) return undefined;
  try {
    return keyObjectSigner(key);
  } catch (e) {
    problems.push(`${label}: ${(e as Error).message}`);
    return undefined;
  }
}

interface DscCheck {
  dsc?: IssuerDsc;
  warning?: string;
}

function checkDsc(
  csca: CertificateFacts,
  input: IssuerKeyPem['dscs'][number],
  now: Date,
  problems: string[],
): DscCheck {
  const label = input.label ?? 'DSC';
  const cert = tryCert(input.certPem, label, problems);
  const signer = input.signer ?? localSigner(input.keyPem ?? '', `${label} key`, problems);
  if (!cert || !signer) return {};
  const own = [
    ...checkIssuedBy(cert, csca).map((p) => `not signed by the CSCA: ${p.message}`),
    ...checkKeyStrength(cert, OWN_KEYS).map((p) => p.message),
    ...checkSigningUsage(cert).map((p) => p.message),
    ...checkCriticalExtensions(cert).map((p) => p.message),
  ];
  if (!samePublicKey(signer.publicKey, cert.publicKey)) own.push('private key does not belong to the certificate');
  if (cert.country !== csca.country)
    own.push(`country ${cert.country ?? 'none'} differs from the CSCA country ${csca.country ?? 'none'}`);
  const validity = checkValidity(cert, now);
  problems.push(...own.map((m) => `${label}: ${m}`));
  if (own.length > 0) return {};
  // An expired DSC is left out; a not-yet-valid one is kept so that a pre-provisioned successor takes over on time.
  if (validity[0]?.code === 'expired') return { warning: `${label}: ${validity[0].message}, not used` };
  const kidBytes = hcertKidBytes(cert.der);
  const warning = validity[0] ? `${label}: ${validity[0].message}, will sign from then` : undefined;
  return { warning, dsc: { certificate: cert, signer, kid: cert.kid, kidBytes, alg: signer.alg } };
}

async function checkShc(
  input: IssuerKeyPem,
  csca: CertificateFacts,
  problems: string[],
): Promise<IssuerShcKey | undefined> {
  if (!input.shcKeyPem && !input.shcSigner) return undefined;
  const signer = input.shcSigner ?? localSigner(input.shcKeyPem!, 'SHC key', problems);
  if (!signer) return undefined;
  const key = signer.publicKey;
  if (signer.alg !== 'ES256' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    problems.push('SHC key: must be EC P-256 (ES256)');
    return undefined;
  }
  const cert = input.shcCertPem ? tryCert(input.shcCertPem, 'SHC certificate', problems) : undefined;
  if (cert && !samePublicKey(key, cert.publicKey)) problems.push('SHC certificate: does not match the SHC key');
  if (cert)
    problems.push(...checkIssuedBy(cert, csca).map((p) => `SHC certificate: not signed by the CSCA: ${p.message}`));
  const { kty, crv, x, y } = key.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty, crv, x, y } as JWK, 'sha256');
  const publicJwk: JWK = {
    kty,
    crv,
    x,
    y,
    kid,
    use: 'sig',
    alg: 'ES256',
    ...(cert ? { x5c: [cert.der.toString('base64'), csca.der.toString('base64')] } : {}),
  };
  return { signer, publicJwk, kid, certificate: cert };
}

async function shcJwk(key: KeyObject): Promise<JWK> {
  const { kty, crv, x, y } = key.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty, crv, x, y } as JWK, 'sha256');
  return { kty, crv, x, y, kid, use: 'sig', alg: 'ES256' };
}

/** The public part of a PEM certificate, public key or private key, with the certificate's end when there is one. */
function retiredPublicKey(pem: string): { key: KeyObject; notAfter?: Date } {
  if (pem.includes('BEGIN CERTIFICATE')) {
    const cert = readCertificate(pem);
    return { key: cert.publicKey, notAfter: cert.notAfter };
  }
  return { key: createPublicKey(pem) };
}

/**
 * Retired SHC keys (rotation): each must be EC P-256 and not the active key. One whose certificate has expired is
 * dropped with a warning — every card it signed has expired too, since a card cannot outlive its key's certificate.
 */
async function retiredShcKeys(
  input: IssuerKeyPem,
  activeKid: string | undefined,
  problems: string[],
  warnings: string[],
): Promise<RetiredShcKey[]> {
  const out: RetiredShcKey[] = [];
  for (const [i, { pem, label = `retired SHC key ${i + 1}` }] of (input.shcRetiredPems ?? []).entries()) {
    let parsed;
    try {
      parsed = retiredPublicKey(pem);
    } catch (e) {
      problems.push(`${label}: cannot be read (${(e as Error).message})`);
      continue;
    }
    if (parsed.key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      problems.push(`${label}: must be EC P-256 (ES256)`);
      continue;
    }
    const publicJwk = await shcJwk(parsed.key);
    if (publicJwk.kid === activeKid) problems.push(`${label}: is the active SHC key, not a retired one`);
    else if (parsed.notAfter && parsed.notAfter < input.now)
      warnings.push(`${label}: certificate expired at ${parsed.notAfter.toISOString()}, no longer published`);
    else out.push({ publicJwk, kid: publicJwk.kid!, notAfter: parsed.notAfter });
  }
  return out;
}

/** Same checks as `loadIssuerKeys`, from PEM text (tests, or keys held in a secret store). */
export async function issuerKeysFromPem(input: IssuerKeyPem): Promise<IssuerKeySet> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const csca = tryCert(input.cscaCertPem, 'CSCA', problems);
  if (!csca) throw invalid(problems);
  problems.push(...[...checkAnchor(csca), ...checkCriticalExtensions(csca)].map((p) => `CSCA: ${p.message}`));
  problems.push(...checkValidity(csca, input.now).map((p) => `CSCA: ${p.message}`));
  const valid: IssuerDsc[] = [];
  for (const d of input.dscs) {
    const r = checkDsc(csca, d, input.now, problems);
    if (r.dsc) valid.push(r.dsc);
    if (r.warning) warnings.push(r.warning);
  }
  const dscs = valid.sort((a, b) => b.certificate.notBefore.getTime() - a.certificate.notBefore.getTime());
  const signer = dscs.find((d) => checkValidity(d.certificate, input.now).length === 0);
  if (!signer && problems.length === 0) problems.push(`no DSC is valid at ${input.now.toISOString()}`);
  const shc = await checkShc(input, csca, problems);
  const shcRetired = await retiredShcKeys(input, shc?.kid, problems, warnings);
  if (problems.length > 0) throw invalid(problems);
  return { country: csca.country ?? '', csca, dscs, signer: signer!, shc, shcRetired, warnings };
}

/** The DSC that signs at `at`: the newest one within its validity period. */
export function signerAt(keys: IssuerKeySet, at: Date): IssuerDsc | undefined {
  return keys.dscs.find((d) => checkValidity(d.certificate, at).length === 0);
}

/** Every DSC that still verifies at `at`. */
export function verifiersAt(keys: IssuerKeySet, at: Date): IssuerDsc[] {
  return keys.dscs.filter((d) => checkValidity(d.certificate, at).length === 0);
}
