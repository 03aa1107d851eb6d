/**
 * MongoDB conditions for one search value on one element of an index array (see index-fields.ts), per
 * parameter type and prefix. Every request value is placed as a typed BSON value (checked to be a string or a
 * finite number here), so `{"$gt":""}` or `$where` in a request is only ever compared as text; the one
 * regular expression (`:contains`) is built from escaped text.
 * https://hl7.org/fhir/R4/search.html#prefix
 */
import { normalizeString } from '../../fhir/search/normalize.ts';
import type { SearchPrefix, SearchValue } from '../../fhir/search/query.ts';
import type { Filter } from './collection.ts';

const DAY_MS = 86_400_000;
/** Code point above every other: `v >= s && v < s + MAX_CHAR` is "starts with s" under binary comparison. */
const MAX_CHAR = '\u{10FFFF}';
/** Longest `:above` uri we expand into its prefixes. */
const MAX_ABOVE_LENGTH = 2048;

/** Rejects anything but a string: a guard against operator injection should the typed query be bypassed. */
export function text(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`A search value must be a string, not ${typeof value}`);
  return value;
}

/** Rejects anything but a finite number. */
export function num(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError('A search value must be a finite number');
  return value;
}

/** Escapes every regular-expression metacharacter, so the text matches itself literally. */
export function escapeRegex(value: string): string {
  return text(value).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `field` starts with `prefix` (a range, not a regex: tight index bounds and nothing to escape). */
export function startsWith(prefix: string): Filter {
  const p = text(prefix);
  return { $gte: p, $lt: `${p}${MAX_CHAR}` };
}

/**
 * A stored range [lo, hi) against the search range [ql, qh) of a date value, as the R4 prefix table defines
 * (eq: contained; gt: extends above; ge: gt or eq; sa: starts after; eb: ends before). `ap` overlaps the
 * search range widened by 10% of its width, and at least a day, on each side. Same rules as the SQLite adapter.
 */
export function dateMatch(prefix: SearchPrefix, ql: number, qh: number): Filter {
  const within = { lo: { $gte: num(ql) }, hi: { $lte: num(qh) } };
  switch (prefix) {
    case 'eq':
      return within;
    case 'ne':
      return { $or: [{ lo: { $lt: ql } }, { hi: { $gt: qh } }] };
    case 'gt':
      return { hi: { $gt: qh } };
    case 'lt':
      return { lo: { $lt: ql } };
    case 'ge':
      return { $or: [{ hi: { $gt: qh } }, within] };
    case 'le':
      return { $or: [{ lo: { $lt: ql } }, within] };
    case 'sa':
      return { lo: { $gte: qh } };
    case 'eb':
      return { hi: { $lte: ql } };
    case 'ap': {
      const widen = Math.max((qh - ql) * 0.1, DAY_MS);
      return { lo: { $lt: qh + widen }, hi: { $gt: ql - widen } };
    }
  }
}

/** A stored number (a point) against a search number with its precision range [low, high). */
export function numberMatch(prefix: SearchPrefix, v: { value: number; low: number; high: number }): Filter {
  const [value, low, high] = [num(v.value), num(v.low), num(v.high)];
  switch (prefix) {
    case 'eq':
      return { v: { $gte: low, $lt: high } };
    case 'ne':
      return { $or: [{ v: { $lt: low } }, { v: { $gte: high } }] };
    case 'gt':
    case 'sa':
      return { v: { $gt: value } };
    case 'lt':
    case 'eb':
      return { v: { $lt: value } };
    case 'ge':
      return { v: { $gte: value } };
    case 'le':
      return { v: { $lte: value } };
    case 'ap': {
      const delta = Math.abs(value) * 0.1;
      return { v: { $gte: value - delta, $lte: value + delta } };
    }
  }
}

/** Every prefix of `uri`, for `:above` (the stored uri is a prefix of the searched one). */
function prefixesOf(uri: string): string[] {
  const value = text(uri).slice(0, MAX_ABOVE_LENGTH);
  return Array.from({ length: value.length }, (_, i) => value.slice(0, i + 1));
}

function tokenMatch(value: Extract<SearchValue, { kind: 'token' }>): Filter {
  const out: Filter = {};
  if (value.code !== undefined) out.c = text(value.code);
  if (value.system !== undefined) out.s = text(value.system);
  return out;
}

function quantityMatch(value: Extract<SearchValue, { kind: 'quantity' }>): Filter {
  const out = numberMatch(value.prefix, value);
  const and: Filter[] = [out];
  if (value.system !== undefined) and.push({ s: text(value.system) });
  if (value.code !== undefined) {
    const code = text(value.code);
    // Without a system the code may be a UCUM code or the human unit.
    and.push(value.system !== undefined ? { c: code } : { $or: [{ c: code }, { u: code }] });
  }
  return and.length === 1 ? out : { $and: and };
}

function referenceMatch(value: Extract<SearchValue, { kind: 'reference' }>): Filter {
  if (value.url !== undefined) return { t: '', i: '', u: text(value.url) };
  if (value.resourceType !== undefined) return { t: text(value.resourceType), i: text(value.id ?? '') };
  return { t: { $ne: '' }, i: text(value.id ?? '') };
}

/** The condition one value puts on one index array element (the `p` of the parameter is added by the caller). */
export function valueMatch(value: SearchValue, modifier: string | undefined): Filter {
  switch (value.kind) {
    case 'token':
      return tokenMatch(value);
    case 'string':
      if (modifier === 'exact') return { v: normalizeString(text(value.value)), x: value.value };
      if (modifier === 'contains') return { v: { $regex: escapeRegex(value.value) } };
      return { v: startsWith(value.value) };
    case 'date':
      return dateMatch(value.prefix, value.low, value.high);
    case 'number':
      return numberMatch(value.prefix, value);
    case 'quantity':
      return quantityMatch(value);
    case 'reference':
      return referenceMatch(value);
    case 'uri':
      if (modifier === 'below') return { v: startsWith(value.value) };
      if (modifier === 'above') return { v: { $in: prefixesOf(value.value) } };
      return { v: text(value.value) };
  }
}
