/**
 * `_sort` to ORDER BY: each rule sorts on the smallest (ascending) or largest (descending) indexed value of the
 * parameter, resources without a value last, and the row key breaks ties so that pages never overlap.
 * https://hl7.org/fhir/R4/search.html#sort
 */
import type { SQLInputValue } from 'node:sqlite';
import { getSearchParam } from '../../fhir/search/parameters.ts';
import type { SortRule } from '../../fhir/search/query.ts';
import type { StoreContext } from './context.ts';
import type { Sql } from './search-conditions.ts';

const SORT_COLUMN: Readonly<Record<string, [table: string, column: string]>> = {
  token: ['idx_token', 'code'],
  string: ['idx_string', 'value'],
  date: ['idx_date', 'low'],
  number: ['idx_number', 'value'],
  quantity: ['idx_quantity', 'value'],
  reference: ['idx_reference', 'ref_id'],
  uri: ['idx_uri', 'value'],
};

function sortKey(ctx: StoreContext, resourceType: string, rule: SortRule, alias: string): Sql | undefined {
  if (rule.code === '_id') return { sql: `${alias}.id`, params: [] };
  if (rule.code === '_lastUpdated') return { sql: `${alias}.last_updated`, params: [] };
  const def = getSearchParam(resourceType, rule.code);
  const target = def ? SORT_COLUMN[def.type] : undefined;
  if (!target) return undefined;
  const [table, column] = target;
  const agg = rule.descending ? 'MAX' : 'MIN';
  return {
    sql: `(SELECT ${agg}(s.${column}) FROM ${table} s WHERE s.rk = ${alias}.rk AND s.pid = ?)`,
    params: [ctx.pids.lookup(resourceType, rule.code) ?? -1],
  };
}

/** The ORDER BY clause (without the keyword) and its parameters. */
export function orderBy(ctx: StoreContext, resourceType: string, rules: SortRule[], alias: string): Sql {
  const parts: string[] = [];
  const params: SQLInputValue[] = [];
  for (const rule of rules) {
    const key = sortKey(ctx, resourceType, rule, alias);
    if (!key) continue;
    const dir = rule.descending ? 'DESC' : 'ASC';
    parts.push(`${key.sql} IS NULL`, `${key.sql} ${dir}`);
    params.push(...key.params, ...key.params);
  }
  parts.push(`${alias}.rk ASC`);
  return { sql: parts.join(', '), params };
}
