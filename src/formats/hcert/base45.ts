/**
 * Base45 (RFC 9285), strict. We do not use the npm `base45` package: its decoder maps unknown characters to -1,
 * accepts triplets above 65535 and dangling single characters, so it turns garbage into bytes instead of failing
 * (see docs/decisions/0004-codecs-base45-cbor-cose.md).
 * https://www.rfc-editor.org/rfc/rfc9285#section-4
 */
import { FormatError } from '../errors.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** value → char code. */
const ENCODE_TABLE: Readonly<Uint8Array> = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

/** char code → value, -1 when the character is not in the alphabet. Immutable after construction. */
const DECODE_TABLE: Readonly<Int8Array> = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/**
 * Encode bytes as base45.
 * @example encodeBase45(new TextEncoder().encode('AB')) // 'BB8'
 * @see https://www.rfc-editor.org/rfc/rfc9285#section-4.2
 */
export function encodeBase45(bytes: Uint8Array): string {
  // ASCII output written into a byte buffer: ~4× faster than string concatenation for HC1-sized inputs
  const out = Buffer.allocUnsafe(Math.floor(bytes.length / 2) * 3 + (bytes.length % 2) * 2);
  let o = 0;
  let i = 0;
  for (; i + 1 < bytes.length; i += 2) {
    const n = bytes[i]! * 256 + bytes[i + 1]!;
    const e = Math.floor(n / 2025);
    const rest = n - e * 2025;
    const d = Math.floor(rest / 45);
    out[o++] = ENCODE_TABLE[rest - d * 45]!;
    out[o++] = ENCODE_TABLE[d]!;
    out[o++] = ENCODE_TABLE[e]!;
  }
  if (i < bytes.length) {
    const n = bytes[i]!;
    out[o++] = ENCODE_TABLE[n % 45]!;
    out[o++] = ENCODE_TABLE[Math.floor(n / 45)]!;
  }
  return out.toString('latin1', 0, o);
}

function valueAt(text: string, index: number, baseOffset: number): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? DECODE_TABLE[code]! : -1;
  if (value < 0) {
    throw new FormatError(
      'BASE45_INVALID',
      `Base45: character ${JSON.stringify(text[index])} at offset ${baseOffset + index} is not in the RFC 9285 alphabet`,
      {
        offset: baseOffset + index,
      },
    );
  }
  return value;
}

/**
 * Decode base45 text, rejecting characters outside the alphabet, a length ≡ 1 (mod 3) and groups above the
 * byte range. `baseOffset` shifts reported offsets (e.g. past an `HC1:` prefix).
 * @example decodeBase45('BB8') // Uint8Array [65, 66]
 * @see https://www.rfc-editor.org/rfc/rfc9285#section-4.3
 */
export function decodeBase45(text: string, baseOffset = 0): Uint8Array {
  if (text.length % 3 === 1) {
    throw new FormatError(
      'BASE45_INVALID',
      `Base45: length ${text.length} leaves a single dangling character at offset ${baseOffset + text.length - 1}`,
      {
        offset: baseOffset + text.length - 1,
      },
    );
  }
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  let i = 0;
  for (; i + 2 < text.length; i += 3) {
    const n =
      valueAt(text, i, baseOffset) + valueAt(text, i + 1, baseOffset) * 45 + valueAt(text, i + 2, baseOffset) * 2025;
    if (n > 0xffff) {
      throw new FormatError('BASE45_INVALID', `Base45: group at offset ${baseOffset + i} encodes ${n}, above 65535`, {
        offset: baseOffset + i,
      });
    }
    out[o++] = n >> 8;
    out[o++] = n & 0xff;
  }
  if (i < text.length) {
    const n = valueAt(text, i, baseOffset) + valueAt(text, i + 1, baseOffset) * 45;
    if (n > 0xff) {
      throw new FormatError(
        'BASE45_INVALID',
        `Base45: final pair at offset ${baseOffset + i} encodes ${n}, above 255`,
        { offset: baseOffset + i },
      );
    }
    out[o++] = n;
  }
  return out;
}
