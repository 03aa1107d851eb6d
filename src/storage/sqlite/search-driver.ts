/**
 * Picks the index table that drives a page query. When the query has no `_sort` and one filter is a single
 * equality (token code, reference type/id or URL, exact string, uri), its index rows come out in row-key order
 * (see schema.ts), so SQLite reads matches in page order and stops after the page: a search costs the same at
 * 10k and 1M resources. Without an equality, a date filter may drive in date order (search-date-driver.ts).
 * Otherwise the filters are sub-selects and SQLite orders the matches itself.
 */
import type { SearchFilter, SearchQuery } from '../../fhir/search/query.ts';
import type { StoreContext } from './context.ts';
import type { Sql } from './search-conditions.ts';
import { countUpTo } from './search-filters.ts';
import { dateDriver } from './search-date-driver.ts';

export interface Driver {
  /** Indexes of the filters the driver replaces (its conditions imply them). */
  filterIndexes: number[];
  /** `FROM` source aliased `x`, joined to `resources r`. */
  table: string;
  /** Conditions on `x` (pid and value). */
  where: Sql;
  /**
   * The ORDER BY of the page, in the index's own order. Undefined: row-key order, grouped by row key (an
   * equality matches a resource once per matching value, e.g. two identifiers with the same code).
   */
  order?: string;
}

function equality(filter: SearchFilter): { table: string; sql: string; params: string[] } | undefined {
  if (filter.chain || filter.values.length !== 1 || filter.code.startsWith('_id') || filter.code === '_lastUpdated') {
    return undefined;
  }
  const v = filter.values[0];
  if (v?.kind === 'token' && filter.type === 'token' && filter.modifier === undefined && v.code !== undefined) {
    return v.system === undefined
      ? { table: 'idx_token', sql: 'x.code = ?', params: [v.code] }
      : { table: 'idx_token', sql: 'x.code = ? AND x.system = ?', params: [v.code, v.system] };
  }
  if (v?.kind === 'reference' && filter.modifier === undefined) {
    if (v.url !== undefined)
      return { table: 'idx_reference', sql: "x.ref_id = '' AND x.ref_type = '' AND x.url = ?", params: [v.url] };
    if (v.resourceType !== undefined) {
      return {
        table: 'idx_reference',
        sql: "x.ref_id = ? AND x.ref_type = ? AND x.url = ''",
        params: [v.id ?? '', v.resourceType],
      };
    }
  }
  if (v?.kind === 'uri' && filter.modifier === undefined)
    return { table: 'idx_uri', sql: 'x.value = ?', params: [v.value] };
  return undefined;
}

/** How many rows a probe counts at most: enough to tell a selective filter from a broad one. */
export const PROBE_LIMIT = 1000;

function probe(ctx: StoreContext, driver: Driver): number {
  return countUpTo(ctx, { table: driver.table, where: driver.where, negate: false }, PROBE_LIMIT);
}

/**
 * The driving index for the page query, or undefined when sub-selects are the better plan. With several
 * candidates, a bounded count per candidate picks the most selective one (`vaccine-code=x&identifier=y`
 * must be driven by the identifier, not by a code that every resource has).
 */
export function pickDriver(ctx: StoreContext, query: SearchQuery): Driver | undefined {
  if (query.sort.length > 0) return undefined;
  const candidates: Driver[] = [];
  for (let i = 0; i < query.filters.length; i++) {
    const filter = query.filters[i] as SearchFilter;
    const eq = equality(filter);
    if (!eq) continue;
    const pid = ctx.pids.lookup(query.resourceType, filter.code) ?? -1;
    candidates.push({
      filterIndexes: [i],
      table: eq.table,
      where: { sql: `x.pid = ? AND ${eq.sql}`, params: [pid, ...eq.params] },
    });
  }
  // Only without an equality: which driver is chosen (and so the page order) follows from the query's shape.
  if (candidates.length === 0) return dateDriver(ctx, query);
  if (candidates.length === 1) return candidates[0];
  let best = candidates[0] as Driver;
  let bestCount = Infinity;
  for (const candidate of candidates) {
    const n = probe(ctx, candidate);
    if (n < bestCount) [best, bestCount] = [candidate, n];
  }
  return best;
}
