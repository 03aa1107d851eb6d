/**
 * Turns typed FHIRPath results into index rows, one function per search parameter type. The shape of the
 * value decides (CodeableConcept, Coding, Identifier, ContactPoint, HumanName, Address, Period, Timing, Quantity…)
 * so the result does not depend on which StructureDefinitions happen to be loaded in @medplum/core.
 * https://hl7.org/fhir/R4/search.html#ptypes
 */
import type { TypedValue } from '@medplum/core';
import { dateRange, MAX_INSTANT, MIN_INSTANT } from './date-range.ts';
import { normalizeString } from './normalize.ts';

export interface TokenRow {
  param: string;
  system: string;
  code: string;
}
export interface StringRow {
  param: string;
  value: string;
  exact: string;
}
export interface DateRow {
  param: string;
  low: number;
  high: number;
}
export interface NumberRow {
  param: string;
  value: number;
}
export interface QuantityRow {
  param: string;
  value: number;
  system: string;
  code: string;
  unit: string;
}
export interface ReferenceRow {
  param: string;
  type: string;
  id: string;
  url: string;
}
export interface UriRow {
  param: string;
  value: string;
}

export interface ResourceIndex {
  token: TokenRow[];
  /** Includes the display texts of token parameters under `textParamCode(code)`, for `:text`. */
  string: StringRow[];
  date: DateRow[];
  number: NumberRow[];
  quantity: QuantityRow[];
  reference: ReferenceRow[];
  uri: UriRow[];
}

type Obj = Record<string, unknown>;

/** The string-index code under which the display texts of a token parameter are kept (`code:text`). */
export function textParamCode(code: string): string {
  return `${code}:text`;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : [];
}

function pushText(param: string, text: string | undefined, out: StringRow[]): void {
  if (text) out.push({ param: textParamCode(param), value: normalizeString(text), exact: text });
}

function codingRow(param: string, c: Obj, index: { token: TokenRow[]; string: StringRow[] }): void {
  const code = str(c.code);
  if (code) index.token.push({ param, system: str(c.system) ?? '', code });
  pushText(param, str(c.display), index.string);
}

