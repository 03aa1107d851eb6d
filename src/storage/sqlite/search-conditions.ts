/**
 * SQL conditions for one search value against its index table columns, per parameter type. Every value is a
 * bound parameter (`?`); only column names and operators, all fixed here, are spliced into the SQL text.
 * https://hl7.org/fhir/R4/search.html#prefix
 */
import type { SQLInputValue } from 'node:sqlite';
import { normalizeString } from '../../fhir/search/normalize.ts';
import type { SearchPrefix, SearchValue } from '../../fhir/search/query.ts';

export interface Sql {
  sql: string;
  params: SQLInputValue[];
}

const DAY_MS = 86_400_000;

/**
 * Stored range [low, high) against the search range [ql, qh) of a date value, as the R4 prefix table defines
 * (eq: contained; gt: extends above; ge: gt or eq; sa: starts after; eb: ends before). `ap` overlaps the search
 * range widened by 10% of its width, and at least a day, on each side.
 */
export function dateCondition(prefix: SearchPrefix, low: string, high: string, ql: number, qh: number): Sql {
  // `low < qh` follows from the other two (low < high) but bounds the index range scan on low.
  const within = `(${low} >= ? AND ${low} < ? AND ${high} <= ?)`;
  switch (prefix) {
    case 'eq':
      return { sql: within, params: [ql, qh, qh] };
    case 'ne':
      return { sql: `NOT ${within}`, params: [ql, qh, qh] };
    case 'gt':
      return { sql: `${high} > ?`, params: [qh] };
    case 'lt':
      return { sql: `${low} < ?`, params: [ql] };
    case 'ge':
      // The leading conjunct is implied by the rest; it gives the planner an index range.
      return { sql: `(${high} > ? AND (${high} > ? OR ${within}))`, params: [ql, qh, ql, qh, qh] };
    case 'le':
      return { sql: `(${low} < ? AND (${low} < ? OR ${within}))`, params: [qh, ql, ql, qh, qh] };
    case 'sa':
      return { sql: `${low} >= ?`, params: [qh] };
    case 'eb':
      return { sql: `${high} <= ?`, params: [ql] };
    case 'ap': {
      const widen = Math.max((qh - ql) * 0.1, DAY_MS);
      return { sql: `(${low} < ? AND ${high} > ?)`, params: [qh + widen, ql - widen] };
    }
  }
}

/** A stored number (a point) against a search number with its precision range [low, high). */
export function numberCondition(
  prefix: SearchPrefix,
  col: string,
  v: { value: number; low: number; high: number },
): Sql {
  switch (prefix) {
    case 'eq':
      return { sql: `(${col} >= ? AND ${col} < ?)`, params: [v.low, v.high] };
    case 'ne':
      return { sql: `NOT (${col} >= ? AND ${col} < ?)`, params: [v.low, v.high] };
    case 'gt':
    case 'sa':
      return { sql: `${col} > ?`, params: [v.value] };
    case 'lt':
    case 'eb':
      return { sql: `${col} < ?`, params: [v.value] };
    case 'ge':
      return { sql: `${col} >= ?`, params: [v.value] };
    case 'le':
      return { sql: `${col} <= ?`, params: [v.value] };
    case 'ap': {
      const delta = Math.abs(v.value) * 0.1;
      return { sql: `(${col} >= ? AND ${col} <= ?)`, params: [v.value - delta, v.value + delta] };
    }
  }
}

/** Upper bound for a prefix range scan: every string that starts with `prefix` sorts below it (binary collation). */
function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Condition for one value on the index table aliased `x` (columns per table, see schema.ts). */
export function valueCondition(value: SearchValue, modifier: string | undefined): Sql {
  switch (value.kind) {
    case 'token': {
      const parts: string[] = [];
      const params: SQLInputValue[] = [];
      if (value.code !== undefined) parts.push('x.code = ?'), params.push(value.code);
      if (value.system !== undefined) parts.push('x.system = ?'), params.push(value.system);
      return { sql: `(${parts.join(' AND ') || '1'})`, params };
    }
    case 'string':
      if (modifier === 'exact')
        return { sql: '(x.value = ? AND x.exact = ?)', params: [normalizeString(value.value), value.value] };
      if (modifier === 'contains')
        return { sql: "x.value LIKE ? ESCAPE '\\'", params: [`%${escapeLike(value.value)}%`] };
      return { sql: '(x.value >= ? AND x.value < ?)', params: [value.value, prefixEnd(value.value)] };
    case 'date':
      return dateCondition(value.prefix, 'x.low', 'x.high', value.low, value.high);
    case 'number':
      return numberCondition(value.prefix, 'x.value', value);
    case 'quantity': {
      const cond = numberCondition(value.prefix, 'x.value', value);
      const sql = [cond.sql];
      const params = [...cond.params];
      if (value.system !== undefined) sql.push('x.system = ?'), params.push(value.system);
      if (value.code !== undefined) {
        sql.push(value.system !== undefined ? 'x.code = ?' : '(x.code = ? OR x.unit = ?)');
        params.push(value.code, ...(value.system !== undefined ? [] : [value.code]));
      }
      return { sql: `(${sql.join(' AND ')})`, params };
    }
    case 'reference':
      if (value.url !== undefined)
        return { sql: "(x.ref_id = '' AND x.ref_type = '' AND x.url = ?)", params: [value.url] };
      if (value.resourceType !== undefined) {
        return { sql: '(x.ref_id = ? AND x.ref_type = ?)', params: [value.id ?? '', value.resourceType] };
      }
      return { sql: "(x.ref_id = ? AND x.ref_type != '')", params: [value.id ?? ''] };
    case 'uri':
      if (modifier === 'below')
        return { sql: '(x.value >= ? AND x.value < ?)', params: [value.value, prefixEnd(value.value)] };
      if (modifier === 'above') return { sql: 'substr(?, 1, length(x.value)) = x.value', params: [value.value] };
      return { sql: 'x.value = ?', params: [value.value] };
  }
}
