/** read and vread, with conditional reads (If-None-Match, If-Modified-Since). https://hl7.org/fhir/R4/http.html#read */
import { fail } from '../../fhir/outcome.ts';
import { parseETag, type FhirRequest, type FhirResponse, type RestContext } from '../fhir-request.ts';
import { CONFORMANCE_TYPES } from './conformance.ts';
import { versionHeaders } from './links.ts';

export async function readResource(
  ctx: RestContext,
  req: FhirRequest,
  type: string,
  id: string,
): Promise<FhirResponse> {
  const found = await ctx.store.read(type, id);
  const packaged =
    found.status === 'missing' && CONFORMANCE_TYPES.has(type) ? ctx.conformance?.().read(type, id) : undefined;
  if (packaged) return { status: 200, resource: packaged };
  if (found.status === 'missing') {
    fail('not-found', {
      code: 'not-found',
      id: 'RESOURCE_NOT_FOUND',
      text: `${type}/${id} is not known`,
      expression: `${type}.id`,
    });
  }
  if (found.status === 'deleted') {
    return fail('gone', {
      code: 'deleted',
      id: 'RESOURCE_DELETED',
      text: `${type}/${id} was deleted (version ${found.versionId})`,
    });
  }
  const resource = found.resource;
  const headers = versionHeaders(resource);
  if (notModified(req, resource.meta?.versionId, resource.meta?.lastUpdated)) return { status: 304, headers };
  return { status: 200, resource, headers };
}

export async function vreadResource(
  ctx: RestContext,
  type: string,
  id: string,
  versionId: string,
): Promise<FhirResponse> {
  const entry = await ctx.store.vread(type, id, versionId);
  if (!entry) {
    return fail('not-found', {
      code: 'not-found',
      id: 'VERSION_NOT_FOUND',
      text: `${type}/${id} has no version ${versionId}`,
    });
  }
  if (!entry.resource) {
    return fail('gone', {
      code: 'deleted',
      id: 'VERSION_IS_DELETION',
      text: `Version ${versionId} of ${type}/${id} is its deletion`,
    });
  }
  return { status: 200, resource: entry.resource, headers: versionHeaders(entry.resource) };
}

function notModified(req: FhirRequest, versionId: string | undefined, lastUpdated: string | undefined): boolean {
  const wanted = parseETag(req.headers.ifNoneMatch);
  if (wanted !== undefined) return wanted === versionId;
  const since = req.headers.ifModifiedSince ? Date.parse(req.headers.ifModifiedSince) : NaN;
  if (!Number.isNaN(since) && lastUpdated) {
    // HTTP dates have second precision: compare at that precision.
    return Math.floor(Date.parse(lastUpdated) / 1000) <= Math.floor(since / 1000);
  }
  return false;
}
