/**
 * COSE_Sign1 for HCERT, written on node:crypto. No maintained npm COSE library is installed that keeps keys
 * as cached KeyObjects, accepts several candidate keys per kid and reports DER-vs-raw signatures distinctly;
 * COSE_Sign1 is ~100 lines over our strict CBOR (see docs/decisions/0004-codecs-base45-cbor-cose.md).
 * https://www.rfc-editor.org/rfc/rfc9052#section-4.2 · EU eHN HCERT spec §3
 */
import { constants, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { Tag } from 'cbor-x';
import { decodeCbor, encodeCbor, type CborScanLimits } from '../cbor.ts';
import { FormatError } from '../errors.ts';
import { verifyEs256 } from '../es256.ts';
import { keyFitsAlg, rawSign, type Signer } from '../signer.ts';
import { COSE_ALG, COSE_HEADER, COSE_SIGN1_TAG, coseAlgName, type CoseAlgName } from './claim-keys.ts';

/** A decoded COSE_Sign1 with the bytes needed to re-create the Sig_structure. */
export interface CoseSign1 {
  tagged: boolean;
  protectedBytes: Uint8Array;
  protectedHeader: ReadonlyMap<unknown, unknown>;
  unprotectedHeader: ReadonlyMap<unknown, unknown>;
  payload: Uint8Array;
  signature: Uint8Array;
  /** `alg` from the protected header, when present. */
  alg: unknown;
  /** Effective kid: protected header wins over unprotected (EU HCERT spec §3.3.1). */
  kid: Uint8Array | undefined;
  kidSource: 'protected' | 'unprotected' | undefined;
}

/** What signs in-process: a private key, its algorithm and the kid written to the protected header. */
export interface CoseSigner {
  privateKey: KeyObject;
  alg: CoseAlgName;
  kid: Uint8Array;
}

/** What signs through the signing seam (a local key, an HSM, a KMS): the Signer and the kid it signs under. */
export interface CoseSignerRef {
  signer: Signer;
  kid: Uint8Array;
}

/** A public key that may have made a signature; `ref` carries whatever the caller needs back (e.g. the DSC). */
export interface CandidateKey {
  publicKey: KeyObject;
  ref?: unknown;
}

/** Returns every key whose kid matches (kids are short hashes: several may collide). */
export type KeyLookup = (kid: Uint8Array | undefined, issuerCountry?: string) => Promise<readonly CandidateKey[]>;

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * Parse the COSE_Sign1 structure (tag 18 optional, as EU test data has untagged ones).
 * Throws CBOR_* on malformed CBOR and COSE_INVALID on a wrong shape.
 * @example decodeCoseSign1(coseBytes, { maxDepth: 32, maxItems: 50000 }).kid
 * @see https://www.rfc-editor.org/rfc/rfc9052#section-4.2
 */
export function decodeCoseSign1(bytes: Uint8Array, limits: CborScanLimits): CoseSign1 {
  return coseFromValue(decodeCbor(bytes, limits), limits);
}

/**
 * Second half of decodeCoseSign1, for callers that already decoded the CBOR (step-wise verification).
 * @example coseFromValue(decodeCbor(bytes, limits), limits)
 */
export function coseFromValue(value: unknown, limits: CborScanLimits): CoseSign1 {
  let tagged = false;
  if (value instanceof Tag) {
    if (value.tag !== COSE_SIGN1_TAG)
      throw new FormatError('COSE_INVALID', `COSE: tag ${value.tag} is not COSE_Sign1 (18)`);
    tagged = true;
    value = value.value;
  }
  if (!Array.isArray(value) || value.length !== 4)
    throw new FormatError('COSE_INVALID', 'COSE: a COSE_Sign1 is an array of four items');
  const [protectedBytes, unprotected, payload, signature] = value as unknown[];
  if (!isBytes(protectedBytes) || !isBytes(payload) || !isBytes(signature)) {
    throw new FormatError('COSE_INVALID', 'COSE: protected header, payload and signature must be byte strings');
  }
  if (!(unprotected instanceof Map))
    throw new FormatError('COSE_INVALID', 'COSE: the unprotected header must be a map');
  const protectedHeader = protectedBytes.length === 0 ? new Map() : decodeCbor(protectedBytes, limits);
  if (!(protectedHeader instanceof Map))
    throw new FormatError('COSE_INVALID', 'COSE: the protected header is not a CBOR map');
  checkCoseCrit(protectedHeader, unprotected);
  const pKid = protectedHeader.get(COSE_HEADER.kid);
  const uKid = unprotected.get(COSE_HEADER.kid);
  if ((pKid !== undefined && !isBytes(pKid)) || (uKid !== undefined && !isBytes(uKid))) {
    throw new FormatError('COSE_INVALID', 'COSE: kid (4) must be a byte string');
  }
  return {
    tagged,
    protectedBytes,
    protectedHeader,
    unprotectedHeader: unprotected,
    payload,
    signature,
    alg: protectedHeader.get(COSE_HEADER.alg),
    kid: pKid ?? uKid,
    kidSource: pKid !== undefined ? 'protected' : uKid !== undefined ? 'unprotected' : undefined,
  };
}

/** COSE header labels this verifier understands (alg, kid); `crit` may name only these (RFC 9052 §3.1). */
const UNDERSTOOD_LABELS = new Set<unknown>([1, 4]);
const CRIT_LABEL = 2;

/**
 * RFC 9052 §3.1: `crit` (label 2) sits in the protected header, is a non-empty array of labels present in that
 * header, and a recipient that does not understand one of them must reject the message.
 * @example checkCoseCrit(new Map([[1, -7]]), new Map()) // no throw
 */
export function checkCoseCrit(
  protectedHeader: ReadonlyMap<unknown, unknown>,
  unprotected: ReadonlyMap<unknown, unknown>,
): void {
  if (unprotected.has(CRIT_LABEL))
    throw new FormatError('COSE_INVALID', 'COSE: crit (2) must be in the protected header (RFC 9052 §3.1)');
  if (!protectedHeader.has(CRIT_LABEL)) return;
  const crit = protectedHeader.get(CRIT_LABEL);
  const isLabel = (l: unknown): boolean => (typeof l === 'number' && Number.isInteger(l)) || typeof l === 'string';
  if (!Array.isArray(crit) || crit.length === 0 || !crit.every((l) => isLabel(l) && protectedHeader.has(l))) {
    throw new FormatError(
      'COSE_INVALID',
      'COSE: crit (2) must be a non-empty array of labels present in the protected header (RFC 9052 §3.1)',
    );
  }
  const unknown = crit.filter((l) => !UNDERSTOOD_LABELS.has(l));
  if (unknown.length > 0)
    throw new FormatError(
      'CRIT_UNSUPPORTED',
      `COSE: the protected header marks label(s) ${unknown.map((l) => JSON.stringify(l)).join(', ')} critical; this verifier does not understand them (RFC 9052 §3.1)`,
    );
}

/** Writes the CBOR head of a byte string of `length` bytes (RFC 8949 §3.1, major type 2); returns the new offset. */
function writeBstrHead(out: Uint8Array, at: number, length: number): number {
  if (length < 24) {
    out[at] = 0x40 | length;
    return at + 1;
  }
  if (length < 0x100) {
    out.set([0x58, length], at);
    return at + 2;
  }
  if (length < 0x10000) {
    out.set([0x59, length >> 8, length & 0xff], at);
    return at + 3;
  }
  out.set([0x5a, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff], at);
  return at + 5;
}

/** Concatenate CBOR pieces: numbers are byte-string lengths to write as heads, arrays are copied as they are. */
function writeCbor(parts: readonly (Uint8Array | number)[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += typeof part === 'number' ? 5 : part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    if (typeof part === 'number') at = writeBstrHead(out, at, part);
    else {
      out.set(part, at);
      at += part.length;
    }
  }
  return out.subarray(0, at);
}

/** array(4) head, text "Signature1"; external_aad = h'' goes between protected and payload. */
const SIG_STRUCTURE_PREFIX = Uint8Array.of(0x84, 0x6a, ...new TextEncoder().encode('Signature1'));
const EMPTY_BSTR = Uint8Array.of(0x40);
/** tag 18 + array(4) head, and the empty unprotected map. */
const COSE_ENVELOPE_PREFIX = Uint8Array.of(0xc0 | COSE_SIGN1_TAG, 0x84);
const EMPTY_MAP = Uint8Array.of(0xa0);

/**
 * Sig_structure = ["Signature1", body_protected, external_aad = h'', payload] (RFC 9052 §4.4), written directly:
 * its shape is fixed, and this runs on every sign and verify.
 */
function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return writeCbor([SIG_STRUCTURE_PREFIX, protectedBytes.length, protectedBytes, EMPTY_BSTR, payload.length, payload]);
}

