/**
 * The joins storage adapters do not run: `_has` (reverse chaining) and chains deeper than one level. Each is
 * turned into plain filters by a bounded search first, so both adapters answer them the same way:
 * - `_has:Immunization:patient:vaccine-code=X` on Patient → the Patients that the matching Immunizations point at
 *   (found with `_include`), as an `_id` filter;
 * - `subject:Patient.organization.name=X` → the Organizations named X, as a reference filter on the inner step.
 * A step matching more than `searchJoinMax` resources is refused (400) rather than fanned out over the database.
 * https://hl7.org/fhir/R4/search.html#has https://hl7.org/fhir/R4/search.html#chaining
 */
import { fail } from '../../fhir/outcome.ts';
import type { HasFilter, SearchFilter, SearchQuery, SearchValue } from '../../fhir/search/query.ts';
import type { Resource } from '@medplum/fhirtypes';
import type { RestContext } from '../fhir-request.ts';
import { limitsOf } from './limits.ts';

/** No resource has this id (FHIR ids are [A-Za-z0-9.-]): an `_id` filter on it matches nothing. */
const NO_ID = '!none';

function joinQuery(
  resourceType: string,
  filters: SearchFilter[],
  count: number,
  include: SearchQuery['include'] = [],
): SearchQuery {
  return {
    resourceType,
    filters,
    sort: [],
    count,
    offset: 0,
    total: 'none',
    summaryCount: false,
    include,
    revinclude: [],
  };
}

function tooMany(what: string, max: number): never {
  return fail('invalid', {
    code: 'too-costly',
    id: 'SEARCH_JOIN_TOO_BROAD',
    text: `${what} matches more than ${max} resources; narrow it (the server's limit is SEARCH_JOIN_MAX=${max})`,
  });
}

async function joinMatches(
  ctx: RestContext,
  query: SearchQuery,
  what: string,
): Promise<{ resources: Resource[]; included: Resource[] }> {
  const max = limitsOf(ctx.settings).searchJoinMax;
  const found = await ctx.store.search({ ...query, count: max + 1 });
  if (found.resources.length > max) tooMany(what, max);
  return found;
}

async function resolveHas(ctx: RestContext, resourceType: string, has: HasFilter): Promise<SearchFilter> {
  const filter = await resolveFilter(ctx, has.sourceType, has.filter);
  const include = [{ sourceType: has.sourceType, paramCode: has.paramCode, targetType: resourceType }];
  const found = await joinMatches(
    ctx,
    joinQuery(has.sourceType, [filter], 0, include),
    `_has:${has.sourceType}:${has.paramCode}`,
  );
  const ids = [...new Set(found.included.filter((r) => r.resourceType === resourceType).map((r) => r.id as string))];
  const values: SearchValue[] = (ids.length > 0 ? ids : [NO_ID]).map((code) => ({ kind: 'token', code }));
  return { code: '_id', type: 'token', values };
}

/** A chain whose inner step is itself a chain becomes a reference filter on the ids the inner chain matches. */
async function resolveFilter(ctx: RestContext, resourceType: string, filter: SearchFilter): Promise<SearchFilter> {
  const chain = filter.chain;
  if (!chain?.filter.chain || !chain.targetType) return filter;
  const inner = await resolveFilter(ctx, chain.targetType, chain.filter);
  const found = await joinMatches(
    ctx,
    joinQuery(chain.targetType, [inner], 0),
    `The chain ${filter.code}.${chain.filter.code} on ${resourceType}`,
  );
  const ids = found.resources.map((r) => r.id as string);
  const values: SearchValue[] = (ids.length > 0 ? ids : [NO_ID]).map((id) => ({
    kind: 'reference',
    resourceType: chain.targetType,
    id,
  }));
  return { code: filter.code, type: 'reference', values };
}

/** The query with its `_has` filters and deep chains turned into filters every adapter runs. */
export async function resolveJoins(ctx: RestContext, query: SearchQuery): Promise<SearchQuery> {
  const deep = query.filters.some((f) => f.chain?.filter.chain);
  if (!deep && !query.has?.length) return query;
  const filters = await Promise.all(query.filters.map((f) => resolveFilter(ctx, query.resourceType, f)));
  for (const has of query.has ?? []) filters.push(await resolveHas(ctx, query.resourceType, has));
  const { has: _done, ...rest } = query;
  return { ...rest, filters };
}
