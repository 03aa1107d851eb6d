/**
 * PATCH `[type]/[id]` and conditional PATCH `[type]?[search]`, with a JSON Patch (`application/json-patch+json`)
 * or a FHIRPath Patch (a `Parameters` body). The patched resource is checked and validated like any write, and
 * stored as the next version only if the version it was made from is still current (If-Match when the client
 * gave one, else the version read), so concurrent patches never lose each other's changes.
 * https://hl7.org/fhir/R4/http.html#patch
 */
import type { Binary, Parameters, Resource } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import { applyFhirPathPatch } from '../../fhir/patch/fhirpath-patch.ts';
import { applyJsonPatch } from '../../fhir/patch/json-patch.ts';
import { restoreRawNumbers } from '../../fhir/patch/raw-numbers.ts';
import { toPlainJson } from '../../fhir/json.ts';
import type { PatchLimits } from '../../fhir/patch/patch-error.ts';
import { assertResource } from '../../fhir/structure.ts';
import type { FhirRequest, FhirResponse, RestContext } from '../fhir-request.ts';
import { conditionalSearch } from './conditional.ts';
import { limitsOf } from './limits.ts';
import { ifMatchOf, requireBody, respondWritten, validateOnWrite } from './write.ts';

/** What `copy` operations may duplicate in total. */
const MAX_COPIED_BYTES = 1024 * 1024;

type Patcher = (resource: Resource) => Resource;

/** The patch document of the request: JSON Patch by media type (or a Binary of it in a Bundle), else FHIRPath Patch. */
function patcherOf(ctx: RestContext, req: FhirRequest): Patcher {
  const body = requireBody(req) as unknown;
  const limits: PatchLimits = {
    maxOperations: limitsOf(ctx.settings).patchMaxOperations,
    maxCopiedBytes: MAX_COPIED_BYTES,
  };
  const media = (req.headers.contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media === 'application/json-patch+json' || Array.isArray(body)) return (r) => applyJsonPatch(r, body, limits);
  const resource = body as { resourceType?: string };
  if (resource.resourceType === 'Binary' && (resource as Binary).contentType === 'application/json-patch+json') {
    const text = Buffer.from((resource as Binary).data ?? '', 'base64').toString('utf8');
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      fail('invalid', {
        code: 'structure',
        id: 'PATCH_INVALID',
        text: 'The Binary does not hold a JSON Patch document',
      });
    }
    return (r) => applyJsonPatch(r, document, limits);
  }
  if (resource.resourceType === 'Parameters') {
    assertResource(body, 'Parameters');
    return (r) => applyFhirPathPatch(r, body as Parameters, limits);
  }
  return fail('unsupported-media-type', {
    code: 'not-supported',
    id: 'PATCH_FORMAT_UNSUPPORTED',
    text: 'PATCH takes a JSON Patch (Content-Type: application/json-patch+json) or a FHIRPath Patch (a Parameters resource)',
  });
}

async function patchStored(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
  id: string,
  patcher: Patcher,
): Promise<FhirResponse> {
  const found = await ctx.store.read(type, id);
  if (found.status === 'missing')
    fail('not-found', { code: 'not-found', id: 'RESOURCE_NOT_FOUND', text: `${type}/${id} is not known` });
  if (found.status === 'deleted')
    fail('gone', {
      code: 'deleted',
      id: 'RESOURCE_DELETED',
      text: `${type}/${id} was deleted (version ${found.versionId})`,
    });
  const current = found.resource;
  const ifMatch = ifMatchOf(req);
  if (ifMatch !== undefined && ifMatch !== current.meta?.versionId) {
    fail('precondition-failed', {
      code: 'conflict',
      id: 'STORE_VERSION_MISMATCH',
      text: `${type}/${id} is at version ${current.meta?.versionId}, not '${ifMatch}'`,
    });
  }
  const patched = restoreRawNumbers(current, patcher(toPlainJson(current)));
  if (patched.resourceType !== type || patched.id !== id) {
    fail('unprocessable', {
      code: 'processing',
      id: 'PATCH_PATH_FORBIDDEN',
      text: 'A patch may not change the resource type or id',
    });
  }
  assertResource(patched, type);
  const issues = await validateOnWrite(ctx, patched);
  const result = await ctx.store.update(patched, { ifMatch: current.meta?.versionId });
  return respondWritten(ctx, req, 200, result.resource, issues);
}

export async function patchResource(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
  id: string,
): Promise<FhirResponse> {
  const patcher = patcherOf(ctx, req);
  return patchStored(ctx, req, type, id, patcher);
}

/** Conditional PATCH: the one resource the search matches (none: 404, several: 412). */
export async function conditionalPatchResource(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
): Promise<FhirResponse> {
  const patcher = patcherOf(ctx, req);
  const query = await conditionalSearch(ctx, type, req.query, 'The conditional patch');
  return ctx.store.transaction(async (tx) => {
    const found = await tx.search({ ...query, count: 2, offset: 0 });
    if (found.resources.length > 1) {
      fail('precondition-failed', {
        code: 'multiple-matches',
        id: 'CONDITIONAL_PATCH_MULTIPLE',
        text: `The conditional patch matched more than one ${type}`,
      });
    }
    const match = found.resources[0];
    if (!match)
      fail('not-found', {
        code: 'not-found',
        id: 'CONDITIONAL_PATCH_NO_MATCH',
        text: `No ${type} matches the conditional patch`,
      });
    return patchStored({ ...ctx, store: tx }, req, type, match.id as string, patcher);
  });
}