function toBeSigned(payload: Uint8Array, alg: CoseAlgName, kid: Uint8Array) {
  const protectedBytes = encodeCbor(
    new Map<number, unknown>([
      [COSE_HEADER.alg, COSE_ALG[alg]],
      [COSE_HEADER.kid, kid],
    ]),
  );
  return { protectedBytes, data: sigStructure(protectedBytes, payload) };
}

function envelope(protectedBytes: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return writeCbor([
    COSE_ENVELOPE_PREFIX,
    protectedBytes.length,
    protectedBytes,
    EMPTY_MAP,
    payload.length,
    payload,
    signature.length,
    signature,
  ]);
}

/**
 * Sign a payload as a tagged COSE_Sign1 with `alg` and `kid` in the protected header, with an in-process key.
 * @example signCoseSign1(encodeCwtClaims(claims), { privateKey, alg: 'ES256', kid: kidFromCertificate(der) })
 * @see https://www.rfc-editor.org/rfc/rfc9052#section-4.4
 */
export function signCoseSign1(payload: Uint8Array, signer: CoseSigner): Uint8Array {
  const { protectedBytes, data } = toBeSigned(payload, signer.alg, signer.kid);
  return envelope(protectedBytes, payload, rawSign(signer.alg, data, signer.privateKey));
}

