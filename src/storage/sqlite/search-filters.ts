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

function orValues(values: SearchValue[], modifier: string | undefined): Sql {
  const parts = values.map((v) => valueCondition(v, modifier));
  return { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
}

/** `_id`: the resource table's own column. */
function idFilter(filter: SearchFilter, alias: string): Sql {
  const ids = filter.values.flatMap((v) => (v.kind === 'token' && v.code !== undefined ? [v.code] : []));
  const not = filter.modifier === 'not' ? 'NOT ' : '';
  return { sql: `${alias}.id ${not}IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(ids)] };
}

/** `_lastUpdated`: the resource table's own column, an instant of millisecond precision. */
function lastUpdatedFilter(filter: SearchFilter, alias: string): Sql {
  const col = `${alias}.last_updated`;
  const parts = filter.values.flatMap((v) =>
    v.kind === 'date' ? [dateCondition(v.prefix, col, `(${col} + 1)`, v.low, v.high)] : [],
  );
  return { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
}

function chainFilter(ctx: StoreContext, filter: SearchFilter, resourceType: string, alias: string): Sql {
  const chain = filter.chain as NonNullable<SearchFilter['chain']>;
  const targetType = chain.targetType as string;
  const inner = filterSql(ctx, chain.filter, targetType, 't');
  return {
    sql:
      `${alias}.rk IN (SELECT x.rk FROM idx_reference x JOIN resources t ON t.rtype = x.ref_type AND t.id = x.ref_id ` +
      `WHERE x.pid = ? AND x.ref_type = ? AND t.deleted = 0 AND ${inner.sql})`,
    params: [pidOf(ctx, resourceType, filter.code), targetType, ...inner.params],
  };
}

/** The SQL condition for one filter on the resources table aliased `alias`. */
export function filterSql(ctx: StoreContext, filter: SearchFilter, resourceType: string, alias: string): Sql {
  if (filter.chain) return chainFilter(ctx, filter, resourceType, alias);
  if (filter.modifier !== 'missing' && filter.values.length === 0) return { sql: '1', params: [] };
  if (filter.modifier === 'missing' && (filter.code === '_id' || filter.code === '_lastUpdated')) {
    return { sql: filter.missing ? '0' : '1', params: [] }; // every resource has both
  }
  if (filter.code === '_id') return idFilter(filter, alias);
  if (filter.code === '_lastUpdated') return lastUpdatedFilter(filter, alias);
  const textSearch = filter.type === 'token' && filter.modifier === 'text';
  const table = textSearch ? INDEX_TABLES.string : INDEX_TABLES[filter.type as IndexedType];
  if (!table) return { sql: '0', params: [] };
  const pid = pidOf(ctx, resourceType, textSearch ? textParamCode(filter.code) : filter.code);
  if (filter.modifier === 'missing') {
    const not = filter.missing ? 'NOT ' : '';
    return { sql: `${alias}.rk ${not}IN (SELECT x.rk FROM ${table} x WHERE x.pid = ?)`, params: [pid] };
  }
  const values = orValues(filter.values, textSearch ? undefined : filter.modifier);
  const not = filter.modifier === 'not' ? 'NOT ' : '';
  return {
    sql: `${alias}.rk ${not}IN (SELECT x.rk FROM ${table} x WHERE x.pid = ? AND ${values.sql})`,
    params: [pid, ...values.params],
  };
}
