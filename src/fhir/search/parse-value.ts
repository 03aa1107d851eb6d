/**
 * Parses one search parameter value (already split on unescaped commas) into a typed `SearchValue`.
 * https://hl7.org/fhir/R4/search.html#ptypes
 */
import { dateRange } from './date-range.ts';
import { splitEscaped, unescapeValue } from './escape.ts';
import { normalizeString } from './normalize.ts';
import type { SearchParamDef } from './parameters.ts';
import type { SearchPrefix, SearchValue } from './query.ts';
import { searchError } from './search-error.ts';

export interface ValueContext {
  resourceType: string;
  /** The parameter as written, e.g. `date` or `name:exact`, for error expressions. */
  name: string;
  def: SearchParamDef;
  modifier?: string;
}

const PREFIXES = new Set<string>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

function splitPrefix(raw: string): { prefix: SearchPrefix; rest: string } {
  const head = raw.slice(0, 2);
  if (PREFIXES.has(head) && raw.length > 2) return { prefix: head as SearchPrefix, rest: raw.slice(2) };
  return { prefix: 'eq', rest: raw };
}

const DECIMAL = /^[-+]?(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/;

/** A decimal with its implicit precision range: `100` → [99.5, 100.5), `1.50` → [1.495, 1.505). */
export function parseDecimal(text: string): { value: number; low: number; high: number } | undefined {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const value = Number(text);
  const decimals = m[2]?.length ?? 0;
  const exponent = m[3] === undefined ? 0 : Number(m[3]);
  const half = 0.5 * 10 ** (exponent - decimals);
  // 15 significant digits drop binary noise (5.4 - 0.05 = 5.3500000000000005) without losing decimal precision.
  const clean = (x: number): number => Number(x.toPrecision(15));
  return { value, low: clean(value - half), high: clean(value + half) };
}

function parseToken(raw: string): SearchValue {
  const parts = splitEscaped(raw, '|', 2);
  if (parts.length === 1) return { kind: 'token', code: unescapeValue(raw) };
  const [system, code] = parts.map(unescapeValue) as [string, string];
  return code === '' ? { kind: 'token', system } : { kind: 'token', system, code };
}

function parseDate(raw: string, ctx: ValueContext): SearchValue {
  const { prefix, rest } = splitPrefix(raw);
  // An unencoded '+' of a timezone arrives as a space after form decoding: accept it as '+'.
  const range = dateRange(rest.replace(/(T[\d:.]+) (\d{2}:\d{2})$/, '$1+$2'));
  if (!range) {
    throw searchError('SEARCH_DATE_INVALID', `'${raw}' is not a valid date search value`, ctx.resourceType, ctx.name);
  }
  return { kind: 'date', prefix, ...range };
}

function parseNumber(raw: string, ctx: ValueContext): SearchValue {
  const { prefix, rest } = splitPrefix(raw);
  const dec = parseDecimal(rest);
  if (!dec) {
    throw searchError(
      'SEARCH_NUMBER_INVALID',
      `'${raw}' is not a valid number search value`,
      ctx.resourceType,
      ctx.name,
    );
  }
  return { kind: 'number', prefix, ...dec };
}

function parseQuantity(raw: string, ctx: ValueContext): SearchValue {
  const parts = splitEscaped(raw, '|').map(unescapeValue);
  const { prefix, rest } = splitPrefix(parts[0] as string);
  const dec = parseDecimal(rest);
  if (!dec || parts.length === 2 || parts.length > 3) {
    throw searchError(
      'SEARCH_QUANTITY_INVALID',
      `'${raw}' is not a valid quantity search value ([prefix]number|system|code)`,
      ctx.resourceType,
      ctx.name,
    );
  }
  const value: SearchValue = { kind: 'quantity', prefix, ...dec };
  if (parts[1]) value.system = parts[1];
  if (parts[2]) value.code = parts[2];
  return value;
}

const TYPED_REF = /^([A-Z][A-Za-z]+)\/([^/]+)(?:\/_history\/[^/]+)?$/;

function parseReferenceValue(raw: string, ctx: ValueContext): SearchValue {
  const text = unescapeValue(raw);
  const modifierType = ctx.modifier && /^[A-Z]/.test(ctx.modifier) ? ctx.modifier : undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) return { kind: 'reference', url: text };
  const m = TYPED_REF.exec(text);
  if (m) {
    if (modifierType && modifierType !== m[1]) {
      throw searchError(
        'SEARCH_REFERENCE_TYPE_INVALID',
        `'${text}' does not match the type modifier :${modifierType}`,
        ctx.resourceType,
        ctx.name,
      );
    }
    return { kind: 'reference', resourceType: m[1] as string, id: m[2] as string };
  }
  const single = ctx.def.targets.length === 1 ? ctx.def.targets[0] : undefined;
  const resourceType = modifierType ?? single;
  return resourceType ? { kind: 'reference', resourceType, id: text } : { kind: 'reference', id: text };
}

/** Parses one (comma-free) value of a parameter according to its type and modifier. */
export function parseValue(raw: string, ctx: ValueContext): SearchValue {
  switch (ctx.def.type) {
    case 'token':
      return ctx.modifier === 'text' ? { kind: 'string', value: normalizeString(unescapeValue(raw)) } : parseToken(raw);
    case 'string': {
      const text = unescapeValue(raw);
      return { kind: 'string', value: ctx.modifier === 'exact' ? text : normalizeString(text) };
    }
    case 'date':
      return parseDate(raw, ctx);
    case 'number':
      return parseNumber(raw, ctx);
    case 'quantity':
      return parseQuantity(raw, ctx);
    case 'reference':
      return parseReferenceValue(raw, ctx);
    default:
      return { kind: 'uri', value: unescapeValue(raw) };
  }
}
