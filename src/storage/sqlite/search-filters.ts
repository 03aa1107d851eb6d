/**
 * Translates the filters of a `SearchQuery` into SQL conditions on the resources table (alias given by the
 * caller), each one a sub-select on an index table, so that SQLite answers from indexes.
 * https://hl7.org/fhir/R4/search.html
 */
import { textParamCode } from '../../fhir/search/index-values.ts';
import type { SearchFilter, SearchValue } from '../../fhir/search/query.ts';
import type { StoreContext } from './context.ts';
import { INDEX_TABLES } from './schema.ts';
import type { IndexedType } from './schema.ts';
import { dateCondition, valueCondition } from './search-conditions.ts';
import type { Sql } from './search-conditions.ts';

/** A pid that no row has: parameters never indexed match nothing. */
const NO_PID = -1;

function pidOf(ctx: StoreContext, resourceType: string, code: string): number {
  return ctx.pids.lookup(resourceType, code) ?? NO_PID;
}

/**
 * The rows of parameter `pid` matching any of `values`. With several values, each OR term carries its own
 * `x.pid = ?`: SQLite then answers the OR as one primary-key range per value (MULTI-INDEX OR). Written as
 * `x.pid = ? AND (v1 OR v2 …)`, it scans every row of the parameter and tests each value on it: 400 names against
 * 6,400 name rows held the event loop ~140 ms, and the cost grew with the store (ADR 0066).
 */
function valuesOfParam(pid: number, values: SearchValue[], modifier: string | undefined): Sql {
  const parts = values.map((v) => valueCondition(v, modifier));
  if (parts.length === 1) {
    const only = parts[0] as Sql;
    return { sql: `x.pid = ? AND ${only.sql}`, params: [pid, ...only.params] };
  }
  return {
    sql: `(${parts.map((p) => `(x.pid = ? AND ${p.sql})`).join(' OR ')})`,
    params: parts.flatMap((p) => [pid, ...p.params]),
  };
}

/**
 * `_id`: the resource table's own column. The positive form names the row keys through the (rtype, id) index:
 * written as `id IN (...)`, SQLite without statistics (nothing runs ANALYZE) walks every row of the type in row-key
 * order to skip the page's sort, testing each id (25 ms at 200k rows); as `rk IN (...)` it looks the few rows up.
 */
function idFilter(filter: SearchFilter, resourceType: string, alias: string): Sql {
  const ids = JSON.stringify(
    filter.values.flatMap((v) => (v.kind === 'token' && v.code !== undefined ? [v.code] : [])),
  );
  if (filter.modifier === 'not') return { sql: `${alias}.id NOT IN (SELECT value FROM json_each(?))`, params: [ids] };
  return {
    sql: `${alias}.rk IN (SELECT rk FROM resources WHERE rtype = ? AND id IN (SELECT value FROM json_each(?)))`,
    params: [resourceType, ids],
  };
}