/**
 * Same as signCoseSign1, through the signing seam (`Signer`): what the server's issuance uses.
 * @example await signCoseSign1With(encodeCwtClaims(claims), { signer: keyObjectSigner(key), kid })
 * @see https://www.rfc-editor.org/rfc/rfc9052#section-4.4
 */
export async function signCoseSign1With(payload: Uint8Array, ref: CoseSignerRef): Promise<Uint8Array> {
  const { protectedBytes, data } = toBeSigned(payload, ref.signer.alg, ref.kid);
  const signature = await ref.signer.sign(data);
  // A remote signer is outside our control: a wrong-length ES256 signature would make an unverifiable credential.
  if (ref.signer.alg === 'ES256' && signature.length !== 64)
    throw new FormatError('KEY_INVALID', `The signer returned ${signature.length} bytes for ES256 (raw r||s is 64)`);
  return envelope(protectedBytes, payload, signature);
}

export { keyFitsAlg };

/** A DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s } with consistent lengths. */
function looksLikeDerEcdsa(sig: Uint8Array): boolean {
  if (sig.length < 8 || sig.length > 72 || sig[0] !== 0x30 || sig[1] !== sig.length - 2 || sig[2] !== 0x02)
    return false;
  const rLength = sig[3]!;
  const sAt = 4 + rLength;
  return sig[sAt] === 0x02 && sAt + 2 + sig[sAt + 1]! === sig.length;
}

export interface SignatureCheckOptions {
  /** Allowed algorithms (default ES256 and PS256). */
  allowedAlgs?: readonly CoseAlgName[];
  issuerCountry?: string;
}

