/**
 * Conditional update and conditional delete: `PUT [type]?[search]`, `DELETE [type]?[search]`.
 * The search decides which resource is written; the store makes the decision and the write one atomic step
 * (ResourceStore.conditionalUpdate), so concurrent pushes of one identifier never make two resources.
 * https://hl7.org/fhir/R4/http.html#cond-update https://hl7.org/fhir/R4/http.html#cdelete
 */
import { assertResource } from '../../fhir/structure.ts';
import { fail, issue, outcome } from '../../fhir/outcome.ts';
import { parseSearchQuery } from '../../fhir/search/parse.ts';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse, RestContext } from '../fhir-request.ts';
import { limitsOf } from './limits.ts';
import { resolveJoins } from './search-joins.ts';
import { ifMatchOf, requireBody, respondWritten, validateOnWrite } from './write.ts';

/** The search of a conditional interaction, from the request's query: it must be known and non-empty. */
export async function conditionalSearch(
  ctx: RestContext,
  type: string,
  params: Array<[string, string]>,
  where: string,
): Promise<SearchQuery> {
  const { query, ignored } = parseSearchQuery(type, params, { defaultCount: 2, maxCount: 2 });
  if (ignored.length > 0 || (query.filters.length === 0 && !query.has?.length)) {
    const why = ignored.length > 0 ? `unknown or unsupported parameter(s) ${ignored.join(', ')}` : 'no search criteria';
    fail('invalid', {
      code: 'invalid',
      id: 'CONDITIONAL_CRITERIA_INVALID',
      text: `${where} ?${new URLSearchParams(params).toString()} has ${why}`,
    });
  }
  return resolveJoins(ctx, query);
}

export async function conditionalUpdateResource(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
): Promise<FhirResponse> {
  const body = requireBody(req);
  assertResource(body, type);
  const query = await conditionalSearch(ctx, type, req.query, 'The conditional update');
  const issues = await validateOnWrite(ctx, body as unknown as Resource);
  const result = await ctx.store.conditionalUpdate(body as unknown as Resource, query, { ifMatch: ifMatchOf(req) });
  return respondWritten(ctx, req, result.outcome === 'created' ? 201 : 200, result.resource, issues);
}

/** Deletes the one match (or, when configured, every match up to the limit); more matches: 412, nothing deleted. */
export async function conditionalDeleteResource(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
): Promise<FhirResponse> {
  const limits = limitsOf(ctx.settings);
  const max = limits.conditionalDeleteMultiple ? limits.conditionalDeleteMax : 1;
  const query = await conditionalSearch(ctx, type, req.query, 'The conditional delete');
  const ifMatch = ifMatchOf(req);
  return ctx.store.transaction(async (tx) => {
    const found = await tx.search({
      ...query,
      count: max + 1,
      offset: 0,
      total: 'none',
      include: [],
      revinclude: [],
      sort: [],
    });
    if (found.resources.length > max) {
      const allowed = limits.conditionalDeleteMultiple
        ? `at most ${max} may be deleted at once`
        : 'this server deletes only a single match';
      fail('precondition-failed', {
        code: 'multiple-matches',
        id: 'CONDITIONAL_DELETE_MULTIPLE',
        text: `The conditional delete matched more than ${max} ${type} resource(s); ${allowed}`,
      });
    }
    if (ifMatch !== undefined && found.resources.length !== 1) {
      fail('precondition-failed', {
        code: 'conflict',
        id: 'CONDITIONAL_DELETE_IF_MATCH',
        text: 'If-Match on a conditional delete needs exactly one match',
      });
    }
    const deleted: string[] = [];
    for (const r of found.resources) {
      await tx.delete(type, r.id as string, { ifMatch });
      deleted.push(`${type}/${r.id}`);
    }
    const text = deleted.length === 0 ? `No ${type} matched the conditional delete` : `Deleted ${deleted.join(', ')}`;
    return {
      status: 200,
      resource: outcome([
        issue({
          severity: 'information',
          code: 'informational',
          id: deleted.length ? 'DELETED' : 'DELETE_NOTHING',
          text,
        }),
      ]),
    };
  });
}
