/**
 * A date-range search without `_sort` and without an equality filter, read from `ix_date` in its own order: the
 * MongoDB counterpart of SQLite's date driver (ADR 0060, ADR 0070). The driving parameter's filters become one
 * `$elemMatch` that bounds `ix.dt.lo` on both sides, and the find is hinted to `ix_date` without a sort, so the
 * server walks the index over the range and stops after the page instead of reading every match from the type's
 * first date and sorting them in memory by `rk`.
 *
 * Exact by the same two facts as SQLite (date-stats.ts):
 * - `ge`/`gt` bound `hi`, not `lo`; a row has `lo >= hi - span`, so `lo >= H - span` is implied and added.
 *   Every bound added is implied by the filter's own conditions, which stay: the bounds narrow the index scan,
 *   never the matches. An open period (span >= 10^15) leaves that side open.
 * - Several filters on the parameter go into the same `$elemMatch` (tested on one row) only when no resource
 *   ever had two rows under it (`multi` 0); FHIR ANDs filters, not values. When `multi` is 1 a single filter
 *   still drives (a document is returned once however many of its keys are in range); two or more keep the
 *   former plan.
 * `eb` never drives (a scan from the lowest `lo` would pass every later row), nor `ne` and `ap`.
 */
import type { SearchFilter, SearchQuery } from '../../fhir/search/query.ts';
import type { Filter } from './collection.ts';
import type { DateStats } from './date-stats.ts';
import { dateMatch, num, text } from './search-values.ts';
import { drivable, UNBOUNDED_SPAN } from '../date-driving.ts';

/** The index the plan is read from (indexes.ts). */
export const DATE_ORDER_INDEX = 'ix_date';

export interface DateOrder {
  /** Positions in `query.filters` the `match` replaces. */
  filterIndexes: number[];
  /** One `$elemMatch` on `ix.dt` carrying every replaced filter's conditions and the `lo` bounds. */
  match: Filter;
}

/** A single equality the planner would rather use (the filters SQLite's equality driver takes). */
function equality(filter: SearchFilter): boolean {
  if (filter.chain || filter.values.length !== 1 || filter.code.startsWith('_id') || filter.code === '_lastUpdated')
    return false;
  const v = filter.values[0];
  if (filter.modifier !== undefined) return false;
  if (v?.kind === 'token') return filter.type === 'token' && v.code !== undefined;
  return v?.kind === 'reference' || v?.kind === 'uri';
}

/**
 * The parameter that may drive and the positions of its drivable filters: the first in query order, and only
 * when the query has no `_sort` and no equality (the choice, and so the page order, follows the query's shape).
 */
export function dateOrderCandidate(query: SearchQuery): { code: string; filterIndexes: number[] } | undefined {
  if (query.sort.length > 0 || query.filters.some(equality)) return undefined;
  const first = query.filters.find(drivable);
  if (!first) return undefined;
  const filterIndexes = query.filters.flatMap((f, i) => (drivable(f) && f.code === first.code ? [i] : []));
  return { code: first.code, filterIndexes };
}

/** The `lo` range one filter implies: [floor, ceiling], either side possibly open. */
function loBounds(filter: SearchFilter, span: number): { floor?: number; ceiling?: number } {
  const v = filter.values[0] as Extract<SearchFilter['values'][number], { kind: 'date' }>;
  const [ql, qh] = [num(v.low), num(v.high)];
  const floorFrom = (h: number) => {
    const floor = h - span;
    return span < UNBOUNDED_SPAN && Number.isSafeInteger(floor) ? floor : undefined;
  };
  switch (v.prefix) {
    case 'eq':
      return { floor: ql, ceiling: qh }; // lo >= ql, lo <= hi <= qh
    case 'lt':
      return { ceiling: ql }; // lo < ql
    case 'le':
      return { ceiling: qh }; // lo < ql, or lo <= hi <= qh
    case 'sa':
      return { floor: qh }; // lo >= qh
    case 'gt':
      return { floor: floorFrom(qh) }; // hi > qh
    case 'ge':
      return { floor: floorFrom(ql) }; // hi > qh, or hi >= lo >= ql
    default:
      return {};
  }
}

/**
 * The plan for the candidate's filters given its parameter's facts, or undefined when it would not be exact
 * (facts unknown, or several filters on a multi-valued parameter).
 */
export function dateOrder(
  query: SearchQuery,
  candidate: { code: string; filterIndexes: number[] },
  stats: DateStats | undefined,
): DateOrder | undefined {
  if (!stats) return undefined;
  if (stats.multi && candidate.filterIndexes.length > 1) return undefined;
  const filters = candidate.filterIndexes.map((i) => query.filters[i] as SearchFilter);
  let floor: number | undefined;
  let ceiling: number | undefined;
  const conditions: Filter[] = [];
  for (const f of filters) {
    const v = f.values[0] as Extract<SearchFilter['values'][number], { kind: 'date' }>;
    conditions.push(dateMatch(v.prefix, v.low, v.high));
    const b = loBounds(f, stats.span);
    if (b.floor !== undefined) floor = floor === undefined ? b.floor : Math.max(floor, b.floor);
    if (b.ceiling !== undefined) ceiling = ceiling === undefined ? b.ceiling : Math.min(ceiling, b.ceiling);
  }
  const lo: Filter = {};
  if (floor !== undefined) lo.$gte = floor;
  if (ceiling !== undefined) lo.$lte = ceiling;
  const element: Filter = { p: text(candidate.code) };
  if (Object.keys(lo).length > 0) element.lo = lo;
  element.$and = conditions;
  return { filterIndexes: candidate.filterIndexes, match: { 'ix.dt': { $elemMatch: element } } };
}
