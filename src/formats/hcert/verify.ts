/**
 * Step-wise HCERT decoding and verification. Each step is recorded, so `$verify` can report which one failed:
 * unprefix → base45 → decompress → cbor → cose → signature → notExpired → notBefore.
 * https://github.com/ehn-dcc-development/eu-dcc-hcert-spec/blob/main/hcert_spec.md
 */
import { decodeCbor } from '../cbor.ts';
import type { FormatError } from '../errors.ts';
import { StepRecorder, type StepResult } from '../steps.ts';
import { resolveLimits, type CodecLimits } from '../limits.ts';
import type { CoseAlgName } from './claim-keys.ts';
import { coseFromValue, verifyCoseSignature, type CandidateKey, type CoseSign1, type KeyLookup } from './cose-sign1.ts';
import {
  checkCwtNotBefore,
  checkCwtNotExpired,
  decodeCwtClaims,
  hcertPayloads,
  type CwtClaims,
  type HcertPayloads,
} from './cwt.ts';
import { base45Hc1, decompressHc1, unprefixHc1 } from './hc1.ts';

/** `notExpired` checks exp; `notBefore` checks nbf/iat (a credential issued in the future). */
export type HcertStep =
  | 'unprefix'
  | 'base45'
  | 'decompress'
  | 'cbor'
  | 'cose'
  | 'signature'
  | 'notExpired'
  | 'notBefore';

export type HcertStepResult = StepResult<HcertStep>;

/** The outcome of verifying one HCERT: every step, the first error, and whatever was decoded. */
export interface HcertVerdict {
  valid: boolean;
  steps: HcertStepResult[];
  /** The first failure, when not valid. */
  error?: FormatError;
  compressed?: boolean;
  sign1?: CoseSign1;
  claims?: CwtClaims;
  payloads?: HcertPayloads;
  /** The candidate key that verified the signature. */
  key?: CandidateKey;
}

export interface HcertVerifyOptions {
  validationTime: Date;
  limits?: Partial<CodecLimits>;
  allowedAlgs?: readonly CoseAlgName[];
  clockToleranceSeconds?: number;
}

/** What decoding (without signature or time checks) yields. */
export interface DecodedHcert {
  compressed: boolean;
  sign1: CoseSign1;
  claims: CwtClaims;
  payloads: HcertPayloads;
}

type Recorder = StepRecorder<HcertStep>;

interface Envelope {
  sign1: CoseSign1;
  claims: CwtClaims;
  payloads: HcertPayloads;
}

function decodeEnvelope(rec: Recorder, cose: Uint8Array, limits: CodecLimits): Envelope | undefined {
  const scan = { maxDepth: limits.maxCborDepth, maxItems: limits.maxCborItems };
  const value = rec.run('cbor', () => ({ v: decodeCbor(cose, scan) }));
  if (value === undefined) return (rec.skip('cose', 'signature', 'notExpired', 'notBefore'), undefined);
  const decoded = rec.run('cose', () => {
    const sign1 = coseFromValue(value.v, scan);
    const claims = decodeCwtClaims(sign1.payload, scan);
    return { sign1, claims, payloads: hcertPayloads(claims) };
  });
  if (decoded === undefined) return (rec.skip('signature', 'notExpired', 'notBefore'), undefined);
  return decoded;
}