/** `_lastUpdated`: the resource table's own column, an instant of millisecond precision. */
function lastUpdatedFilter(filter: SearchFilter, alias: string): Sql {
  const col = `${alias}.last_updated`;
  const parts = filter.values.flatMap((v) =>
    v.kind === 'date' ? [dateCondition(v.prefix, col, `(${col} + 1)`, v.low, v.high)] : [],
  );
  return { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
}

/**
 * How a filter tests membership: `in` materialises the matching row keys once (good when it drives the query
 * or matches few rows), `exists` probes the (rk, pid) index per candidate row (good once another filter or
 * a row-key-ordered scan has narrowed the candidates).
 */
export type FilterMode = 'in' | 'exists';

/** An index sub-select: rows of `table` (alias `x`, plus an optional join) matching `where`. */
export interface IndexSource {
  table: string;
  join?: string;
  where: Sql;
  /** `:not` / `:missing=true`: the resource must have no matching row. */
  negate: boolean;
}

/** The FROM clause; per-row probes are pinned to the (rk, pid) index, which the planner may otherwise skip. */
export function sourceFrom(src: IndexSource, perRow: boolean): string {
  return `${src.table} x${perRow ? ` INDEXED BY ${src.table}_rk` : ''}${src.join ?? ''}`;
}

/** `alias.rk [NOT] IN (SELECT x.rk FROM … WHERE …)` or the correlated EXISTS form. */
function membership(alias: string, src: IndexSource, mode: FilterMode): Sql {
  const not = src.negate ? 'NOT ' : '';
  const { where } = src;
  if (mode === 'in') {
    return {
      sql: `${alias}.rk ${not}IN (SELECT x.rk FROM ${sourceFrom(src, false)} WHERE ${where.sql})`,
      params: where.params,
    };
  }
  return {
    sql: `${not}EXISTS (SELECT 1 FROM ${sourceFrom(src, true)} WHERE x.rk = ${alias}.rk AND ${where.sql})`,
    params: where.params,
  };
}

function chainSource(ctx: StoreContext, filter: SearchFilter, resourceType: string): IndexSource {
  const chain = filter.chain as NonNullable<SearchFilter['chain']>;
  const targetType = chain.targetType as string;
  const inner = filterSql(ctx, chain.filter, targetType, 't', 'in');
  return {
    table: 'idx_reference',
    join: ' JOIN resources t ON t.rtype = x.ref_type AND t.id = x.ref_id',
    where: {
      sql: `x.pid = ? AND x.ref_type = ? AND t.deleted = 0 AND ${inner.sql}`,
      params: [pidOf(ctx, resourceType, filter.code), targetType, ...inner.params],
    },
    negate: false,
  };
}

/** The index sub-select of a filter, or undefined for filters on the resource table's own columns. */
export function indexSource(ctx: StoreContext, filter: SearchFilter, resourceType: string): IndexSource | undefined {
  if (filter.chain) return chainSource(ctx, filter, resourceType);
  if (filter.code === '_id' || filter.code === '_lastUpdated') return undefined;
  if (filter.modifier !== 'missing' && filter.values.length === 0) return undefined;
  const textSearch = filter.type === 'token' && filter.modifier === 'text';
  const table = textSearch ? INDEX_TABLES.string : INDEX_TABLES[filter.type as IndexedType];
  if (!table) return undefined;
  const pid = pidOf(ctx, resourceType, textSearch ? textParamCode(filter.code) : filter.code);
  if (filter.modifier === 'missing') {
    return { table, where: { sql: 'x.pid = ?', params: [pid] }, negate: filter.missing === true };
  }
  return {
    table,
    where: valuesOfParam(pid, filter.values, textSearch ? undefined : filter.modifier),
    negate: filter.modifier === 'not',
  };
}

/** The SQL condition for one filter on the resources table aliased `alias`. */
export function filterSql(
  ctx: StoreContext,
  filter: SearchFilter,
  resourceType: string,
  alias: string,
  mode: FilterMode,
): Sql {
  const src = indexSource(ctx, filter, resourceType);
  if (src) return membership(alias, src, mode);
  if (filter.modifier === 'missing') return { sql: filter.missing ? '0' : '1', params: [] }; // _id, _lastUpdated: always there
  if (filter.values.length === 0) return { sql: '1', params: [] };
  if (filter.code === '_id') return idFilter(filter, resourceType, alias);
  if (filter.code === '_lastUpdated') return lastUpdatedFilter(filter, alias);
  return { sql: '0', params: [] }; // a parameter type without an index table matches nothing
}

/** True for filters that are index sub-selects selecting rows positively (candidates to drive a query). */
export function isPositiveIndexFilter(ctx: StoreContext, filter: SearchFilter, resourceType: string): boolean {
  const src = indexSource(ctx, filter, resourceType);
  return src !== undefined && !src.negate && filter.modifier !== 'missing';
}

/** Counts the rows of an index sub-select, stopping at `limit` (cheap selectivity estimate). */
export function countUpTo(ctx: StoreContext, src: IndexSource, limit: number): number {
  const sql = `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${sourceFrom(src, false)} WHERE ${src.where.sql} LIMIT ${Math.trunc(limit)})`;
  return Number(ctx.stmt(sql).get(...src.where.params)?.n ?? 0);
}
