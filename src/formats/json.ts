/**
 * JSON and base64url parsing under caps, with typed errors. Depth is checked before JSON.parse so code that
 * walks the result (minification, mapping) never recurses without bound.
 * https://www.rfc-editor.org/rfc/rfc8259 · https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
import { FormatError } from './errors.ts';

export interface JsonLimits {
  readonly maxJsonBytes: number;
  readonly maxJsonDepth: number;
}

/** Maximum bracket nesting outside string literals (a linear scan; JSON.parse validates the rest). */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * Parse JSON text or UTF-8 bytes; throws JSON_TOO_LARGE or JSON_INVALID (never a raw SyntaxError).
 * @example parseJson('{"a":1}', { maxJsonBytes: 1024, maxJsonDepth: 8 }) // { a: 1 }
 */
export function parseJson(input: string | Uint8Array, limits: JsonLimits, what = 'JSON'): unknown {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > limits.maxJsonBytes)
    throw new FormatError('JSON_TOO_LARGE', `${what}: ${size} bytes exceed the cap of ${limits.maxJsonBytes}`);
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (cause) {
    throw new FormatError('JSON_INVALID', `${what}: not valid UTF-8`, { cause });
  }
  if (jsonDepth(text) > limits.maxJsonDepth)
    throw new FormatError('JSON_INVALID', `${what}: nesting deeper than ${limits.maxJsonDepth}`);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new FormatError('JSON_INVALID', `${what}: ${(cause as Error).message}`, { cause });
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict unpadded base64url → bytes; throws BASE64URL_INVALID with the offset of the first bad character.
 * @example decodeBase64Url('AQID') // Uint8Array [1, 2, 3]
 */
export function decodeBase64Url(text: string, what = 'base64url'): Uint8Array {
  if (!BASE64URL.test(text)) {
    const offset = [...text].findIndex((c) => !/[A-Za-z0-9_-]/.test(c));
    throw new FormatError('BASE64URL_INVALID', `${what}: character at offset ${offset} is not base64url`, { offset });
  }
  if (text.length % 4 === 1)
    throw new FormatError('BASE64URL_INVALID', `${what}: length ${text.length} is not a base64url length`);
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/**
 * Bytes → unpadded base64url.
 * @example encodeBase64Url(Uint8Array.of(1, 2, 3)) // 'AQID'
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * True for a plain JSON object (not null, not an array).
 * @example isJsonObject([]) // false
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
