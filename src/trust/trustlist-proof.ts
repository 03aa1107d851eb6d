/**
 * Integrity of a GDHCN trust list: the DID document's `proof` checked against a configured trust anchor.
 *
 * Shape (https://smart.who.int/trust/concepts_did_gdhcn.html, W3C JsonWebSignature2020):
 * `proof: { type: "JsonWebSignature2020", created, nonce?, proofPurpose: "assertionMethod", verificationMethod, jws }`
 * where `jws` is a detached compact JWS (`<protected>..<signature>`). The signed payload is the RFC 8785 (JCS)
 * canonical form of the document with `proof.jws` removed (the other proof members, `created` among them, stay
 * signed so that a list cannot be re-dated). With `b64: false` in the protected header (RFC 7797) the canonical
 * bytes are signed as they are; otherwise their base64url form is, as in any JWS. Which key signed is decided by
 * the anchor alone: `proof.verificationMethod` is informative and never fetched.
 */
import { createPublicKey, X509Certificate, type KeyObject, type webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import { FlattenedSign, flattenedVerify } from 'jose';
import { TrustError } from './errors.ts';

export interface TrustAnchor {
  /** What the anchor is, for logs and status (certificate subject or JWK kid). */
  readonly description: string;
  readonly keys: readonly KeyObject[];
}

export interface ProofCheck {
  /** `proof.created`, the version used to refuse rollbacks. */
  readonly created: Date;
}

const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function anchorFromJwk(jwk: Record<string, unknown>): TrustAnchor[] {
  if (Array.isArray(jwk.keys)) return (jwk.keys as unknown[]).filter(isObject).flatMap(anchorFromJwk);
  if ('d' in jwk)
    throw new TrustError('KEY_UNPARSEABLE', 'TRUSTLIST_ANCHOR holds a private key; give the public key only');
  const key = createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
  return [{ description: `JWK ${typeof jwk.kid === 'string' ? jwk.kid : String(jwk.kty)}`, keys: [key] }];
}

function anchorFromCertificates(pem: string): TrustAnchor {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const certs = blocks.map((b) => new X509Certificate(b));
  return {
    description: certs.map((c) => c.subject.split('\n').join(', ')).join(' | '),
    keys: certs.map((c) => c.publicKey),
  };
}

/**
 * Reads TRUSTLIST_ANCHOR: inline PEM certificate(s), inline JWK / JWKS JSON, base64 DER certificate, or a path to
 * a file holding any of those. Throws TrustError KEY_UNPARSEABLE or FILE_UNREADABLE.
 * @example loadTrustAnchor('/etc/gdhcn/tng-trustlist-signer.pem').description // 'CN=TNG Trustlist Signer, …'
 */
export function loadTrustAnchor(value: string): TrustAnchor {
  let text = value.trim();
  const inline = text.startsWith('{') || text.startsWith('-----BEGIN') || /^MII[A-Za-z0-9+/=\s]+$/.test(text);
  if (!inline) {
    try {
      text = readFileSync(text, 'utf8').trim();
    } catch (e) {
      throw new TrustError(
        'FILE_UNREADABLE',
        `TRUSTLIST_ANCHOR file cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  try {
    if (text.startsWith('{')) {
      const anchors = anchorFromJwk(JSON.parse(text) as Record<string, unknown>);
      if (anchors.length === 0) throw new Error('no key in the JWKS');
      return { description: anchors.map((a) => a.description).join(' | '), keys: anchors.flatMap((a) => a.keys) };
    }
    if (text.startsWith('-----BEGIN CERTIFICATE')) return anchorFromCertificates(text);
    if (text.startsWith('-----BEGIN PUBLIC KEY')) return { description: 'public key', keys: [createPublicKey(text)] };
    const cert = new X509Certificate(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
    return { description: cert.subject.split('\n').join(', '), keys: [cert.publicKey] };
  } catch (e) {
    if (e instanceof TrustError) throw e;
    throw new TrustError(
      'KEY_UNPARSEABLE',
      `TRUSTLIST_ANCHOR is neither a certificate nor a public JWK: ${(e as Error).message}`,
    );
  }
}

const invalid = (message: string) => new TrustError('TRUSTLIST_PROOF_INVALID', message);

/** The bytes the proof signs: JCS of the document whose proof lacks `jws`. */
export function proofPayload(document: Record<string, unknown>): Uint8Array {
  const proof = isObject(document.proof) ? { ...document.proof } : {};
  delete proof.jws;
  const text = canonicalize({ ...document, proof });
  if (text === undefined) throw invalid('Trust list cannot be canonicalised');
  return new TextEncoder().encode(text);
}

function readProof(
  document: unknown,
  where: string,
): { proof: Record<string, unknown>; created: Date; header: string; signature: string } {
  if (!isObject(document) || !isObject(document.proof))
    throw new TrustError('TRUSTLIST_PROOF_MISSING', `${where} carries no proof`);
  const proof = document.proof;
  if (proof.type !== 'JsonWebSignature2020')
    throw invalid(`${where}: proof type ${JSON.stringify(proof.type)} is not JsonWebSignature2020`);
  const created = typeof proof.created === 'string' ? new Date(proof.created) : undefined;
  if (!created || Number.isNaN(created.getTime())) throw invalid(`${where}: proof.created is not a date`);
  const parts = typeof proof.jws === 'string' ? proof.jws.split('.') : [];
  if (parts.length !== 3 || parts[1] !== '' || !parts[0] || !parts[2])
    throw invalid(`${where}: proof.jws is not a detached compact JWS (<header>..<signature>)`);
  return { proof, created, header: parts[0], signature: parts[2] };
}

/**
 * Verifies the proof of one DID document against the anchor. Throws TrustError TRUSTLIST_PROOF_MISSING or
 * TRUSTLIST_PROOF_INVALID (malformed proof, unsupported algorithm, or no anchor key verifies the signature).
 * @example const { created } = await verifyTrustListProof(didDocument, loadTrustAnchor(process.env.TRUSTLIST_ANCHOR!))
 */
export async function verifyTrustListProof(
  document: unknown,
  anchor: TrustAnchor,
  where = 'Trust list',
): Promise<ProofCheck> {
  const { created, header, signature } = readProof(document, where);
  let protectedHeader: Record<string, unknown>;
  try {
    protectedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalid(`${where}: the JWS protected header is not JSON`);
  }
  const alg = protectedHeader.alg;
  if (typeof alg !== 'string' || !ALGORITHMS.includes(alg))
    throw invalid(`${where}: JWS algorithm ${JSON.stringify(alg)} is not accepted`);
  const canonical = proofPayload(document as Record<string, unknown>);
  const payload = protectedHeader.b64 === false ? canonical : Buffer.from(canonical).toString('base64url');
  for (const key of anchor.keys) {
    try {
      await flattenedVerify({ protected: header, payload, signature }, key, { algorithms: ALGORITHMS });
      return { created };
    } catch {
      // next anchor key
    }
  }
  throw invalid(`${where}: the proof signature does not verify with the trust anchor (${anchor.description})`);
}

/**
 * Signs a DID document the way `verifyTrustListProof` checks it (the gateway test double and our own
 * publication use it). `privateKey` is a node KeyObject or WebCrypto key; `alg` must match it.
 */
export async function signTrustList<T extends Record<string, unknown>>(
  document: T,
  privateKey: KeyObject | webcrypto.CryptoKey,
  options: { alg?: string; created: Date; verificationMethod: string; kid?: string },
): Promise<T & { proof: Record<string, unknown> }> {
  const proof = {
    type: 'JsonWebSignature2020',
    created: options.created.toISOString(),
    proofPurpose: 'assertionMethod',
    verificationMethod: options.verificationMethod,
  };
  const unsigned = { ...document, proof };
  const header = {
    alg: options.alg ?? 'ES256',
    b64: false,
    crit: ['b64'],
    ...(options.kid ? { kid: options.kid } : {}),
  };
  const jws = await new FlattenedSign(proofPayload(unsigned)).setProtectedHeader(header).sign(privateKey);
  return { ...unsigned, proof: { ...proof, jws: `${jws.protected}..${jws.signature}` } };
}
