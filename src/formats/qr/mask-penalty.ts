/**
 * The mask penalty of a QR symbol (ISO/IEC 18004 §7.8.3, the four rules), scored on rows and columns packed 32
 * modules to a 32-bit word so that each rule tests 32 lines at once; split from encode-alphanumeric.ts, which picks
 * the first mask with the lowest score (issue 18, ADR 0075).
 */

/** Set bits of every 16-bit value: a 32-bit count is two look-ups. */
const BITS16 = new Uint8Array(1 << 16);
for (let i = 1; i < BITS16.length; i++) BITS16[i] = BITS16[i >>> 1]! + (i & 1);
const popcount = (v: number): number => BITS16[v & 0xffff]! + BITS16[v >>> 16]!;

/** Lanes of word `w` that hold modules 0 … `last` of a line. */
const lanesUpTo = (w: number, last: number): number =>
  last >= w * 32 + 31 ? -1 : last < w * 32 ? 0 : (2 ** (last - w * 32 + 1) - 1) | 0;

/**
 * Rule 1 across the packed lines (so along the other axis): a run of L ≥ 5 same-coloured modules scores L − 2.
 * Counted as its L − 4 windows of five equal modules plus 2 for the window that starts it.
 */
function runPenalty(v: Int32Array, size: number, words: number): number {
  let score = 0;
  for (let w = 0; w < words; w++) {
    const lanes = lanesUpTo(w, size - 1);
    let before = -1; // every lane starts a run at line 0
    let d0 = v[w]! ^ v[words + w]!;
    let d1 = v[words + w]! ^ v[2 * words + w]!;
    let d2 = v[2 * words + w]! ^ v[3 * words + w]!;
    for (let y = 0; y + 4 < size; y++) {
      const d3 = v[(y + 3) * words + w]! ^ v[(y + 4) * words + w]!;
      const equal = ~(d0 | d1 | d2 | d3) & lanes;
      if (equal !== 0) score += popcount(equal) + 2 * popcount(equal & before);
      before = d0;
      d0 = d1;
      d1 = d2;
      d2 = d3;
    }
  }
  return score;
}

/** Rule 3 across the packed lines: 1:1:3:1:1 dark-light pattern with four light modules on one side, inside the symbol. */
function finderCount(v: Int32Array, size: number, words: number): number {
  let count = 0;
  for (let w = 0; w < words; w++) {
    const lanes = lanesUpTo(w, size - 1);
    let r0 = 0;
    let r1 = v[w]!;
    let r2 = v[words + w]!;
    let r3 = v[2 * words + w]!;
    let r4 = v[3 * words + w]!;
    let r5 = v[4 * words + w]!;
    let r6 = v[5 * words + w]!;
    let r7 = v[6 * words + w]!;
    let r8 = v[7 * words + w]!;
    let r9 = v[8 * words + w]!;
    let r10 = v[9 * words + w]!;
    for (let y = 0; y + 10 < size; y++) {
      r0 = r1;
      r1 = r2;
      r2 = r3;
      r3 = r4;
      r4 = r5;
      r5 = r6;
      r6 = r7;
      r7 = r8;
      r8 = r9;
      r9 = r10;
      r10 = v[(y + 10) * words + w]!;
      const core = r4 & ~r5 & r6; // the middle of both patterns: dark, light, dark at 4–6
      if ((core & lanes) === 0) continue;
      const first = r0 & ~r1 & r2 & r3 & core & ~(r7 | r8 | r9 | r10);
      const last = ~(r0 | r1 | r2 | r3) & core & r7 & r8 & ~r9 & r10;
      count += popcount(first & lanes) + popcount(last & lanes);
    }
  }
  return count;
}

/** Rules 2 and 4 on the rows: 3 per 2×2 block of one colour; 10 per 5 % step of dark share beyond 45–55 %. */
function blockAndBalancePenalty(rows: Int32Array, size: number, words: number): number {
  let blocks = 0;
  let dark = 0;
  for (let y = 0; y < size; y++) {
    for (let w = 0; w < words; w++) {
      const a = rows[y * words + w]!;
      dark += popcount(a);
      if (y + 1 === size) continue;
      const b = rows[(y + 1) * words + w]!;
      const nextA = w + 1 < words ? rows[y * words + w + 1]! : 0;
      const nextB = w + 1 < words ? rows[(y + 1) * words + w + 1]! : 0;
      // Lane x: module x equals x + 1 in row y and in row y + 1, and the two rows agree at x.
      const sameA = ~(a ^ ((a >>> 1) | (nextA << 31)));
      const sameB = ~(b ^ ((b >>> 1) | (nextB << 31)));
      blocks += popcount(sameA & sameB & ~(a ^ b) & lanesUpTo(w, size - 2));
    }
  }
  const total = size * size;
  const off = Math.abs(dark * 100 - total * 50) - total * 5; // beyond ±5 %, in units of total/100
  const steps = off <= 0 ? 0 : Math.ceil(off / (total * 5));
  return 3 * blocks + 10 * steps;
}

/** The penalty of one masked candidate, or any figure ≥ `limit` once it cannot beat `limit`. */
export function penalty(rows: Int32Array, cols: Int32Array, size: number, words: number, limit: number): number {
  let score = runPenalty(rows, size, words) + runPenalty(cols, size, words);
  if (score >= limit) return score;
  score += blockAndBalancePenalty(rows, size, words);
  if (score >= limit) return score;
  return score + 40 * (finderCount(rows, size, words) + finderCount(cols, size, words));
}