/**
 * Checks alg against the allow-list; returns the algorithm name. Throws ALG_NOT_ALLOWED.
 * @example checkCoseAlg(sign1, ['ES256']) // 'ES256'
 */
export function checkCoseAlg(sign1: CoseSign1, allowedAlgs: readonly CoseAlgName[]): CoseAlgName {
  const name = coseAlgName(sign1.alg);
  if (sign1.alg === undefined) throw new FormatError('ALG_NOT_ALLOWED', 'COSE: the protected header has no alg (1)');
  if (name === undefined || !allowedAlgs.includes(name)) {
    throw new FormatError(
      'ALG_NOT_ALLOWED',
      `COSE: algorithm ${String(sign1.alg)} is not allowed (allowed: ${allowedAlgs.join(', ')})`,
    );
  }
  return name;
}

/** ES256 signatures are raw r||s (64 bytes); a DER one gets its own code so the issuer learns the cause. */
function checkSignatureEncoding(alg: CoseAlgName, signature: Uint8Array): void {
  if (alg !== 'ES256' || signature.length === 64) return;
  if (looksLikeDerEcdsa(signature)) {
    throw new FormatError(
      'SIGNATURE_ENCODING',
      'COSE: the ES256 signature is DER-encoded; COSE requires the raw 64-byte r||s form',
    );
  }
  throw new FormatError('COSE_BAD_SIGNATURE', `COSE: an ES256 signature has 64 bytes, this one ${signature.length}`);
}

function verifyWith(alg: CoseAlgName, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  if (alg === 'ES256') return verifyEs256(data, key, signature);
  return nodeVerify(
    'sha256',
    data,
    { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
    signature,
  );
}

/**
 * Verify the signature of a decoded COSE_Sign1 against the candidates the lookup returns, in turn.
 * Resolves with the key that verified; rejects with ALG_NOT_ALLOWED, SIGNATURE_ENCODING, KID_UNKNOWN,
 * KEY_INVALID (no candidate of the right type) or COSE_BAD_SIGNATURE.
 * @example await verifyCoseSignature(sign1, async (kid) => trustList.byKid(kid))
 * @see https://www.rfc-editor.org/rfc/rfc9052#section-4.4
 */
export async function verifyCoseSignature(
  sign1: CoseSign1,
  lookup: KeyLookup,
  options: SignatureCheckOptions = {},
): Promise<CandidateKey> {
  const alg = checkCoseAlg(sign1, options.allowedAlgs ?? ['ES256', 'PS256']);
  const candidates = await lookup(sign1.kid, options.issuerCountry);
  if (candidates.length === 0) {
    const kid = sign1.kid === undefined ? 'no kid' : `kid ${Buffer.from(sign1.kid).toString('base64')}`;
    throw new FormatError('KID_UNKNOWN', `COSE: no key is known for ${kid}`);
  }
  const fitting = candidates.filter((candidate) => keyFitsAlg(alg, candidate.publicKey));
  if (fitting.length === 0) {
    const kinds = [
      ...new Set(candidates.map((c) => c.publicKey.asymmetricKeyDetails?.namedCurve ?? c.publicKey.asymmetricKeyType)),
    ].join(', ');
    throw new FormatError(
      'KEY_INVALID',
      `COSE: ${alg} needs ${alg === 'ES256' ? 'an EC P-256' : 'an RSA'} key; the candidate keys are ${kinds}`,
    );
  }
  checkSignatureEncoding(alg, sign1.signature);
  const data = sigStructure(sign1.protectedBytes, sign1.payload);
  for (const candidate of fitting) {
    if (verifyWith(alg, data, candidate.publicKey, sign1.signature)) return candidate;
  }
  throw new FormatError(
    'COSE_BAD_SIGNATURE',
    `COSE: the signature does not verify with any of the ${fitting.length} candidate keys`,
  );
}
