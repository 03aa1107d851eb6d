/**
 * Runs a `SearchQuery`: filters as index sub-selects, `_sort`, paging by offset inside a snapshot (the global
 * sequence at page 1, so that resources created later never shift later pages), `_total`, and one level of
 * `_include` / `_revinclude`.
 * https://hl7.org/fhir/R4/search.html
 */
import type { SQLInputValue } from 'node:sqlite';
import type { SearchFilter, SearchQuery } from '../../fhir/search/query.ts';
import type { SearchResult } from '../store.ts';
import type { StoreContext } from './context.ts';
import { parseStoredResource } from '../stored-json.ts';
import { includeResources } from './search-include.ts';
import { countUpTo, filterSql, indexSource, isPositiveIndexFilter } from './search-filters.ts';
import type { IndexSource } from './search-filters.ts';
import { PROBE_LIMIT, pickDriver } from './search-driver.ts';
import { orderBy } from './search-sort.ts';

/** The current global sequence: the snapshot a new page set starts from. */
export function currentSequence(ctx: StoreContext): number {
  return Number(ctx.stmt('SELECT COALESCE(MAX(seq), 0) AS s FROM history').get()?.s ?? 0);
}

interface Where {
  sql: string;
  params: SQLInputValue[];
}

/**
 * The WHERE clause over `resources r`. With a snapshot, the rows are those that existed then (created at or
 * before it and not deleted at or before it); rows deleted since keep their place but are not returned.
 */
function whereOf(ctx: StoreContext, query: SearchQuery, snapshot: number | undefined, plan: Plan): Where {
  const parts = ['r.rtype = ?'];
  const params: SQLInputValue[] = [query.resourceType];
  if (snapshot === undefined) parts.push('r.deleted = 0');
  else parts.push('r.created_seq <= ?', '(r.deleted = 0 OR r.deleted > ?)'), params.push(snapshot, snapshot);
  for (const [i, filter] of query.filters.entries()) {
    if (plan.skip.includes(i)) continue;
    const f = filterSql(ctx, filter, query.resourceType, 'r', i === plan.inIndex ? 'in' : 'exists');
    parts.push(f.sql);
    params.push(...f.params);
  }
  return { sql: parts.join(' AND '), params };
}

/**
 * Which filter is evaluated how: `skip` are the driver's (see search-driver.ts), `inIndex` the one whose matches
 * are materialised to drive the query (-1: none); all others are probed per candidate row (EXISTS).
 */
interface Plan {
  skip: number[];
  inIndex: number;
}

/** The first positive index filter drives (materialised once); the others are probed per candidate row. */
function inPlan(ctx: StoreContext, query: SearchQuery): Plan {
  return { skip: [], inIndex: query.filters.findIndex((f) => isPositiveIndexFilter(ctx, f, query.resourceType)) };
}

/**
 * Plan for a page without a driver: when there is no `_sort` and the would-be driving filter matches many
 * rows, scanning resources in row-key order and probing every filter stops as soon as the page is full,
 * instead of materialising every match first.
 */
function pagePlan(ctx: StoreContext, query: SearchQuery): Plan {
  const plan = inPlan(ctx, query);
  if (query.sort.length > 0 || plan.inIndex < 0) return plan;
  const src = indexSource(ctx, query.filters[plan.inIndex] as SearchFilter, query.resourceType) as IndexSource;
  return countUpTo(ctx, src, PROBE_LIMIT) >= PROBE_LIMIT ? { skip: [], inIndex: -1 } : plan;
}

/** Ids of live resources matching the filters, up to `limit` (conditional create / update use it). */
export function matchingIds(ctx: StoreContext, query: SearchQuery, limit: number): string[] {
  const where = whereOf(ctx, query, undefined, inPlan(ctx, query));
  const rows = ctx.stmt(`SELECT r.id FROM resources r WHERE ${where.sql} LIMIT ?`).all(...where.params, limit);
  return rows.map((r) => String(r.id));
}

function countOf(ctx: StoreContext, query: SearchQuery): number {
  const where = whereOf(ctx, query, undefined, inPlan(ctx, query));
  return Number(ctx.stmt(`SELECT COUNT(*) AS n FROM resources r WHERE ${where.sql}`).get(...where.params)?.n ?? 0);
}

interface PageRow {
  rk: number;
  deleted: number;
  content: string | null;
}

function pageRows(ctx: StoreContext, query: SearchQuery, snapshot: number): PageRow[] {
  const driver = pickDriver(ctx, query);
  let rows: Record<string, unknown>[];
  if (driver) {
    const where = whereOf(ctx, query, snapshot, { skip: driver.filterIndexes, inIndex: -1 });
    const tail = driver.order ? `ORDER BY ${driver.order}` : 'GROUP BY x.rk ORDER BY x.rk';
    const sql =
      `SELECT r.rk, r.deleted, h.content FROM ${driver.table} x JOIN resources r ON r.rk = x.rk ` +
      `JOIN history h ON h.seq = r.seq WHERE ${driver.where.sql} AND ${where.sql} ${tail} LIMIT ? OFFSET ?`;
    rows = ctx.stmt(sql).all(...driver.where.params, ...where.params, query.count + 1, query.offset);
  } else {
    const where = whereOf(ctx, query, snapshot, pagePlan(ctx, query));
    const order = orderBy(ctx, query.resourceType, query.sort, 'r');
    const sql =
      `SELECT r.rk, r.deleted, h.content FROM resources r JOIN history h ON h.seq = r.seq ` +
      `WHERE ${where.sql} ORDER BY ${order.sql} LIMIT ? OFFSET ?`;
    rows = ctx.stmt(sql).all(...where.params, ...order.params, query.count + 1, query.offset);
  }
  return rows.map((r) => ({ rk: Number(r.rk), deleted: Number(r.deleted), content: r.content as string | null }));
}

/** Runs the search; synchronous, call it from the store's queue. */
export function runSearch(ctx: StoreContext, query: SearchQuery): SearchResult {
  const snapshot = query.snapshot ?? currentSequence(ctx);
  const total = query.total === 'accurate' || query.summaryCount ? countOf(ctx, query) : undefined;
  if (query.summaryCount) return { resources: [], included: [], total, snapshot, hasMore: false };
  const rows = pageRows(ctx, query, snapshot);
  const hasMore = rows.length > query.count;
  const page = rows.slice(0, query.count).filter((r) => r.deleted === 0 && r.content !== null);
  const resources = page.map((r) => parseStoredResource(r.content as string));
  const { resources: included, truncated } = includeResources(
    ctx,
    query,
    page.map((r) => r.rk),
    resources,
  );
  const result: SearchResult = { resources, included, snapshot, hasMore };
  if (truncated) result.includedTruncated = true;
  if (total !== undefined) result.total = total;
  return result;
}
