/**
 * Patches compute on plain numbers (toPlainJson); decimals the patch left where they were get their source text
 * back (`0.50` stays `0.50`), by comparing the patched value at the same JSON path with the original's.
 * A decimal a patch moved or wrote is stored as the number it is.
 */
import { isRawNumber } from '../json.ts';

export function restoreRawNumbers<T>(original: unknown, patched: T): T {
  if (isRawNumber(original))
    return (typeof patched === 'number' && Number(original.rawJSON) === patched ? original : patched) as T;
  if (typeof original !== 'object' || original === null || typeof patched !== 'object' || patched === null)
    return patched;
  if (Array.isArray(patched)) {
    return (Array.isArray(original) ? patched.map((v, i) => restoreRawNumbers(original[i], v)) : patched) as T;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patched)) out[k] = restoreRawNumbers((original as Record<string, unknown>)[k], v);
  return out as T;
}
