/**
 * Type-level search (GET and POST _search) answered as a searchset Bundle. https://hl7.org/fhir/R4/search.html
 * Unknown parameters are ignored and reported in an OperationOutcome entry, or rejected under `Prefer: handling=strict`.
 */
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import { parseSearchQuery } from '../../fhir/search/parse.ts';
import { fail, issue, outcome } from '../../fhir/outcome.ts';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { SearchResult } from '../../storage/store.ts';
import { CONFORMANCE_TYPES } from './conformance.ts';
import { preferOf, type FhirRequest, type FhirResponse, type RestContext } from '../fhir-request.ts';
import { queryString, resourceUrl } from './links.ts';
import { resolveJoins } from './search-joins.ts';
import { subsetResource } from '../../fhir/subset.ts';
import { hiddenFromSearch } from '../security-records.ts';

/**
 * Most search criteria (AND-ed filters) and values (OR-ed within them) one search may hold: every one becomes a clause
 * of the database query, whose expression depth and parameter count are bounded (SQLite: depth 1000).
 */
const MAX_SEARCH_FILTERS = 64;
const MAX_SEARCH_VALUES = 512;

function checkSearchSize(query: SearchQuery): void {
  const values = query.filters.reduce(
    (n, f) => n + Math.max(1, f.values.length) + (f.chain ? Math.max(1, f.chain.filter.values.length) : 0),
    0,
  );
  if (query.filters.length > MAX_SEARCH_FILTERS || values > MAX_SEARCH_VALUES) {
    fail('invalid', {
      code: 'too-costly',
      id: 'SEARCH_TOO_COMPLEX',
      text: `The search has ${query.filters.length} criteria with ${values} values; at most ${MAX_SEARCH_FILTERS} criteria and ${MAX_SEARCH_VALUES} values are accepted`,
    });
  }
}

/** Parameters the paging links rewrite; every other parameter is carried over unchanged. */
const PAGING_PARAMS = new Set(['_count', '_offset', '_snapshot']);

export async function searchType(ctx: RestContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  const { query: parsed, ignored } = parseSearchQuery(type, req.query, {
    defaultCount: ctx.settings.searchDefaultCount,
    maxCount: ctx.settings.searchMaxCount,
  });
  if (ignored.length > 0 && preferOf(req).strict) {
    fail('invalid', {
      code: 'not-supported',
      id: 'SEARCH_PARAM_UNKNOWN',
      text: `Unknown or unsupported search parameter(s) for ${type}: ${ignored.join(', ')}`,
      expression: ignored.map((p) => `${type}?${p}`),
    });
  }
  const query = await resolveJoins(ctx, { ...parsed, filters: [...parsed.filters, ...hiddenFromSearch(type)] });
  checkSearchSize(query);
  query.includeLimit = Math.min(query.count, ctx.settings.searchMaxIncludes ?? query.count);
  ctx.budget?.check();
  const packaged = CONFORMANCE_TYPES.has(type) ? ctx.conformance?.().search(type, query.filters) : undefined;
  const result = packaged ? await searchWithPackaged(ctx, query, packaged) : await ctx.store.search(query);
  ctx.budget?.check();
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset' };
  if (result.total !== undefined) bundle.total = result.total;
  bundle.link = pageLinks(ctx, req, type, query, result.snapshot, result.hasMore);
  const entries: BundleEntry[] = [
    ...result.resources.map((r) => entryOf(ctx, subsetResource(r, query), 'match')),
    ...result.included.map((r) => entryOf(ctx, r, 'include')),
  ];
  if (result.includedTruncated)
    entries.push({ resource: includesTruncated(query.includeLimit), search: { mode: 'outcome' } });
  if (ignored.length > 0) entries.push({ resource: ignoredOutcome(type, ignored), search: { mode: 'outcome' } });
  if (CONFORMANCE_TYPES.has(type) && !packaged && ctx.conformance)
    entries.push({ resource: packagesNotSearched(type), search: { mode: 'outcome' } });
  if (entries.length > 0) bundle.entry = entries;
  return { status: 200, resource: bundle };
}

/**
 * Package resources come first, then stored ones: one list paged by offset. The package view is immutable
 * between page requests unless a package is installed, so the snapshot of the stored part keeps pages stable.
 */
async function searchWithPackaged(ctx: RestContext, query: SearchQuery, packaged: Resource[]): Promise<SearchResult> {
  const fromPackages = query.summaryCount ? [] : packaged.slice(query.offset, query.offset + query.count);
  const storeOffset = Math.max(0, query.offset - packaged.length);
  const storeCount = query.count - fromPackages.length;
  const stored = await ctx.store.search({
    ...query,
    offset: storeOffset,
    count: Math.max(storeCount, 0),
    total: 'accurate',
  });
  const resources = storeCount > 0 ? [...fromPackages, ...stored.resources] : fromPackages;
  return {
    ...stored,
    resources,
    total: (stored.total ?? 0) + packaged.length,
    hasMore: query.offset + resources.length < packaged.length + (stored.total ?? 0),
  };
}

function includesTruncated(limit: number): Resource {
  return outcome([
    issue({
      severity: 'warning',
      code: 'too-costly',
      id: 'SEARCH_INCLUDES_TRUNCATED',
      text: `More resources match _include/_revinclude than the ${limit} one page may include (the page's _count, at most SEARCH_MAX_INCLUDES); the included resources are incomplete`,
    }),
  ]);
}

function packagesNotSearched(type: string): Resource {
  return outcome([
    issue({
      severity: 'information',
      code: 'informational',
      id: 'SEARCH_PACKAGES_NOT_SEARCHED',
      text: `The ${type} resources of the loaded IG packages can be searched by _id, url, version, name and status only; this search covered stored resources`,
    }),
  ]);
}

function entryOf(ctx: RestContext, resource: Resource, mode: 'match' | 'include'): BundleEntry {
  return {
    fullUrl: resourceUrl(ctx.settings, resource.resourceType, resource.id as string),
    resource,
    search: { mode },
  };
}

function ignoredOutcome(type: string, ignored: string[]): Resource {
  return outcome(
    ignored.map((p) =>
      issue({
        severity: 'warning',
        code: 'not-supported',
        id: 'SEARCH_PARAM_IGNORED',
        text: `The search parameter "${p}" is unknown or unsupported for ${type} and was ignored`,
        expression: `${type}?${p}`,
      }),
    ),
  );
}

/** self / next / previous, all pinned to the snapshot of page 1 so that later writes do not shift the pages. */
function pageLinks(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
  query: SearchQuery,
  snapshot: number,
  hasMore: boolean,
): BundleLink[] {
  const kept = req.query.filter(([k]) => !PAGING_PARAMS.has(k));
  const page = (offset: number): string =>
    `${ctx.settings.baseUrl}/${type}?${queryString([
      ...kept,
      ['_count', String(query.count)],
      ['_offset', String(offset)],
      ['_snapshot', String(snapshot)],
    ])}`;
  const links: BundleLink[] = [{ relation: 'self', url: page(query.offset) }];
  if (query.summaryCount) return links;
  if (hasMore) links.push({ relation: 'next', url: page(query.offset + query.count) });
  if (query.offset > 0) links.push({ relation: 'previous', url: page(Math.max(0, query.offset - query.count)) });
  return links;
}
