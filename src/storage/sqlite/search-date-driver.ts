/**
 * A date search drives its page from idx_date's (pid, low, high, rk) key, read in that order: the page costs
 * the rows it returns (plus `_offset`), not the number of matches, so a one-month range is as fast over a
 * million Immunizations as over ten thousand. Without it the date filter was either materialised (every match
 * read and sorted by row key) or probed row by row in row-key order (a scan until the page fills), both of
 * which grow with the store. Results then come in date order; FHIR leaves the order of an unsorted search to
 * the server (https://hl7.org/fhir/R4/search.html#sort), and the order depends only on the query's shape, so
 * every page of a page set uses the same one.
 *
 * Two things keep it exact (see `date_stats` in schema.ts):
 * - `ge`/`gt` bound `high`, not the `low` the key starts with. A row with high > H has low > H - span, where span
 *   is the widest row ever indexed under the parameter, so `low > H - span` is added: the range is then bounded
 *   on both sides, and the condition is implied, never a filter of its own.
 * - Several date filters on one parameter (`date=ge2021-01-01&date=lt2021-02-01`) are tested on the same row,
 *   which is what FHIR means only when each resource has one value: that is checked in `multi` (any resource
 *   ever indexed with two or more rows under the parameter). When a resource may have several rows, one filter
 *   alone may drive, and a NOT EXISTS keeps only each resource's first matching row, so no resource comes twice.
 */
import type { SQLInputValue } from 'node:sqlite';
import type { SearchFilter, SearchQuery } from '../../fhir/search/query.ts';
import type { StoreContext } from './context.ts';
import { dateCondition } from './search-conditions.ts';
import type { Sql } from './search-conditions.ts';
import type { Driver } from './search-driver.ts';
import { drivable, UNBOUNDED_SPAN } from '../date-driving.ts';

/** `low > H - span` for a `high > H` condition (ge: H = ql, gt: H = qh), when it bounds anything. */
function lowFloor(filter: SearchFilter, span: number): number | undefined {
  const v = filter.values[0];
  if (v?.kind !== 'date' || span >= UNBOUNDED_SPAN) return undefined;
  const h = v.prefix === 'ge' ? v.low : v.prefix === 'gt' ? v.high : undefined;
  if (h === undefined) return undefined;
  const floor = h - span;
  return Number.isSafeInteger(floor) ? floor : undefined;
}

function conditions(filters: SearchFilter[], low: string, high: string): Sql {
  const parts: string[] = [];
  const params: SQLInputValue[] = [];
  for (const f of filters) {
    const v = f.values[0];
    if (v?.kind !== 'date') continue;
    const c = dateCondition(v.prefix, low, high, v.low, v.high);
    parts.push(c.sql);
    params.push(...c.params);
  }
  return { sql: parts.join(' AND '), params };
}

function driverFor(ctx: StoreContext, pid: number, filters: SearchFilter[], indexes: number[], multi: boolean): Driver {
  const span = ctx.pids.dateStats(pid)?.span ?? 0;
  const own = conditions(filters, 'x.low', 'x.high');
  const parts = ['x.pid = ?', own.sql];
  const params: SQLInputValue[] = [pid, ...own.params];
  for (const f of filters) {
    const floor = lowFloor(f, span);
    if (floor === undefined) continue;
    parts.push('x.low > ?');
    params.push(floor);
  }
  if (multi) {
    // Only the resource's first matching row in (low, high) order: each resource once per page set.
    const same = conditions(filters, 'y.low', 'y.high');
    parts.push(
      'NOT EXISTS (SELECT 1 FROM idx_date y INDEXED BY idx_date_rk WHERE y.rk = x.rk AND y.pid = x.pid ' +
        `AND (y.low < x.low OR (y.low = x.low AND y.high < x.high)) AND ${same.sql})`,
    );
    params.push(...same.params);
  }
  return {
    filterIndexes: indexes,
    table: 'idx_date',
    where: { sql: parts.join(' AND '), params },
    order: 'x.low, x.high, x.rk',
  };
}

/**
 * The date driver of a query without `_sort`, or undefined when no date filter can drive. The first parameter
 * (in query order) with drivable filters is chosen: all of them when its resources have one row each, else
 * the parameter's only drivable filter.
 */
export function dateDriver(ctx: StoreContext, query: SearchQuery): Driver | undefined {
  const byCode = new Map<string, number[]>();
  for (const [i, filter] of query.filters.entries()) {
    if (drivable(filter)) byCode.set(filter.code, [...(byCode.get(filter.code) ?? []), i]);
  }
  for (const [code, indexes] of byCode) {
    const pid = ctx.pids.lookup(query.resourceType, code) ?? -1;
    const multi = ctx.pids.dateStats(pid)?.multi === true;
    if (multi && indexes.length > 1) continue; // one filter alone would scan an open-ended range
    const filters = indexes.map((i) => query.filters[i] as SearchFilter);
    return driverFor(ctx, pid, filters, indexes, multi);
  }
  return undefined;
}