async function verifyFromCose(
  rec: Recorder,
  cose: Uint8Array,
  lookup: KeyLookup,
  options: HcertVerifyOptions,
): Promise<HcertVerdict> {
  const limits = resolveLimits(options.limits);
  const decoded = decodeEnvelope(rec, cose, limits);
  const verdict: HcertVerdict = { valid: false, steps: rec.steps };
  if (decoded !== undefined) {
    verdict.sign1 = decoded.sign1;
    verdict.claims = decoded.claims;
    verdict.payloads = decoded.payloads;
    const checkOptions = decoded.claims.iss === undefined ? {} : { issuerCountry: decoded.claims.iss };
    const allowed = options.allowedAlgs === undefined ? {} : { allowedAlgs: options.allowedAlgs };
    const key = await rec.runAsync('signature', () =>
      verifyCoseSignature(decoded.sign1, lookup, { ...checkOptions, ...allowed }),
    );
    if (key !== undefined) verdict.key = key;
    rec.run('notExpired', () => checkCwtNotExpired(decoded.claims, options));
    rec.run('notBefore', () => checkCwtNotBefore(decoded.claims, options));
  }
  if (rec.error !== undefined) verdict.error = rec.error;
  verdict.valid = rec.error === undefined;
  return verdict;
}

/**
 * Verify an `HC1:` string: decode every layer, check the signature against the lookup's candidates and the
 * validity window at `validationTime`. Never throws for bad input (the verdict says which step failed); rejects
 * only when the key lookup itself rejects.
 * @example const verdict = await verifyHc1(qrText, async (kid, country) => trust.lookup(kid, country), { validationTime: new Date() })
 * @see https://github.com/ehn-dcc-development/eu-dcc-hcert-spec/blob/main/hcert_spec.md
 */
export async function verifyHc1(text: string, lookup: KeyLookup, options: HcertVerifyOptions): Promise<HcertVerdict> {
  const rec = new StepRecorder<HcertStep>();
  const unprefixed = rec.run('unprefix', () => unprefixHc1(text, options.limits));
  if (unprefixed === undefined)
    return stop(rec, 'base45', 'decompress', 'cbor', 'cose', 'signature', 'notExpired', 'notBefore');
  const bytes = rec.run('base45', () => base45Hc1(unprefixed.body, unprefixed.offset));
  if (bytes === undefined) return stop(rec, 'decompress', 'cbor', 'cose', 'signature', 'notExpired', 'notBefore');
  const decompressed = rec.run('decompress', () => decompressHc1(bytes, options.limits));
  if (decompressed === undefined) return stop(rec, 'cbor', 'cose', 'signature', 'notExpired', 'notBefore');
  const verdict = await verifyFromCose(rec, decompressed.cose, lookup, options);
  verdict.compressed = decompressed.compressed;
  return verdict;
}

/**
 * Verify COSE_Sign1 bytes (steps cbor → notExpired), e.g. an HCERT that arrived without the HC1 transport.
 * @example await verifyCoseSign1(coseBytes, lookup, { validationTime: new Date('2021-06-01T00:00:00Z') })
 * @see https://www.rfc-editor.org/rfc/rfc9052#section-4.4
 */
export async function verifyCoseSign1(
  cose: Uint8Array,
  lookup: KeyLookup,
  options: HcertVerifyOptions,
): Promise<HcertVerdict> {
  return verifyFromCose(new StepRecorder<HcertStep>(), cose, lookup, options);
}

function stop(rec: Recorder, ...skipped: HcertStep[]): HcertVerdict {
  rec.skip(...skipped);
  const verdict: HcertVerdict = { valid: false, steps: rec.steps };
  if (rec.error !== undefined) verdict.error = rec.error;
  return verdict;
}

/**
 * Decode an `HC1:` string without checking signature or time (for display / inspection). Throws FormatError.
 * @example decodeHc1(qrText).payloads.euDcc
 */
export function decodeHc1(text: string, limits: Partial<CodecLimits> = {}): DecodedHcert {
  const { body, offset } = unprefixHc1(text, limits);
  const { cose, compressed } = decompressHc1(base45Hc1(body, offset), limits);
  const resolved = resolveLimits(limits);
  const scan = { maxDepth: resolved.maxCborDepth, maxItems: resolved.maxCborItems };
  const sign1 = coseFromValue(decodeCbor(cose, scan), scan);
  const claims = decodeCwtClaims(sign1.payload, scan);
  return { compressed, sign1, claims, payloads: hcertPayloads(claims) };
}
