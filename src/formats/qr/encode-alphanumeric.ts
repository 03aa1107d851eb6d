/**
 * QR symbols of texts in the QR alphanumeric alphabet (every HC1: base45 is that alphabet), one segment, at the
 * smallest version that holds the text, written for speed (issue 18, ADR 0075): the function patterns, the data
 * module order and the eight mask planes are built once per version; the eight masks are scored on rows and columns
 * packed 32 modules to a word, so each penalty rule tests 32 lines at once, and a mask stops being scored once its
 * partial penalty reaches the best so far (every term is non-negative).
 *
 * The penalty is the standard's four rules (ISO/IEC 18004 §7.8.3) scored, as python-qrcode and the `qr` package do,
 * on the masked symbol with the format and version cells and the dark module still light; the first mask with the
 * lowest score wins. The symbols are the `qr` package's (the previous encoder) module for module, which the tests
 * check on thousands of texts at every level; the project's jsqr reader reads them back.
 */
import { FormatError } from '../errors.ts';
import type { QrErrorCorrection } from '../qr.ts';
import { penalty } from './mask-penalty.ts';

/** ISO/IEC 18004 Table 5: the alphanumeric characters in value order. */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** ISO/IEC 18004 Table 9, per level: error correction codewords per block, and blocks, for versions 1–40. */
const ECC_PER_BLOCK: Record<QrErrorCorrection, readonly number[]> = {
  L: [
    7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30,
    30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
  ],
  M: [
    10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28,
    28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  ],
  Q: [
    13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30,
    30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
  ],
  H: [
    17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30,
    30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
  ],
};
const BLOCKS: Record<QrErrorCorrection, readonly number[]> = {
  L: [
    1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19,
    20, 21, 22, 24, 25,
  ],
  M: [
    1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33,
    35, 37, 38, 40, 43, 45, 47, 49,
  ],
  Q: [
    1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45,
    48, 51, 53, 56, 59, 62, 65, 68,
  ],
  H: [
    1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51,
    54, 57, 60, 63, 66, 70, 74, 77, 81,
  ],
};
/** ISO/IEC 18004 Table 12: the level's two bits in the format information. */
const FORMAT_LEVEL: Record<QrErrorCorrection, number> = { L: 1, M: 0, Q: 3, H: 2 };

/** All codewords of a version: its modules less the function patterns and format/version cells, over 8. */
function totalCodewords(version: number): number {
  let modules = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    modules -= (25 * align - 10) * align - 55;
    if (version >= 7) modules -= 36;
  }
  return modules >>> 3;
}

const dataCodewords = (version: number, level: QrErrorCorrection): number =>
  totalCodewords(version) - ECC_PER_BLOCK[level][version - 1]! * BLOCKS[level][version - 1]!;

/** Bits of the character count indicator in alphanumeric mode (Table 3). */
const countBits = (version: number): number => (version <= 9 ? 9 : version <= 26 ? 11 : 13);

/** The smallest version (1–40) whose data capacity holds `length` alphanumeric characters; 0 when none does. */
export function alphanumericVersion(length: number, level: QrErrorCorrection): number {
  const payload = Math.floor(length / 2) * 11 + (length % 2) * 6;
  for (let v = 1; v <= 40; v++)
    if (length < 1 << countBits(v) && 4 + countBits(v) + payload <= dataCodewords(v, level) * 8) return v;
  return 0;
}

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1, for Reed–Solomon.
const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++, x = (x << 1) ^ (x & 0x80 ? 0x11d : 0)) {
  EXP[i] = EXP[i + 255] = x;
  LOG[x] = i;
}

/** Generator polynomial of degree n (roots α^0 … α^(n−1)), as the logs of its n coefficients below the leading 1. */
const generators = new Map<number, Uint8Array>();
function generatorLogs(n: number): Uint8Array {
  let logs = generators.get(n);
  if (logs) return logs;
  const poly = new Uint8Array(n); // coefficients of x^(n−1) … x^0
  poly[n - 1] = 1;
  for (let i = 0; i < n; i++) {
    // poly := poly · (x − α^i)
    for (let j = 0; j < n; j++) {
      const c = poly[j]! === 0 ? 0 : EXP[LOG[poly[j]!]! + i]!;
      poly[j] = c ^ (j + 1 < n ? poly[j + 1]! : 0);
    }
  }
  logs = poly.map((c) => LOG[c]!);
  generators.set(n, logs);
  return logs;
}