/** Token rows: code/boolean/string primitives, Coding, CodeableConcept, Identifier and ContactPoint. */
export function toTokenRows(
  param: string,
  values: TypedValue[],
  index: { token: TokenRow[]; string: StringRow[] },
): void {
  const seen = new Set<string>();
  const before = index.token.length;
  for (const { value } of values) {
    if (typeof value === 'string' && value.length > 0) index.token.push({ param, system: '', code: value });
    else if (typeof value === 'boolean') index.token.push({ param, system: '', code: String(value) });
    else if (isObj(value)) {
      if (Array.isArray(value.coding) || typeof value.text === 'string') {
        for (const c of (value.coding as unknown[]) ?? []) if (isObj(c)) codingRow(param, c, index);
        pushText(param, str(value.text), index.string);
      } else if ('code' in value) codingRow(param, value, index);
      else if (str(value.value)) {
        // Identifier (system = namespace URI) and ContactPoint (system = phone|email|…) index the same way.
        index.token.push({ param, system: str(value.system) ?? '', code: value.value as string });
        pushText(param, str((value.type as Obj | undefined)?.text), index.string);
      }
    }
  }
  // Drop duplicate rows of this parameter (the same code in two codings would otherwise double-count).
  const added = index.token.splice(before).filter((r) => {
    const key = `${r.system}|${r.code}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  index.token.push(...added);
}

const NAME_PARTS = ['text', 'family', 'given', 'prefix', 'suffix'];
const ADDRESS_PARTS = ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'];

/** String rows: primitives, and the parts of HumanName and Address. */
export function toStringRows(param: string, values: TypedValue[]): StringRow[] {
  const out: StringRow[] = [];
  const add = (s: string): void => {
    if (s.length > 0) out.push({ param, value: normalizeString(s), exact: s });
  };
  for (const { value } of values) {
    if (typeof value === 'string') add(value);
    else if (isObj(value)) {
      const parts = 'family' in value || 'given' in value ? NAME_PARTS : ADDRESS_PARTS;
      for (const p of parts) {
        const v = value[p];
        if (typeof v === 'string') add(v);
        else for (const s of strings(v)) add(s);
      }
    }
  }
  return out;
}

function periodRow(param: string, p: Obj): DateRow | undefined {
  const start = str(p.start) ? dateRange(p.start as string) : undefined;
  const end = str(p.end) ? dateRange(p.end as string) : undefined;
  if (!start && !end) return undefined;
  return { param, low: start?.low ?? MIN_INSTANT, high: end?.high ?? MAX_INSTANT };
}

function timingRow(param: string, t: Obj): DateRow | undefined {
  const ranges = strings(t.event)
    .map(dateRange)
    .filter((r) => r !== undefined);
  const bounds = isObj(t.repeat) && isObj(t.repeat.boundsPeriod) ? periodRow(param, t.repeat.boundsPeriod) : undefined;
  if (bounds) ranges.push(bounds);
  if (ranges.length === 0) return undefined;
  return { param, low: Math.min(...ranges.map((r) => r.low)), high: Math.max(...ranges.map((r) => r.high)) };
}

/** Date rows: date/dateTime/instant primitives, Period, and Timing (events and bounds). */
export function toDateRows(param: string, values: TypedValue[]): DateRow[] {
  const out: DateRow[] = [];
  for (const { value } of values) {
    let row: DateRow | undefined;
    if (typeof value === 'string') {
      const r = dateRange(value);
      row = r && { param, ...r };
    } else if (isObj(value)) {
      row = 'event' in value || 'repeat' in value ? timingRow(param, value) : periodRow(param, value);
    }
    if (row) out.push(row);
  }
  return out;
}

/** Number rows: decimal/integer primitives. */
export function toNumberRows(param: string, values: TypedValue[]): NumberRow[] {
  const out: NumberRow[] = [];
  for (const { value } of values) if (typeof value === 'number' && Number.isFinite(value)) out.push({ param, value });
  return out;
}

/** Quantity rows: Quantity and its specialisations (Age, Duration, Count, Distance, SimpleQuantity) and Money. */
export function toQuantityRows(param: string, values: TypedValue[]): QuantityRow[] {
  const out: QuantityRow[] = [];
  for (const { value } of values) {
    if (!isObj(value) || typeof value.value !== 'number') continue;
    const currency = str(value.currency);
    out.push({
      param,
      value: value.value,
      system: currency ? 'urn:iso:std:iso:4217' : (str(value.system) ?? ''),
      code: currency ?? str(value.code) ?? str(value.unit) ?? '',
      unit: str(value.unit) ?? '',
    });
  }
  return out;
}

const RELATIVE_REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * Splits a reference string: `Type/id[/_history/v]` → type and id; anything else (absolute URL, `urn:uuid:`,
 * canonical) is kept whole as `url`. Contained references (`#x`) give undefined.
 */
export function parseReference(ref: string): { type: string; id: string; url: string } | undefined {
  if (ref.length === 0 || ref.startsWith('#')) return undefined;
  const m = RELATIVE_REF.exec(ref);
  if (m) return { type: m[1] as string, id: m[2] as string, url: '' };
  return { type: '', id: '', url: ref };
}

/** Reference rows: Reference.reference, and canonical/uri strings for parameters over canonical elements. */
export function toReferenceRows(param: string, values: TypedValue[]): ReferenceRow[] {
  const out: ReferenceRow[] = [];
  for (const { value } of values) {
    const ref = typeof value === 'string' ? value : isObj(value) ? str(value.reference) : undefined;
    const parsed = ref ? parseReference(ref) : undefined;
    if (parsed) out.push({ param, ...parsed });
  }
  return out;
}
