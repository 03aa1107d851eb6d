/**
 * The `shc:/` numeric form: each JWS character becomes two digits (code − 45); large cards split into
 * `shc:/<i>/<n>/…` chunks of balanced size. https://spec.smarthealth.cards/#encoding-qrs
 */
import { FormatError } from '../errors.ts';

/** Longest JWS that fits one version-22 numeric QR (spec: "Creating a QR code"). */
export const SHC_SINGLE_CHUNK_MAX = 1195;
/** Longest JWS part per chunk when chunked: 1191 leaves room for the `i/n/` header. */
export const SHC_CHUNK_MAX = 1191;
const PREFIX = 'shc:/';

function toDigits(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const v = text.charCodeAt(i) - 45;
    if (v < 0 || v > 77)
      throw new FormatError('SHC_QR_INVALID', `SHC QR: character at offset ${i} cannot be encoded numerically`, {
        offset: i,
      });
    out += v < 10 ? `0${v}` : String(v);
  }
  return out;
}

function fromDigits(digits: string, at: number): string {
  if (!/^\d*$/.test(digits)) {
    const offset = at + digits.search(/\D/);
    throw new FormatError('SHC_QR_INVALID', `SHC QR: non-digit at offset ${offset}`, { offset });
  }
  if (digits.length % 2 !== 0) throw new FormatError('SHC_QR_INVALID', 'SHC QR: odd number of digits');
  const codes = new Array<number>(digits.length / 2);
  for (let i = 0; i < digits.length; i += 2) {
    const v = (digits.charCodeAt(i) - 48) * 10 + (digits.charCodeAt(i + 1) - 48);
    if (v > 77)
      throw new FormatError(
        'SHC_QR_INVALID',
        `SHC QR: pair ${digits.slice(i, i + 2)} at offset ${at + i} is above 77`,
        { offset: at + i },
      );
    codes[i / 2] = v + 45;
  }
  return String.fromCharCode(...codes);
}

/**
 * JWS → one or more `shc:/` strings (numeric QR payloads).
 * @example encodeShcQr(jws) // ['shc:/5676…'] or ['shc:/1/2/…', 'shc:/2/2/…']
 * @see https://spec.smarthealth.cards/#chunking-larger-shcs
 */
export function encodeShcQr(jws: string): string[] {
  if (jws.length <= SHC_SINGLE_CHUNK_MAX) return [PREFIX + toDigits(jws)];
  const count = Math.ceil(jws.length / SHC_CHUNK_MAX);
  const size = Math.ceil(jws.length / count);
  const chunks: string[] = [];
  for (let i = 0; i < count; i++)
    chunks.push(`${PREFIX}${i + 1}/${count}/${toDigits(jws.slice(i * size, (i + 1) * size))}`);
  return chunks;
}

function parseChunk(chunk: string): { index: number; total: number; jwsPart: string } {
  const text = typeof chunk === 'string' ? chunk.trim() : '';
  if (!text.toLowerCase().startsWith(PREFIX))
    throw new FormatError('PREFIX_MISSING', 'SHC QR: the text does not start with "shc:/"', { offset: 0 });
  const rest = text.slice(PREFIX.length);
  const header = /^(\d{1,2})\/(\d{1,2})\//.exec(rest);
  if (header === null) return { index: 1, total: 1, jwsPart: fromDigits(rest, PREFIX.length) };
  const index = Number(header[1]);
  const total = Number(header[2]);
  if (total < 2 || index < 1 || index > total)
    throw new FormatError('SHC_QR_INVALID', `SHC QR: chunk ${index} of ${total} is out of range`);
  return { index, total, jwsPart: fromDigits(rest.slice(header[0].length), PREFIX.length + header[0].length) };
}

/**
 * `shc:/` string(s), in any order → the JWS. Rejects missing, duplicate or inconsistent chunks.
 * @example decodeShcQr(['shc:/2/2/…', 'shc:/1/2/…'])
 * @see https://spec.smarthealth.cards/#chunking-larger-shcs
 */
export function decodeShcQr(chunks: string | readonly string[], maxChars = 64 * 1024): string {
  const list = typeof chunks === 'string' ? [chunks] : chunks;
  if (list.length === 0 || list.length > 99)
    throw new FormatError('SHC_QR_INVALID', `SHC QR: ${list.length} chunks given`);
  const total = list.reduce((n, c) => n + (typeof c === 'string' ? c.length : 0), 0);
  if (total > maxChars)
    throw new FormatError('INPUT_TOO_LARGE', `SHC QR: ${total} characters exceed the cap of ${maxChars}`);
  const parsed = list.map(parseChunk);
  const expected = parsed[0]!.total;
  if (parsed.length !== expected || parsed.some((p) => p.total !== expected)) {
    throw new FormatError(
      'SHC_QR_INVALID',
      `SHC QR: expected ${expected} chunks, got ${parsed.length} with inconsistent totals`,
    );
  }
  const ordered = new Array<string | undefined>(expected);
  for (const p of parsed) {
    if (ordered[p.index - 1] !== undefined)
      throw new FormatError('SHC_QR_INVALID', `SHC QR: chunk ${p.index} appears twice`);
    ordered[p.index - 1] = p.jwsPart;
  }
  return ordered.join('');
}
