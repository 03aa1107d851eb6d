/**
 * Our alphanumeric QR encoder (ADR 0075) against the `qr` package it replaced: the same modules for random texts at
 * every level and every version 1–40, and the mask it picks is the first with the lowest penalty by the standard's
 * four rules, scored here cell by cell (no packed words) on the `qr` package's symbol for each of the eight masks.
 */
import encodeQR, { type ErrorCorrection } from 'qr';
import { alphanumericVersion, encodeAlphanumeric } from '../../../../src/formats/qr/encode-alphanumeric.ts';
import type { QrErrorCorrection } from '../../../../src/formats/qr.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const LEVELS: QrErrorCorrection[] = ['L', 'M', 'Q', 'H'];
const QR_ECC: Record<QrErrorCorrection, ErrorCorrection> = { L: 'low', M: 'medium', Q: 'quartile', H: 'high' };

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function text(next: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return out;
}

/** The longest text each version holds at a level, found by the encoder's own capacity (checked against qr below). */
function longest(level: QrErrorCorrection, version: number): number {
  let lo = 0;
  let hi = 5000;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const v = alphanumericVersion(mid, level);
    if (v !== 0 && v <= version) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The `qr` package's modules (quiet zone of one taken off), as 0/1 rows. */
function theirs(t: string, level: QrErrorCorrection, mask?: number): number[][] {
  const rows = encodeQR(t, 'raw', {
    ecc: QR_ECC[level],
    encoding: 'alphanumeric',
    border: 1,
    ...(mask === undefined ? {} : { mask }),
  });
  return rows.slice(1, -1).map((r) => r.slice(1, -1).map(Number));
}

function ours(t: string, level: QrErrorCorrection): number[][] {
  const { size, data } = encodeAlphanumeric(t, level);
  return Array.from({ length: size }, (_, y) => Array.from(data.subarray(y * size, (y + 1) * size)));
}

/** The four penalty rules, cell by cell, on rows and columns (ISO/IEC 18004 §7.8.3, as python-qrcode scores them). */
function naivePenalty(m: number[][]): number {
  const size = m.length;
  const at = (x: number, y: number, transposed: boolean) => (transposed ? m[x]![y]! : m[y]![x]!);
  let score = 0;
  for (const transposed of [false, true]) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; ) {
        let end = x;
        while (end < size && at(end, y, transposed) === at(x, y, transposed)) end++;
        if (end - x >= 5) score += 3 + (end - x - 5);
        x = end;
      }
      for (let x = 0; x + 11 <= size; x++) {
        const w = Array.from({ length: 11 }, (_, i) => at(x + i, y, transposed)).join('');
        if (w === '10111010000') score += 40;
        if (w === '00001011101') score += 40;
      }
    }
  }
  let dark = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      dark += m[y]![x]!;
      if (x + 1 < size && y + 1 < size) {
        const c = m[y]![x];
        if (m[y]![x + 1] === c && m[y + 1]![x] === c && m[y + 1]![x + 1] === c) score += 3;
      }
    }
  const percent = (dark * 100) / (size * size);
  const beyond = Math.abs(percent - 50) - 5;
  return score + 10 * (beyond <= 0 ? 0 : Math.ceil(beyond / 5));
}

/** The symbol as scored: format and version cells and the dark module light. */
function testForm(m: number[][], version: number): number[][] {
  const size = m.length;
  const out = m.map((r) => [...r]);
  for (let i = 0; i <= 8; i++) {
    if (i !== 6) {
      out[i]![8] = 0;
      out[8]![i] = 0;
    }
    if (i < 8) {
      out[8]![size - 1 - i] = 0;
      out[size - 1 - i]![8] = 0;
    }
  }
  if (version >= 7)
    for (let i = 0; i < 18; i++) {
      out[Math.floor(i / 3)]![size - 11 + (i % 3)] = 0;
      out[size - 11 + (i % 3)]![Math.floor(i / 3)] = 0;
    }
  return out;
}

describe('alphanumeric QR encoder', () => {
  for (const [n, level] of LEVELS.entries()) {
    test(`when texts of every version 1–40 are encoded at level ${level}, then the modules are the qr package's`, () => {
      const next = random(75 + n);
      let compared = 0;
      for (let version = 1; version <= 40; version++) {
        const top = longest(level, version);
        const bottom = version === 1 ? 1 : longest(level, version - 1) + 1;
        // The fullest text, the shortest, and one between: each needs exactly this version.
        for (const length of [top, bottom, bottom + Math.floor(next() * (top - bottom + 1))]) {
          const t = text(next, length);
          expect(encodeAlphanumeric(t, level).version).toBe(version);
          expect({
            length,
            version,
            same: JSON.stringify(ours(t, level)) === JSON.stringify(theirs(t, level)),
          }).toEqual({ length, version, same: true });
          compared++;
        }
      }
      expect(compared).toBe(120);
      // One character more than version 40 holds fits nowhere, as the qr package agrees.
      expect(() =>
        encodeQR(text(next, longest(level, 40) + 1), 'raw', { ecc: QR_ECC[level], encoding: 'alphanumeric' }),
      ).toThrow();
    });
  }

  test('when 600 random texts (HC1-sized and smaller) are encoded, then the modules are the qr package’s', () => {
    const next = random(2026);
    const differing: string[] = [];
    for (let i = 0; i < 600; i++) {
      const level = LEVELS[i % 4]!;
      const t = `HC1:${text(next, Math.floor(next() ** 2 * 1400))}`;
      if (JSON.stringify(ours(t, level)) !== JSON.stringify(theirs(t, level))) differing.push(`${level} ${t.length}`);
    }
    expect(differing).toEqual([]);
  });

  test('when the mask is chosen, then it is the first of the eight with the lowest penalty, scored cell by cell', () => {
    const next = random(18);
    for (let i = 0; i < 40; i++) {
      const level = LEVELS[i % 4]!;
      const t = text(next, 1 + Math.floor(next() ** 2 * 400));
      const { mask, version } = encodeAlphanumeric(t, level);
      const scores = [0, 1, 2, 3, 4, 5, 6, 7].map((m) => naivePenalty(testForm(theirs(t, level, m), version)));
      expect({ t, mask }).toEqual({ t, mask: scores.indexOf(Math.min(...scores)) });
    }
  });

  test('when a character is outside the alphabet, then INPUT_INVALID names it', () => {
    expect(() => encodeAlphanumeric('HC1:abc', 'Q')).toThrow('QR: "a" is not alphanumeric');
  });

  test('when a text fits no version, then QR_TOO_LARGE', () => {
    expect(() => encodeAlphanumeric('A'.repeat(2421), 'Q')).toThrow(
      'QR: the payload does not fit any QR version at error correction Q',
    );
  });
});
