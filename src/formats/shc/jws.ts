/**
 * SMART Health Cards as compact JWS: header {zip:"DEF", alg:"ES256", kid}, payload = raw DEFLATE of minified JSON.
 * The ES256 JWS signature itself (RFC 7515 §5, RFC 7518 §3.4: raw r||s over `header.payload`) is made and checked
 * with node:crypto on cached KeyObjects (es256.ts: the bare KeyObject, r||s converted by us): jose goes through
 * WebCrypto, whose async thread-pool hop per signature cost a third of the throughput
 * (docs/decisions/0004-codecs-base45-cbor-cose.md). jose remains the reference: tests cross-verify both ways. https://spec.smarthealth.cards/#health-cards-are-encoded-as-compact-serialization-json-web-signatures-jws
 */
import { assertClock } from '../clock.ts';
import type { KeyObject } from 'node:crypto';
import { deflate, inflate } from '../deflate.ts';
import { FormatError } from '../errors.ts';
import { isHttpsOrLoopback } from '../loopback.ts';
import { signEs256, verifyEs256 } from '../es256.ts';
import type { Signer } from '../signer.ts';
import { decodeBase64Url, encodeBase64Url, isJsonObject, parseJson } from '../json.ts';
import { resolveLimits, type CodecLimits } from '../limits.ts';
import { StepRecorder, type StepResult } from '../steps.ts';

export const SHC_HEALTH_CARD_TYPE = 'https://smarthealth.cards#health-card';

/** The JWS payload of a SMART Health Card. */
export interface ShcPayload {
  iss: string;
  nbf: number;
  exp?: number;
  vc: {
    type: string[];
    credentialSubject: { fhirVersion: string; fhirBundle: Record<string, unknown> };
    rid?: string;
  };
}

export interface ShcHeader {
  alg: 'ES256';
  zip: 'DEF';
  kid: string;
}

/**
 * What signs a card: an in-process EC P-256 key (keep the KeyObject: importing per call costs more than the
 * signature) or a `Signer` from the signing seam (HSM, KMS), with the RFC 7638 thumbprint as `kid`.
 */
export type ShcSigner = { privateKey: KeyObject; kid: string } | { signer: Signer; kid: string };

export interface ShcCandidateKey {
  /** EC P-256 public key. */
  publicKey: KeyObject;
  ref?: unknown;
}

/** Keys for a kid from an issuer (`iss`); may return several. */
export type ShcKeyLookup = (kid: string, iss: string) => Promise<readonly ShcCandidateKey[]>;

/**
 * Sign a SMART Health Card.
 * @example const jws = await signShc(payload, { privateKey, kid: await shcKidFromJwk(publicJwk) })
 * @see https://spec.smarthealth.cards/#health-cards-are-encoded-as-compact-serialization-json-web-signatures-jws
 */
