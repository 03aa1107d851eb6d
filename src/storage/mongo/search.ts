/**
 * Runs a `SearchQuery`: one `find` with the translated filter (search-filter.ts), `_sort`, paging by offset
 * inside a snapshot of the write sequence (so that resources created later never shift later pages), `_total`,
 * chained parameters (targets looked up first), and one level of `_include` / `_revinclude`.
 * https://hl7.org/fhir/R4/search.html
 */
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { SearchResult } from '../store.ts';
import type { Filter } from './collection.ts';
import { currentSequence } from './context.ts';
import type { MongoContext } from './context.ts';
import type { ResourceDoc } from './documents.ts';
import { includeResources } from './search-include.ts';
import { chainTargetFilter, queryFilter } from './search-filter.ts';
import { sortSpec } from './search-sort.ts';
import { dateStatsOf } from './date-stats.ts';
import { DATE_ORDER_INDEX, dateOrder, dateOrderCandidate, type DateOrder } from './search-date-order.ts';
import { parseStoredResource } from '../stored-json.ts';

/** Looks up the target ids of every chained filter of the query, keyed by the filter's position. */
async function resolveChains(ctx: MongoContext, query: SearchQuery): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const [i, filter] of query.filters.entries()) {
    if (!filter.chain) continue;
    const docs = await ctx.cols.resources.find(chainTargetFilter(filter), {
      projection: { id: 1 },
      limit: ctx.chainLimit + 1,
      session: ctx.session,
    });
    if (docs.length > ctx.chainLimit) {
      fail('invalid', {
        code: 'too-costly',
        id: 'STORE_CHAIN_TOO_BROAD',
        text: `The chained parameter '${filter.code}' matches more than ${ctx.chainLimit} ${filter.chain.targetType} resources; narrow it`,
        expression: filter.code,
      });
    }
    out.set(
      i,
      docs.map((d) => d.id),
    );
  }
  return out;
}

/** The filter of live resources matching the query now (conditional create and `_total` use it). */
export async function matchFilter(ctx: MongoContext, query: SearchQuery, snapshot?: number): Promise<Filter> {
  return queryFilter(query, { snapshot, chainIds: await resolveChains(ctx, query) });
}

const PAGE_PROJECTION = { id: 1, t: 1, rk: 1, del: 1, json: 1, 'ix.rf': 1 } as const;

/** The date-order plan of the query (search-date-order.ts), when it has one and it is exact. */
async function dateOrderOf(ctx: MongoContext, query: SearchQuery): Promise<DateOrder | undefined> {
  const candidate = dateOrderCandidate(query);
  if (!candidate) return undefined;
  return dateOrder(query, candidate, await dateStatsOf(ctx, query.resourceType, candidate.code));
}

/** Runs the search. */
export async function runSearch(ctx: MongoContext, query: SearchQuery): Promise<SearchResult> {
  const snapshot = query.snapshot ?? (await currentSequence(ctx));
  const chainIds = await resolveChains(ctx, query);
  const total =
    query.total === 'accurate' || query.summaryCount
      ? await ctx.cols.resources.countDocuments(queryFilter(query, { chainIds }), { session: ctx.session })
      : undefined;
  if (query.summaryCount) return { resources: [], included: [], total, snapshot, hasMore: false };
  const order = await dateOrderOf(ctx, query);
  const page = { skip: query.offset, limit: query.count + 1, projection: PAGE_PROJECTION, session: ctx.session };
  // A date order is read in ix_date's own order (no sort: the hinted index scan gives it, and stops at the page).
  const docs: ResourceDoc[] = await ctx.cols.resources.find(
    queryFilter(query, { snapshot, chainIds, ...(order ? { replaced: order } : {}) }),
    order ? { ...page, hint: DATE_ORDER_INDEX } : { ...page, sort: sortSpec(query.resourceType, query.sort) },
  );
  const hasMore = docs.length > query.count;
  // Resources deleted after the snapshot keep their place in it but are not returned.
  const live = docs.slice(0, query.count).filter((d) => d.del === 0 && d.json !== undefined);
  const resources: Resource[] = live.map((d) => parseStoredResource(d.json as string));
  const { resources: included, truncated } = await includeResources(ctx, query, live);
  const result: SearchResult = { resources, included, snapshot, hasMore };
  if (truncated) result.includedTruncated = true;
  if (total !== undefined) result.total = total;
  return result;
}
