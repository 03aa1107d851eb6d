/**
 * SNOMED CT identifiers checked offline by their syntax (SNOMED CT Technical Implementation Guide, "SCTID"): 6 to
 * 18 digits, no leading zero, a partition identifier, and a Verhoeff check digit. A code that fails this cannot be
 * a SNOMED CT concept in any edition, so it is an error without a terminology server; whether a well-formed id
 * exists is left to a terminology server. Post-coordinated expressions (spaces, `:`, `|`, `=`...) are not judged.
 */

const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

function verhoeffValid(digits: string): boolean {
  let c = 0;
  for (let i = 0; i < digits.length; i++) c = D[c][P[i % 8][digits.charCodeAt(digits.length - 1 - i) - 48]];
  return c === 0;
}

/** Why `code` cannot be a SNOMED CT concept id, or undefined when it may be one (or is an expression). */
export function sctidProblem(code: string): string | undefined {
  if (/[\s:|=+{}(),<>]/.test(code)) return undefined; // an expression, not an id
  if (!/^\d+$/.test(code)) return 'a SNOMED CT identifier has digits only';
  if (code.length < 6 || code.length > 18) return 'a SNOMED CT identifier has 6 to 18 digits';
  if (code.startsWith('0')) return 'a SNOMED CT identifier has no leading zero';
  if (!verhoeffValid(code)) return 'its check digit is wrong';
  return undefined;
}
