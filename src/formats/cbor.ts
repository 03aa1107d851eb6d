/**
 * Strict CBOR for credentials. cbor-x is fast but lenient (its size limits are process-global setters and it
 * honours its own extension tags), so every document first passes `scanCbor`, our well-formedness check
 * (RFC 8949 Appendix C) with per-call caps on depth, item count and declared lengths, and a tag allow-list.
 * Only then does cbor-x build the values. Encoding uses a single immutable cbor-x Encoder configuration.
 * https://www.rfc-editor.org/rfc/rfc8949
 */
import { Decoder, Encoder } from 'cbor-x';
import { FormatError } from './errors.ts';

export interface CborScanLimits {
  readonly maxDepth: number;
  readonly maxItems: number;
}

/**
 * Tags a credential may carry: 0/1 dates, 18 COSE_Sign1, 61 CWT, 1004 RFC 8943 full-date.
 * Anything else (notably cbor-x's record/structured-clone tags) is refused.
 */
const ALLOWED_TAGS: ReadonlySet<number> = new Set([0, 1, 18, 61, 1004]);

/* Decoder/Encoder instances hold no per-call state between calls; they are configuration only. */
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false, sequential: false } as ConstructorParameters<
  typeof Decoder
>[0]);
const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  variableMapSize: true,
  pack: false,
});

interface Cursor {
  pos: number;
  items: number;
}

function fail(code: 'CBOR_INVALID' | 'CBOR_LIMIT', message: string, offset: number): never {
  throw new FormatError(code, `CBOR: ${message} at byte ${offset}`, { offset });
}

/** Reads the argument of the head at `cur.pos`; returns -1 for indefinite length. */
function readArgument(bytes: Uint8Array, cur: Cursor, info: number, start: number): number {
  if (info < 24) return info;
  const widths: Record<number, number> = { 24: 1, 25: 2, 26: 4, 27: 8 };
  const width = widths[info];
  if (info === 31) return -1;
  if (width === undefined) fail('CBOR_INVALID', `reserved additional information ${info}`, start);
  if (cur.pos + width > bytes.length) fail('CBOR_INVALID', 'truncated head', start);
  let value = 0;
  for (let k = 0; k < width; k++) value = value * 256 + bytes[cur.pos + k]!;
  cur.pos += width;
  return value;
}

function scanString(bytes: Uint8Array, cur: Cursor, major: number, length: number, start: number): void {
  if (length >= 0) {
    if (length > bytes.length - cur.pos)
      fail('CBOR_LIMIT', `declared string length ${length} exceeds the ${bytes.length - cur.pos} bytes left`, start);
    cur.pos += length;
    return;
  }
  for (;;) {
    if (cur.pos >= bytes.length) fail('CBOR_INVALID', 'unterminated indefinite-length string', start);
    if (bytes[cur.pos] === 0xff) {
      cur.pos++;
      return;
    }
    const chunkStart = cur.pos;
    const head = bytes[cur.pos++]!;
    if (head >> 5 !== major) fail('CBOR_INVALID', 'indefinite-length string chunk of another type', chunkStart);
    const chunkLength = readArgument(bytes, cur, head & 0x1f, chunkStart);
    if (chunkLength < 0) fail('CBOR_INVALID', 'nested indefinite-length string', chunkStart);
    scanString(bytes, cur, major, chunkLength, chunkStart);
  }
}

function scanContainer(
  bytes: Uint8Array,
  cur: Cursor,
  count: number,
  perEntry: number,
  depth: number,
  limits: CborScanLimits,
): void {
  const start = cur.pos;
  if (count >= 0) {
    if (count > limits.maxItems || count * perEntry > bytes.length - cur.pos) {
      fail('CBOR_LIMIT', `declared count ${count} exceeds the input or the item cap`, start);
    }
    for (let k = 0; k < count * perEntry; k++) scanItem(bytes, cur, depth + 1, limits);
    return;
  }
  let n = 0;
  while (cur.pos < bytes.length && bytes[cur.pos] !== 0xff) {
    scanItem(bytes, cur, depth + 1, limits);
    n++;
  }
  if (cur.pos >= bytes.length) fail('CBOR_INVALID', 'unterminated indefinite-length container', start);
  if (n % perEntry !== 0) fail('CBOR_INVALID', 'indefinite-length map with an odd number of items', start);
  cur.pos++;
}

function scanItem(bytes: Uint8Array, cur: Cursor, depth: number, limits: CborScanLimits): void {
  const start = cur.pos;
  if (depth > limits.maxDepth) fail('CBOR_LIMIT', `nesting deeper than ${limits.maxDepth}`, start);
  if (++cur.items > limits.maxItems) fail('CBOR_LIMIT', `more than ${limits.maxItems} data items`, start);
  if (cur.pos >= bytes.length) fail('CBOR_INVALID', 'unexpected end of data', start);
  const head = bytes[cur.pos++]!;
  const major = head >> 5;
  const info = head & 0x1f;
  if (major === 7) {
    if (info === 31) fail('CBOR_INVALID', 'unexpected break', start);
    if (info === 24) {
      if (cur.pos >= bytes.length || bytes[cur.pos]! < 32) fail('CBOR_INVALID', 'invalid simple value', start);
      fail('CBOR_INVALID', 'unassigned simple value', start);
    }
    if (info < 20 || (info > 27 && info < 31)) fail('CBOR_INVALID', `unassigned simple value ${info}`, start);
    readArgument(bytes, cur, info, start);
    return;
  }
  const argument = readArgument(bytes, cur, info, start);
  if (argument < 0 && (major === 0 || major === 1 || major === 6))
    fail('CBOR_INVALID', 'indefinite length on an integer or tag', start);
  if (major === 2 || major === 3) return scanString(bytes, cur, major, argument, start);
  if (major === 4) return scanContainer(bytes, cur, argument, 1, depth, limits);
  if (major === 5) return scanContainer(bytes, cur, argument, 2, depth, limits);
  if (major === 6) {
    if (!ALLOWED_TAGS.has(argument)) fail('CBOR_INVALID', `tag ${argument} is not allowed`, start);
    return scanItem(bytes, cur, depth + 1, limits);
  }
}

/**
 * Check that `bytes` hold exactly one well-formed CBOR item within the caps; throws CBOR_INVALID / CBOR_LIMIT.
 * @example scanCbor(bytes, { maxDepth: 32, maxItems: 50000 })
 * @see https://www.rfc-editor.org/rfc/rfc8949#appendix-C
 */
export function scanCbor(bytes: Uint8Array, limits: CborScanLimits): void {
  const cur: Cursor = { pos: 0, items: 0 };
  scanItem(bytes, cur, 0, limits);
  if (cur.pos !== bytes.length)
    fail('CBOR_INVALID', `${bytes.length - cur.pos} trailing bytes after the item`, cur.pos);
}

/**
 * Decode one strict CBOR item. Maps come back as `Map` so integer keys (CWT, COSE) stay integers.
 * @example decodeCbor(encodeCbor(new Map([[1, 'AT']])), limits) // Map { 1 => 'AT' }
 */
export function decodeCbor(bytes: Uint8Array, limits: CborScanLimits): unknown {
  scanCbor(bytes, limits);
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new FormatError('CBOR_INVALID', `CBOR: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Encode a value as CBOR: `Map` for integer-keyed maps, byte strings as plain bstr (no typed-array tags).
 * @example encodeCbor(new Map([[1, 'AT']]))
 */
export function encodeCbor(value: unknown): Uint8Array {
  const out = encoder.encode(value);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
}
