/**
 * The HC1 transport: COSE bytes → zlib → base45 → `HC1:` prefix, and back, step by step.
 * https://github.com/ehn-dcc-development/eu-dcc-hcert-spec/blob/main/hcert_spec.md#4-transport-encodings
 */
import { decodeBase45, encodeBase45 } from './base45.ts';
import { deflate, hasZlibHeader, inflate } from '../deflate.ts';
import { FormatError } from '../errors.ts';
import { resolveLimits, type CodecLimits } from '../limits.ts';
import { encodeCwtClaims, type CwtClaimsInput } from './cwt.ts';
import { signCoseSign1, signCoseSign1With, type CoseSigner, type CoseSignerRef } from './cose-sign1.ts';

export const HC1_PREFIX = 'HC1:';

/**
 * Transport-encode COSE_Sign1 bytes.
 * @example encodeHc1(coseBytes) // 'HC1:NCF…'
 */
export function encodeHc1(coseBytes: Uint8Array): string {
  return HC1_PREFIX + encodeBase45(deflate(coseBytes, 'zlib'));
}

/**
 * Build, sign and transport-encode an HCERT in one call.
 * @example signHc1({ iss: 'XX', iat, exp, hcert: new Map([[HCERT_KEY.euDcc, dcc]]) }, { privateKey, alg: 'ES256', kid })
 * @see https://github.com/ehn-dcc-development/eu-dcc-hcert-spec/blob/main/hcert_spec.md
 */
export function signHc1(claims: CwtClaimsInput, signer: CoseSigner): string {
  return encodeHc1(signCoseSign1(encodeCwtClaims(claims), signer));
}

/**
 * signHc1 through the signing seam (a `Signer`: local key, HSM or KMS); what issuance uses.
 * @example await signHc1With({ iss: 'XX', iat, exp, hcert }, { signer: dsc.signer, kid: dsc.kidBytes }) // 'HC1:…'
 */
export async function signHc1With(claims: CwtClaimsInput, ref: CoseSignerRef): Promise<string> {
  return encodeHc1(await signCoseSign1With(encodeCwtClaims(claims), ref));
}

/**
 * Text after the trimmed `HC1:` prefix and its offset in the caller's input. Throws INPUT_* / PREFIX_MISSING.
 * @example unprefixHc1(' HC1:NCF') // { body: 'NCF', offset: 5 }
 */
export function unprefixHc1(text: string, limits: Partial<CodecLimits> = {}): { body: string; offset: number } {
  if (typeof text !== 'string' || text.length === 0)
    throw new FormatError('INPUT_INVALID', 'HC1: the input is empty or not text');
  const { maxInputChars } = resolveLimits(limits);
  if (text.length > maxInputChars)
    throw new FormatError(
      'INPUT_TOO_LARGE',
      `HC1: the input has ${text.length} characters, above the cap of ${maxInputChars}`,
    );
  const lead = text.length - text.trimStart().length;
  const trimmed = text.trim();
  if (!trimmed.startsWith(HC1_PREFIX)) {
    throw new FormatError('PREFIX_MISSING', `HC1: the text does not start with "${HC1_PREFIX}" (offset ${lead})`, {
      offset: lead,
    });
  }
  return { body: trimmed.slice(HC1_PREFIX.length), offset: lead + HC1_PREFIX.length };
}

/**
 * Base45 body → bytes; offsets in errors point into the caller's original text.
 * @example base45Hc1(body, offset)
 */
export function base45Hc1(body: string, offset: number): Uint8Array {
  return decodeBase45(body, offset);
}

/**
 * zlib-inflate under the cap. Data that is not zlib but already a COSE_Sign1 (tag 18 or a 4-array), which the
 * EU test data allows, passes through with `compressed: false`.
 * @example decompressHc1(bytes, { maxInflatedBytes: 65536 }).cose
 */
export function decompressHc1(
  bytes: Uint8Array,
  limits: Partial<CodecLimits> = {},
): { cose: Uint8Array; compressed: boolean } {
  const { maxInflatedBytes } = resolveLimits(limits);
  if (hasZlibHeader(bytes)) return { cose: inflate(bytes, 'zlib', maxInflatedBytes), compressed: true };
  if (bytes[0] === 0xd2 || bytes[0] === 0x84) return { cose: bytes, compressed: false };
  throw new FormatError('INFLATE_INVALID', 'HC1: the data is neither a zlib stream nor an uncompressed COSE_Sign1', {
    offset: 0,
  });
}

/**
 * Undo the transport: HC1 text → COSE bytes. Throws the first failing step's FormatError.
 * @example decodeHc1Transport('HC1:NCF…').cose
 */
export function decodeHc1Transport(
  text: string,
  limits: Partial<CodecLimits> = {},
): { cose: Uint8Array; compressed: boolean } {
  const { body, offset } = unprefixHc1(text, limits);
  return decompressHc1(base45Hc1(body, offset), limits);
}
