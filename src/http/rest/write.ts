/**
 * create, update and delete. https://hl7.org/fhir/R4/http.html#create
 * Every write passes the structural floor (fhir/structure.ts) before the store sees it.
 */
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { parseSearchQuery } from '../../fhir/search/parse.ts';
import { assertResource } from '../../fhir/structure.ts';
import { toPlainJson } from '../../fhir/json.ts';
import { fail, issue, outcome, OutcomeError } from '../../fhir/outcome.ts';
import type { SearchQuery } from '../../fhir/search/query.ts';
import { etagOf, parseETag, preferOf, type FhirRequest, type FhirResponse, type RestContext } from '../fhir-request.ts';
import { writeHeaders } from './links.ts';

export interface CreateExtras {
  /** Pre-assigned id (transactions). */
  id?: string;
}

export async function createResource(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
  extras: CreateExtras = {},
): Promise<FhirResponse> {
  const body = requireBody(req);
  assertResource(body, type);
  const resource = { ...body } as Resource;
  delete (resource as { id?: string }).id; // the server assigns ids on create (R4 http.html#create)
  const issues = await validateOnWrite(ctx, resource);
  const ifNoneExist = req.headers.ifNoneExist
    ? conditionalQuery(type, req.headers.ifNoneExist, 'If-None-Exist')
    : undefined;
  const result = await ctx.store.create(resource, { ifNoneExist, id: extras.id });
  const status = result.outcome === 'created' ? 201 : 200;
  return respondWritten(ctx, req, status, result.resource, issues);
}

export async function updateResource(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
  id: string,
): Promise<FhirResponse> {
  const body = requireBody(req);
  assertResource(body, type);
  if (body.id === undefined) {
    fail('invalid', {
      code: 'required',
      id: 'UPDATE_ID_MISSING',
      text: 'An update must carry the id of the resource',
      expression: `${type}.id`,
    });
  }
  if (body.id !== id) {
    fail('invalid', {
      code: 'invalid',
      id: 'UPDATE_ID_MISMATCH',
      text: `The body's id "${body.id}" differs from the URL's "${id}"`,
      expression: `${type}.id`,
    });
  }
  const issues = await validateOnWrite(ctx, body);
  const ifMatch = ifMatchOf(req);
  const result = await ctx.store.update(body, { ifMatch });
  return respondWritten(ctx, req, result.outcome === 'created' ? 201 : 200, result.resource, issues);
}

export async function deleteResource(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
  id: string,
): Promise<FhirResponse> {
  const result = await ctx.store.delete(type, id, { ifMatch: ifMatchOf(req) });
  const headers: Record<string, string> = result.versionId ? { ETag: etagOf(result.versionId) } : {};
  const text = result.versionId ? `Deleted ${type}/${id}` : `${type}/${id} did not exist or was already deleted`;
  return {
    status: 200,
    resource: outcome([
      issue({
        severity: 'information',
        code: 'informational',
        id: result.versionId ? 'DELETED' : 'DELETE_NOTHING',
        text,
      }),
    ]),
    headers,
  };
}

/** Parses a conditional criteria string (If-None-Exist, a conditional reference) into a query that must be usable. */
export function conditionalQuery(type: string, criteria: string, where: string): SearchQuery {
  const params = [...new URLSearchParams(criteria.replace(/^\?/, '')).entries()];
  const { query, ignored } = parseSearchQuery(type, params, { defaultCount: 2, maxCount: 2 });
  if (ignored.length > 0 || query.filters.length === 0) {
    const why = ignored.length > 0 ? `unknown or unsupported parameter(s) ${ignored.join(', ')}` : 'no search criteria';
    fail('invalid', { code: 'invalid', id: 'CONDITIONAL_CRITERIA_INVALID', text: `${where} "${criteria}" has ${why}` });
  }
  return query;
}

export function ifMatchOf(req: FhirRequest): string | undefined {
  if (req.headers.ifMatch === undefined) return undefined;
  const version = parseETag(req.headers.ifMatch);
  if (version === undefined) {
    fail('invalid', {
      code: 'invalid',
      id: 'IF_MATCH_INVALID',
      text: `If-Match must be an ETag like W/"1", got ${req.headers.ifMatch}`,
    });
  }
  return version;
}

export function requireBody(req: FhirRequest): Record<string, unknown> {
  if (req.body === undefined)
    fail('invalid', { code: 'required', id: 'BODY_MISSING', text: 'This interaction needs a resource in the body' });
  return req.body as Record<string, unknown>;
}

/** Ingest validation (ingest-policy.ts): strict errors refuse the write with 422 before anything is stored. */
export async function validateOnWrite(ctx: RestContext, resource: Resource): Promise<OperationOutcomeIssue[]> {
  const policy = ctx.ingest?.();
  if (!policy) return [];
  const plain = toPlainJson(resource) as { resourceType: string };
  // A large resource is validated in a worker thread (validation-pool.ts); the write stays here, in the store queue.
  const away = policy.mode === 'off' ? undefined : ctx.ingestOffThread?.(plain, ctx.budget);
  const verdict = away ? await away : policy.check(plain, ctx.budget);
  if (verdict.reject) throw new OutcomeError('unprocessable', verdict.issues);
  return verdict.issues;
}

export function respondWritten(
  ctx: RestContext,
  req: FhirRequest,
  status: number,
  resource: Resource,
  issues: OperationOutcomeIssue[],
): FhirResponse {
  const headers = writeHeaders(ctx.settings, resource);
  const text =
    status === 201
      ? `Created ${resource.resourceType}/${resource.id}`
      : `Stored ${resource.resourceType}/${resource.id}`;
  const written = outcome([
    issue({ severity: 'information', code: 'informational', id: status === 201 ? 'CREATED' : 'STORED', text }),
    ...issues,
  ]);
  const prefer = preferOf(req).return;
  const extra = issues.length > 0 ? { outcome: written } : {};
  if (prefer === 'minimal') return { status, headers, ...extra };
  if (prefer === 'OperationOutcome') return { status, headers, resource: written };
  return { status, headers, resource, ...extra };
}
