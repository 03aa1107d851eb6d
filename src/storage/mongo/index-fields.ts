/**
 * The search index embedded in each resource document: one array per parameter type, each element naming its
 * parameter (`p`). A compound multikey index per array (`t`, `p`, value fields) answers an `$elemMatch` with
 * tight bounds, and all the filters of a query run as one `find` on one collection. Rows come from
 * `indexValues` (fhir/search/index-values.ts), the same extraction the SQLite adapter uses.
 * https://www.mongodb.com/docs/manual/core/indexes/index-types/index-multikey/
 */
import type { ResourceIndex } from '../../fhir/search/index-values.ts';

export interface TokenField {
  p: string;
  s: string;
  c: string;
}
export interface StringField {
  p: string;
  v: string;
  x: string;
}
export interface DateField {
  p: string;
  lo: number;
  hi: number;
}
export interface NumberField {
  p: string;
  v: number;
}
export interface QuantityField {
  p: string;
  v: number;
  s: string;
  c: string;
  u: string;
}
export interface ReferenceField {
  p: string;
  t: string;
  i: string;
  u: string;
}
export interface UriField {
  p: string;
  v: string;
}

/** Arrays are omitted when empty, to keep documents small. */
export interface IndexFields {
  tk?: TokenField[];
  st?: StringField[];
  dt?: DateField[];
  nm?: NumberField[];
  qt?: QuantityField[];
  rf?: ReferenceField[];
  ur?: UriField[];
}

/** The index array of each search parameter type. */
export const INDEX_ARRAY = {
  token: 'tk',
  string: 'st',
  date: 'dt',
  number: 'nm',
  quantity: 'qt',
  reference: 'rf',
  uri: 'ur',
} as const;

export type IndexedType = keyof typeof INDEX_ARRAY;

/**
 * `_sort` keys per parameter code: `a` is the smallest value (ascending sorts use it), `d` the largest
 * (descending), `on` is always 1 so that sorting on it first puts resources without a value last.
 */
export type SortKeys = Record<string, { on: 1; a: string | number; d: string | number }>;

/** Parameter codes come from the R4 definitions; anything else is never used as a field name. */
const SAFE_CODE = /^[A-Za-z0-9_-]{1,64}$/;

function addSortValue(keys: SortKeys, code: string, value: string | number): void {
  if (!SAFE_CODE.test(code) || code.startsWith('__')) return;
  const k = keys[code];
  if (!k) keys[code] = { on: 1, a: value, d: value };
  else {
    if (value < k.a) k.a = value;
    if (value > k.d) k.d = value;
  }
}

function sortKeysOf(index: ResourceIndex): SortKeys {
  // Object.create(null): parameter codes become own keys, never prototype lookups.
  const keys = Object.create(null) as SortKeys;
  for (const r of index.token) addSortValue(keys, r.param, r.code);
  for (const r of index.string) addSortValue(keys, r.param, r.value);
  for (const r of index.date) addSortValue(keys, r.param, r.low);
  for (const r of index.number) addSortValue(keys, r.param, r.value);
  for (const r of index.quantity) addSortValue(keys, r.param, r.value);
  for (const r of index.reference) addSortValue(keys, r.param, r.id);
  for (const r of index.uri) addSortValue(keys, r.param, r.value);
  return { ...keys };
}

function dedupe<T>(rows: readonly T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = JSON.stringify(r);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** Converts extracted index rows into the embedded fields and sort keys of a resource document. */
export function toIndexFields(index: ResourceIndex): { ix: IndexFields; sk: SortKeys } {
  const ix: IndexFields = {};
  const put = <K extends keyof IndexFields>(key: K, rows: NonNullable<IndexFields[K]>): void => {
    if (rows.length > 0) (ix as Record<string, unknown>)[key] = dedupe<unknown>(rows);
  };
  put(
    'tk',
    index.token.map((r) => ({ p: r.param, s: r.system, c: r.code })),
  );
  put(
    'st',
    index.string.map((r) => ({ p: r.param, v: r.value, x: r.exact })),
  );
  put(
    'dt',
    index.date.map((r) => ({ p: r.param, lo: r.low, hi: r.high })),
  );
  put(
    'nm',
    index.number.map((r) => ({ p: r.param, v: r.value })),
  );
  put(
    'qt',
    index.quantity.map((r) => ({ p: r.param, v: r.value, s: r.system, c: r.code, u: r.unit })),
  );
  put(
    'rf',
    index.reference.map((r) => ({ p: r.param, t: r.type, i: r.id, u: r.url })),
  );
  put(
    'ur',
    index.uri.map((r) => ({ p: r.param, v: r.value })),
  );
  return { ix, sk: sortKeysOf(index) };
}