/** Reed–Solomon remainder of `block` (n parity codewords) written into `out` at `at`. */
function parity(block: Uint8Array, n: number, out: Uint8Array, at: number): void {
  const g = generatorLogs(n);
  const r = new Uint8Array(n);
  for (let i = 0; i < block.length; i++) {
    const f = block[i]! ^ r[0]!;
    r.copyWithin(0, 1);
    r[n - 1] = 0;
    if (f === 0) continue;
    const lf = LOG[f]!;
    for (let j = 0; j < n; j++) r[j]! ^= EXP[g[j]! + lf]!;
  }
  out.set(r, at);
}

/** Mode, count, characters, terminator and pad codewords (§7.4), as `capacity` data codewords. */
function dataBytes(text: string, version: number, capacity: number): Uint8Array {
  const out = new Uint8Array(capacity);
  let acc = 0;
  let bits = 0;
  let at = 0;
  const put = (value: number, width: number): void => {
    acc = (acc << width) | value;
    bits += width;
    while (bits >= 8) {
      bits -= 8;
      out[at++] = (acc >>> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  };
  put(0b0010, 4);
  put(text.length, countBits(version));
  const pairs = text.length - (text.length % 2);
  for (let i = 0; i < pairs; i += 2) put(VALUE[text.charCodeAt(i)]! * 45 + VALUE[text.charCodeAt(i + 1)]!, 11);
  if (pairs < text.length) put(VALUE[text.charCodeAt(pairs)]!, 6);
  if (bits > 0) out[at] = (acc << (8 - bits)) & 0xff;
  // Terminator (four zeros, fewer at the end of the capacity) and zeros to the byte boundary: the buffer is zero there.
  const used = at * 8 + bits;
  at = Math.ceil((used + Math.min(4, capacity * 8 - used)) / 8);
  for (let pad = 0xec; at < capacity; at++, pad ^= 0xec ^ 0x11) out[at] = pad;
  return out;
}

/** Data blocks with their parity, interleaved codeword by codeword (§7.6), short blocks first. */
function codewords(data: Uint8Array, version: number, level: QrErrorCorrection): Uint8Array {
  const total = totalCodewords(version);
  const blocks = BLOCKS[level][version - 1]!;
  const n = ECC_PER_BLOCK[level][version - 1]!;
  const shortLength = Math.floor(total / blocks) - n;
  const shortBlocks = blocks - (total % blocks);
  const out = new Uint8Array(total);
  const parityAll = new Uint8Array(n * blocks);
  const dataWords = data.length;
  for (let b = 0, start = 0; b < blocks; b++) {
    const length = shortLength + (b < shortBlocks ? 0 : 1);
    const block = data.subarray(start, start + length);
    parity(block, n, parityAll, b * n);
    // Codeword i of block b goes after codeword i of every block (the short blocks have none at shortLength).
    for (let i = 0; i < length; i++)
      out[i < shortLength ? i * blocks + b : shortLength * blocks + (b - shortBlocks)] = block[i]!;
    start += length;
  }
  for (let i = 0; i < n; i++) for (let b = 0; b < blocks; b++) out[dataWords + i * blocks + b] = parityAll[b * n + i]!;
  return out;
}

/** Centres of the alignment patterns on either axis (Annex E). */
function alignmentCentres(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const size = 17 + 4 * version;
  const step = version === 32 ? 26 : Math.ceil((size - 13) / (count * 2 - 2)) * 2;
  const out = [6];
  for (let pos = size - 7; out.length < count; pos -= step) out.splice(1, 0, pos);
  return out;
}

/** The eight mask conditions of Table 10 at column x, row y. */
function masked(mask: number, x: number, y: number): boolean {
  switch (mask) {
    case 0:
      return (x + y) % 2 === 0;
    case 1:
      return y % 2 === 0;
    case 2:
      return x % 3 === 0;
    case 3:
      return (x + y) % 3 === 0;
    case 4:
      return (Math.floor(y / 2) + Math.floor(x / 3)) % 2 === 0;
    case 5:
      return ((x * y) % 2) + ((x * y) % 3) === 0;
    case 6:
      return (((x * y) % 2) + ((x * y) % 3)) % 2 === 0;
    default:
      return (((x + y) % 2) + ((x * y) % 3)) % 2 === 0;
  }
}

/** What every symbol of one version shares. Rows and columns are packed `words` 32-bit words per line. */
interface Layout {
  size: number;
  words: number;
  /** Function patterns drawn, format/version cells and the dark module light (one byte per module). */
  template: Uint8Array;
  rows: Int32Array;
  cols: Int32Array;
  /** Data module order: word index << 5 | bit, in the rows and in the columns. */
  rowAt: Int32Array;
  colAt: Int32Array;
  /** Per mask, the data modules it flips, packed as rows and as columns. */
  maskRows: Int32Array[];
  maskCols: Int32Array[];
}

const layouts: (Layout | undefined)[] = [];

function layout(version: number): Layout {
  const cached = layouts[version];
  if (cached) return cached;
  const size = 17 + 4 * version;
  const words = (size + 31) >>> 5;
  const template = new Uint8Array(size * size);
  const reserved = new Uint8Array(size * size);
  const set = (x: number, y: number, dark: boolean): void => {
    template[y * size + x] = dark ? 1 : 0;
    reserved[y * size + x] = 1;
  };
  for (const [fx, fy] of [
    [0, 0],
    [size - 7, 0],
    [0, size - 7],
  ] as const) {
    // Finder pattern and its light separator.
    for (let dy = -1; dy <= 7; dy++)
      for (let dx = -1; dx <= 7; dx++) {
        const [x, y] = [fx + dx, fy + dy];
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        const ring = Math.max(Math.abs(dx - 3), Math.abs(dy - 3));
        set(x, y, ring !== 2 && ring !== 4);
      }
  }
  const centres = alignmentCentres(version);
  for (const cy of centres)
    for (const cx of centres) {
      if (reserved[cy * size + cx]) continue; // under a finder pattern
      for (let dy = -2; dy <= 2; dy++)
        for (let dx = -2; dx <= 2; dx++) set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  for (let i = 0; i < size; i++) {
    if (!reserved[6 * size + i]) set(i, 6, i % 2 === 0);
    if (!reserved[i * size + 6]) set(6, i, i % 2 === 0);
  }
  // Format cells (both copies) and the dark module, light until the mask is chosen.
  for (let i = 0; i <= 8; i++) {
    if (i !== 6) {
      set(8, i, false);
      set(i, 8, false);
    }
    if (i < 8) {
      set(size - 1 - i, 8, false);
      set(8, size - 1 - i, false);
    }
  }
  if (version >= 7)
    for (let i = 0; i < 18; i++) {
      set(size - 11 + (i % 3), Math.floor(i / 3), false);
      set(Math.floor(i / 3), size - 11 + (i % 3), false);
    }
  const rows = new Int32Array(size * words);
  const cols = new Int32Array(size * words);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      if (template[y * size + x]) {
        rows[y * words + (x >>> 5)]! |= 1 << (x & 31);
        cols[x * words + (y >>> 5)]! |= 1 << (y & 31);
      }
  // Zigzag: column pairs from the right, skipping the timing column, up then down (§7.7.3).
  const rowAt: number[] = [];
  const colAt: number[] = [];
  const maskRows = Array.from({ length: 8 }, () => new Int32Array(size * words));
  const maskCols = Array.from({ length: 8 }, () => new Int32Array(size * words));
  for (let right = size - 1, up = true; right >= 1; right -= 2, up = !up) {
    if (right === 6) right = 5;
    for (let k = 0; k < size; k++) {
      const y = up ? size - 1 - k : k;
      for (const x of [right, right - 1]) {
        if (reserved[y * size + x]) continue;
        const r = ((y * words + (x >>> 5)) << 5) | (x & 31);
        const c = ((x * words + (y >>> 5)) << 5) | (y & 31);
        rowAt.push(r);
        colAt.push(c);
        for (let m = 0; m < 8; m++)
          if (masked(m, x, y)) {
            maskRows[m]![r >>> 5]! |= 1 << (r & 31);
            maskCols[m]![c >>> 5]! |= 1 << (c & 31);
          }
      }
    }
  }
  const built: Layout = {
    size,
    words,
    template,
    rows,
    cols,
    rowAt: Int32Array.from(rowAt),
    colAt: Int32Array.from(colAt),
    maskRows,
    maskCols,
  };
  layouts[version] = built;
  return built;
}

/** Format information: level and mask with its BCH(15,5) check bits, XOR-ed with 101010000010010 (§7.9). */
function formatBits(level: QrErrorCorrection, mask: number): number {
  const data = (FORMAT_LEVEL[level] << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | (rem & 0x3ff)) ^ 0x5412;
}

/** Version information with its BCH(18,6) check bits (§7.10). */
function versionBits(version: number): number {
  let rem = version;
  for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
  return (version << 12) | (rem & 0xfff);
}

/** Writes the format and version information and the dark module into the final modules. */
function drawInformation(out: Uint8Array, size: number, version: number, level: QrErrorCorrection, mask: number): void {
  const bits = formatBits(level, mask);
  const put = (x: number, y: number, bit: number): void => {
    out[y * size + x] = bit & 1;
  };
  for (let i = 0; i < 15; i++) {
    const bit = bits >>> i;
    if (i < 6) put(8, i, bit);
    else if (i < 8) put(8, i + 1, bit);
    else if (i === 8) put(7, 8, bit);
    else put(14 - i, 8, bit);
    if (i < 8) put(size - 1 - i, 8, bit);
    else put(8, size - 15 + i, bit);
  }
  put(8, size - 8, 1);
  if (version < 7) return;
  const vbits = versionBits(version);
  for (let i = 0; i < 18; i++) {
    const bit = vbits >>> i;
    put(size - 11 + (i % 3), Math.floor(i / 3), bit);
    put(Math.floor(i / 3), size - 11 + (i % 3), bit);
  }
}

export interface AlphanumericSymbol {
  size: number;
  /** size² modules, row by row, 1 = dark. */
  data: Uint8Array;
  version: number;
  mask: number;
}

/**
 * The symbol of an alphanumeric text at the smallest version holding it at `level`, with the lowest-penalty mask.
 * Throws QR_TOO_LARGE when no version holds it, and on a character outside the alphabet (callers test first).
 * @example encodeAlphanumeric('HC1:NCF…', 'Q').version // 10–25 for a DDCC HC1
 */
export function encodeAlphanumeric(text: string, level: QrErrorCorrection): AlphanumericSymbol {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || VALUE[c]! < 0) throw new FormatError('INPUT_INVALID', `QR: "${text[i]}" is not alphanumeric`);
  }
  const version = alphanumericVersion(text.length, level);
  if (version === 0)
    throw new FormatError('QR_TOO_LARGE', `QR: the payload does not fit any QR version at error correction ${level}`);
  const all = codewords(dataBytes(text, version, dataCodewords(version, level)), version, level);
  const shared = layout(version);
  const { size, words, rowAt, colAt, maskRows, maskCols } = shared;
  const rows = shared.rows.slice();
  const cols = shared.cols.slice();
  // Remainder modules after the last codeword stay light before masking.
  const placed = Math.min(all.length * 8, rowAt.length);
  for (let k = 0; k < all.length; k++) {
    const byte = all[k]!;
    if (byte === 0) continue;
    for (let j = 0, i = k * 8; j < 8 && i < placed; j++, i++) {
      if ((byte & (0x80 >>> j)) === 0) continue;
      const r = rowAt[i]!;
      const c = colAt[i]!;
      rows[r >>> 5]! |= 1 << (r & 31);
      cols[c >>> 5]! |= 1 << (c & 31);
    }
  }
  const candRows = new Int32Array(rows.length);
  const candCols = new Int32Array(cols.length);
  let best = Number.POSITIVE_INFINITY;
  let mask = 0;
  for (let m = 0; m < 8; m++) {
    const mr = maskRows[m]!;
    const mc = maskCols[m]!;
    for (let i = 0; i < rows.length; i++) {
      candRows[i] = rows[i]! ^ mr[i]!;
      candCols[i] = cols[i]! ^ mc[i]!;
    }
    const score = penalty(candRows, candCols, size, words, best);
    if (score < best) {
      best = score;
      mask = m;
    }
  }
  const mr = maskRows[mask]!;
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++)
    for (let w = 0; w < words; w++) {
      // Only the dark modules are written (the buffer starts light), lowest set bit first.
      let bits = rows[y * words + w]! ^ mr[y * words + w]!;
      const at = y * size + w * 32;
      while (bits !== 0) {
        const low = bits & -bits;
        data[at + 31 - Math.clz32(low)] = 1;
        bits ^= low;
      }
    }
  drawInformation(data, size, version, level, mask);
  return { size, data, version, mask };
}