export async function signShc(payload: ShcPayload, signer: ShcSigner): Promise<string> {
  const fits = 'signer' in signer ? signer.signer.alg === 'ES256' : isP256(signer.privateKey);
  if (!fits) throw new FormatError('KEY_INVALID', 'SHC: ES256 needs an EC P-256 private key');
  const header = encodeBase64Url(
    new TextEncoder().encode(JSON.stringify({ zip: 'DEF', alg: 'ES256', kid: signer.kid })),
  );
  const body = encodeBase64Url(deflate(new TextEncoder().encode(JSON.stringify(payload)), 'raw'));
  const signingInput = `${header}.${body}`;
  const bytes = Buffer.from(signingInput, 'latin1');
  const signature = 'signer' in signer ? await signer.signer.sign(bytes) : signEs256(bytes, signer.privateKey);
  if (signature.length !== 64)
    throw new FormatError('KEY_INVALID', `The signer returned ${signature.length} bytes for ES256 (raw r||s is 64)`);
  return `${signingInput}.${encodeBase64Url(signature)}`;
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

export interface DecodedShc {
  header: ShcHeader;
  payload: ShcPayload;
}

interface JwsParts {
  header: ShcHeader;
  body: Uint8Array;
  signingInput: string;
  signature: Uint8Array;
}

function parseParts(jws: string, limits: CodecLimits): JwsParts {
  if (typeof jws !== 'string' || jws.length === 0)
    throw new FormatError('INPUT_INVALID', 'SHC: the JWS is empty or not text');
  if (jws.length > limits.maxInputChars)
    throw new FormatError(
      'INPUT_TOO_LARGE',
      `SHC: the JWS has ${jws.length} characters, above the cap of ${limits.maxInputChars}`,
    );
  const parts = jws.trim().split('.');
  if (parts.length !== 3)
    throw new FormatError('JWS_INVALID', `SHC: a compact JWS has 3 parts, this one ${parts.length}`);
  const header = parseJson(decodeBase64Url(parts[0]!, 'SHC JWS header'), limits, 'SHC JWS header');
  if (!isJsonObject(header)) throw new FormatError('JWS_INVALID', 'SHC: the JWS header is not a JSON object');
  checkJoseCrit(header);
  if (header.alg !== 'ES256')
    throw new FormatError(
      'ALG_NOT_ALLOWED',
      `SHC: algorithm ${JSON.stringify(header.alg)} is not allowed (allowed: ES256)`,
    );
  if (header.zip !== 'DEF') throw new FormatError('JWS_INVALID', 'SHC: the JWS header must carry zip "DEF"');
  if (typeof header.kid !== 'string' || header.kid.length === 0)
    throw new FormatError('JWS_INVALID', 'SHC: the JWS header has no kid');
  return {
    header: header as unknown as ShcHeader,
    body: decodeBase64Url(parts[1]!, 'SHC JWS payload'),
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: decodeBase64Url(parts[2]!, 'SHC JWS signature'),
  };
}

/** Shape check of the decoded payload (spec §"Health Card payload"). */
function asShcPayload(value: unknown): ShcPayload {
  if (!isJsonObject(value)) throw new FormatError('SHC_INVALID', 'SHC: the payload is not a JSON object');
  if (typeof value.iss !== 'string' || !isHttpsOrLoopback(value.iss) || value.iss.endsWith('/')) {
    throw new FormatError('SHC_INVALID', 'SHC: iss must be an https URL without a trailing slash');
  }
  if (typeof value.nbf !== 'number') throw new FormatError('SHC_INVALID', 'SHC: nbf must be a NumericDate');
  if (value.exp !== undefined && typeof value.exp !== 'number')
    throw new FormatError('SHC_INVALID', 'SHC: exp must be a NumericDate');
  const vc = value.vc;
  if (!isJsonObject(vc) || !Array.isArray(vc.type) || !vc.type.includes(SHC_HEALTH_CARD_TYPE)) {
    throw new FormatError('SHC_INVALID', `SHC: vc.type must include ${SHC_HEALTH_CARD_TYPE}`);
  }
  const subject = vc.credentialSubject;
  if (
    !isJsonObject(subject) ||
    typeof subject.fhirVersion !== 'string' ||
    !isJsonObject(subject.fhirBundle) ||
    subject.fhirBundle.resourceType !== 'Bundle'
  ) {
    throw new FormatError(
      'SHC_INVALID',
      'SHC: vc.credentialSubject needs fhirVersion and a fhirBundle of resourceType Bundle',
    );
  }
  return value as unknown as ShcPayload;
}

/**
 * Decode a SMART Health Card without verifying it (header checks, capped inflate, payload shape).
 * @example decodeShc(jws).payload.vc.credentialSubject.fhirBundle
 */
export function decodeShc(jws: string, limits: Partial<CodecLimits> = {}): DecodedShc {
  const resolved = resolveLimits(limits);
  const { header, body } = parseParts(jws, resolved);
  const json = parseJson(inflate(body, 'raw', resolved.maxInflatedBytes), resolved, 'SHC payload');
  return { header, payload: asShcPayload(json) };
}

export type ShcStep = 'jws' | 'decompress' | 'json' | 'signature' | 'notExpired' | 'notBefore';

export interface ShcVerdict {
  valid: boolean;
  steps: StepResult<ShcStep>[];
  error?: FormatError;
  header?: ShcHeader;
  payload?: ShcPayload;
  key?: ShcCandidateKey;
}

export interface ShcVerifyOptions {
  validationTime: Date;
  limits?: Partial<CodecLimits>;
  clockToleranceSeconds?: number;
}

async function verifySignature(parts: JwsParts, iss: string, lookup: ShcKeyLookup): Promise<ShcCandidateKey> {
  const candidates = await lookup(parts.header.kid, iss);
  if (candidates.length === 0)
    throw new FormatError('KID_UNKNOWN', `SHC: no key is known for kid ${parts.header.kid} of ${iss}`);
  const fitting = candidates.filter((c) => isP256(c.publicKey));
  if (fitting.length === 0)
    throw new FormatError(
      'KEY_INVALID',
      `SHC: ES256 needs an EC P-256 key; none of the ${candidates.length} candidates is one`,
    );
  if (parts.signature.length !== 64) {
    if (parts.signature[0] === 0x30)
      throw new FormatError(
        'SIGNATURE_ENCODING',
        'SHC: the ES256 signature is DER-encoded; JWS requires the raw 64-byte r||s form',
      );
    throw new FormatError(
      'JWS_BAD_SIGNATURE',
      `SHC: an ES256 signature has 64 bytes, this one ${parts.signature.length}`,
    );
  }
  const data = Buffer.from(parts.signingInput, 'latin1');
  for (const candidate of fitting) {
    if (verifyEs256(data, candidate.publicKey, parts.signature)) return candidate;
  }
  throw new FormatError(
    'JWS_BAD_SIGNATURE',
    `SHC: the signature does not verify with any of the ${fitting.length} candidate keys`,
  );
}

function checkTimes(rec: StepRecorder<ShcStep>, payload: ShcPayload, options: ShcVerifyOptions): void {
  const now = options.validationTime.getTime() / 1000;
  const iso = (t: number): string => new Date(t * 1000).toISOString();
  rec.run('notExpired', () => {
    assertClock(options.validationTime);
    if (payload.exp !== undefined && now > payload.exp)
      throw new FormatError('SHC_EXPIRED', `SHC: the card expired at ${iso(payload.exp)}`);
  });
  rec.run('notBefore', () => {
    assertClock(options.validationTime);
    if (now + (options.clockToleranceSeconds ?? 0) < payload.nbf)
      throw new FormatError('SHC_NOT_YET_VALID', `SHC: the card is not valid before ${iso(payload.nbf)}`);
  });
}

/**
 * Verify a SMART Health Card: decode step by step, then the ES256 signature with the issuer's candidate keys,
 * then exp/nbf at `validationTime` (no age limit: old cards stay valid unless they carry exp).
 * @example const verdict = await verifyShc(jws, lookupFromJwks, { validationTime: new Date() })
 * @see https://spec.smarthealth.cards/#validating-health-cards
 */
export async function verifyShc(jws: string, lookup: ShcKeyLookup, options: ShcVerifyOptions): Promise<ShcVerdict> {
  const rec = new StepRecorder<ShcStep>();
  const limits = resolveLimits(options.limits);
  const verdict: ShcVerdict = { valid: false, steps: rec.steps };
  const parts = rec.run('jws', () => parseParts(jws, limits));
  const inflated = parts && rec.run('decompress', () => inflate(parts.body, 'raw', limits.maxInflatedBytes));
  const payload = inflated && rec.run('json', () => asShcPayload(parseJson(inflated, limits, 'SHC payload')));
  if (parts === undefined || payload === undefined) {
    rec.skip(
      ...(['decompress', 'json', 'signature', 'notExpired', 'notBefore'] as const).filter(
        (s) => !rec.steps.some((r) => r.step === s),
      ),
    );
  } else {
    verdict.header = parts.header;
    verdict.payload = payload;
    const key = await rec.runAsync('signature', () => verifySignature(parts, payload.iss, lookup));
    if (key !== undefined) verdict.key = key;
    checkTimes(rec, payload, options);
  }
  if (rec.error !== undefined) verdict.error = rec.error;
  verdict.valid = rec.error === undefined;
  return verdict;
}

/**
 * RFC 7515 §4.1.11: `crit` lists extension header parameters the recipient must understand, or reject the JWS. A
 * SMART Health Card verifier understands no extension, so any `crit` is refused — a malformed one (not a non-empty
 * array of strings naming parameters present in the header) as JWS_INVALID, a well-formed one as CRIT_UNSUPPORTED.
 * @example checkJoseCrit({ alg: 'ES256', zip: 'DEF', kid: 'k' }) // no throw
 */
export function checkJoseCrit(header: Record<string, unknown>): void {
  if (!('crit' in header)) return;
  const crit = header.crit;
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    !crit.every((c) => typeof c === 'string' && c.length > 0 && c in header)
  ) {
    throw new FormatError(
      'JWS_INVALID',
      'SHC: the JWS header crit must be a non-empty array naming header parameters present in the header (RFC 7515 §4.1.11)',
    );
  }
  throw new FormatError(
    'CRIT_UNSUPPORTED',
    `SHC: the JWS header marks ${crit.map((c) => JSON.stringify(c)).join(', ')} critical; this verifier does not understand ${crit.length === 1 ? 'it' : 'them'} (RFC 7515 §4.1.11)`,
  );
}
