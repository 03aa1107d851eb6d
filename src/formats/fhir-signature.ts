/**
 * `Bundle.signature` for FHIR documents we author ($summary): a detached JWS (RFC 7515 Appendix F) over the JSON
 * canonical form of the Bundle, as FHIR R4 describes a JSON signature (Signature.sigFormat `application/jose`,
 * Signature.data the JWS bytes). The canonical form is RFC 8785 (JCS) of the Bundle without `signature`, `id` and
 * `meta` — the parts FHIR's document canonicalisation leaves out, because a server may assign them on storage.
 * The JWS header carries `kid` and `x5c` (the signing certificate), so a receiver who trusts our CSCA can check the
 * chain as for an HCERT. https://hl7.org/fhir/R4/signatures.html · https://hl7.org/fhir/R4/datatypes.html#Signature
 */
import { constants, verify as nodeVerify, X509Certificate } from 'node:crypto';
import canonicalize from 'canonicalize';
import { p1363ToDer } from './es256.ts';
import { FormatError } from './errors.ts';
import type { Signer } from './signer.ts';

/** ASTM E1762-95 "Author's Signature": the author of the document signs it. */
export const AUTHOR_SIGNATURE_TYPE = {
  system: 'urn:iso-astm:E1762-95:2013',
  code: '1.2.840.10065.1.12.1.1',
  display: "Author's Signature",
} as const;

export interface DocumentSignatureInput {
  signer: Signer;
  kid: string;
  /** The signing certificate, DER. */
  certificateDer: Uint8Array;
  /** Reference to the signer inside the document (the author Organization entry's fullUrl). */
  who: string;
  when: Date;
}

/** Any Bundle-shaped object (formats stay free of the FHIR type package). */
type SignableBundle = object;

const b64url = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

/** The bytes a document signature covers: JCS of the Bundle without signature, id and meta. */
export function documentSigningInput(bundle: SignableBundle): Buffer {
  const { signature: _s, id: _i, meta: _m, ...rest } = bundle as Record<string, unknown>;
  return Buffer.from(canonicalize(rest) as string, 'utf8');
}

/**
 * The Bundle with a `signature` added (the input is not changed).
 * @example const signed = await signDocument(bundle, { signer, kid, certificateDer, who: 'urn:uuid:…', when: now }) // signed.signature.sigFormat === 'application/jose'
 */
/** The R4 Signature this module writes. */
export interface DocumentSignature {
  type: { system: string; code: string; display: string }[];
  when: string;
  who: { reference: string };
  sigFormat: 'application/jose';
  /** base64 of the compact detached JWS. */
  data: string;
}

export async function signDocument<T extends SignableBundle>(
  bundle: T,
  input: DocumentSignatureInput,
): Promise<T & { signature: DocumentSignature }> {
  const header = b64url(
    JSON.stringify({
      alg: input.signer.alg,
      kid: input.kid,
      x5c: [Buffer.from(input.certificateDer).toString('base64')],
    }),
  );
  const payload = b64url(documentSigningInput(bundle));
  const signature = await input.signer.sign(Buffer.from(`${header}.${payload}`, 'ascii'));
  const jws = `${header}..${b64url(signature)}`;
  return {
    ...bundle,
    signature: {
      type: [{ ...AUTHOR_SIGNATURE_TYPE }],
      when: input.when.toISOString(),
      who: { reference: input.who },
      sigFormat: 'application/jose',
      data: Buffer.from(jws, 'ascii').toString('base64'),
    },
  };
}

export interface DocumentSignatureCheck {
  valid: boolean;
  kid: string;
  /** The certificate of the JWS header (DER); the caller decides whether it trusts it. */
  certificateDer: Buffer;
}

/**
 * Checks a document signature made by `signDocument` against the certificate its header names. Throws FormatError
 * (JWS_INVALID) when the signature is not a detached JWS we can read.
 * @example verifyDocumentSignature(signed).valid // true
 */
export function verifyDocumentSignature(bundle: SignableBundle): DocumentSignatureCheck {
  const sig = (bundle as { signature?: { sigFormat?: string; data?: string } }).signature;
  if (sig?.sigFormat !== 'application/jose' || typeof sig.data !== 'string')
    throw new FormatError('JWS_INVALID', 'Bundle.signature is not a JOSE signature');
  const [header, payload, value, ...more] = Buffer.from(sig.data, 'base64').toString('ascii').split('.');
  if (header === undefined || payload !== '' || value === undefined || more.length > 0)
    throw new FormatError('JWS_INVALID', 'Bundle.signature.data is not a detached compact JWS');
  let parsed: { alg?: string; kid?: string; x5c?: string[] };
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    throw new FormatError('JWS_INVALID', 'The JWS header is not JSON');
  }
  if ((parsed.alg !== 'ES256' && parsed.alg !== 'PS256') || typeof parsed.x5c?.[0] !== 'string')
    throw new FormatError('JWS_INVALID', 'The JWS header needs alg ES256 or PS256 and x5c');
  const certificateDer = Buffer.from(parsed.x5c[0], 'base64');
  let key: X509Certificate['publicKey'];
  try {
    key = new X509Certificate(certificateDer).publicKey;
  } catch {
    throw new FormatError('JWS_INVALID', 'The x5c certificate cannot be read');
  }
  // The certificate's key must be of the kind alg names: OpenSSL throws (not "false") for, e.g., an Ed25519 key
  // asked to check a SHA-256 signature, and a hostile x5c must never become a 500.
  const kind = key.asymmetricKeyType;
  const fits =
    parsed.alg === 'ES256'
      ? kind === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      : kind === 'rsa' || kind === 'rsa-pss';
  if (!fits) throw new FormatError('JWS_INVALID', `The x5c certificate's key (${kind}) does not fit alg ${parsed.alg}`);
  const input = Buffer.from(`${header}.${b64url(documentSigningInput(bundle))}`, 'ascii');
  const raw = Buffer.from(value, 'base64url');
  let valid: boolean;
  try {
    valid =
      parsed.alg === 'ES256'
        ? raw.length === 64 && nodeVerify('sha256', input, key, p1363ToDer(raw))
        : nodeVerify('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, raw);
  } catch {
    valid = false;
  }
  return { valid, kid: parsed.kid ?? '', certificateDer };
}
