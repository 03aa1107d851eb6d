/**
 * Which date filters may drive a search in date order, for both stores (SQLite's date driver and MongoDB's
 * `ix_date` plan, ADRs 0060 and 0070): one plain `date` value whose prefix implies a range that rows read in `low`
 * order mostly match. `eb` (high <= x) is left out, as a scan from the lowest `low` would pass every later row
 * before knowing the page is complete.
 */
import type { SearchFilter } from '../fhir/search/query.ts';

const DRIVING = new Set(['eq', 'gt', 'lt', 'ge', 'le', 'sa']);

/** Spans at or above this are open periods: `H - span` would leave the safe integers and bound nothing. */
export const UNBOUNDED_SPAN = 1e15;

export function drivable(filter: SearchFilter): boolean {
  const v = filter.values[0];
  return (
    filter.type === 'date' &&
    filter.code !== '_lastUpdated' &&
    filter.chain === undefined &&
    filter.modifier === undefined &&
    filter.values.length === 1 &&
    v?.kind === 'date' &&
    DRIVING.has(v.prefix)
  );
}
