/** Turning Bundle entries into FhirRequests and FhirResponses back into response entries. */
import type { BundleEntry } from '@medplum/fhirtypes';
import { OutcomeError } from '../../fhir/outcome.ts';
import type { FhirMethod, FhirRequest, FhirResponse, RestContext } from '../fhir-request.ts';
import { resourceUrl } from './links.ts';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  422: 'Unprocessable Entity',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ? `${status} ${STATUS_TEXT[status]}` : String(status);
}

export function methodOf(entry: BundleEntry): FhirMethod {
  return (entry.request?.method ?? 'GET') as FhirMethod;
}

/** `Patient/1?x=y`, `/Patient/1` or `<base>/Patient/1` → a FhirRequest. */
export function entryRequest(ctx: RestContext, entry: BundleEntry): FhirRequest {
  let url = entry.request?.url ?? '';
  if (url.startsWith(ctx.settings.baseUrl + '/')) url = url.slice(ctx.settings.baseUrl.length + 1);
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const query = q >= 0 ? [...new URLSearchParams(url.slice(q + 1)).entries()] : [];
  return {
    method: methodOf(entry),
    segments: path.split('/').filter(Boolean).map(decodeURIComponent),
    query,
    body: entry.resource,
    headers: {
      ifMatch: entry.request?.ifMatch,
      ifNoneMatch: entry.request?.ifNoneMatch,
      ifModifiedSince: entry.request?.ifModifiedSince,
      ifNoneExist: entry.request?.ifNoneExist,
    },
  };
}

export function responseEntry(ctx: RestContext, res: FhirResponse): BundleEntry {
  const h = res.headers ?? {};
  const entry: BundleEntry = { response: { status: statusLine(res.status) } };
  if (h.Location) entry.response!.location = h.Location;
  if (h.ETag) entry.response!.etag = h.ETag;
  const lastUpdated = res.resource?.meta?.lastUpdated;
  if (lastUpdated) entry.response!.lastModified = lastUpdated;
  if (res.outcome) entry.response!.outcome = res.outcome;
  if (res.resource) {
    if (res.resource.resourceType === 'OperationOutcome') entry.response!.outcome = res.resource;
    else {
      if (res.resource.id && res.resource.resourceType !== 'Bundle')
        entry.fullUrl = resourceUrl(ctx.settings, res.resource.resourceType, res.resource.id);
      entry.resource = res.resource;
    }
  }
  return entry;
}

/** Prefixes the failing entry to every issue's expression so the client sees which entry broke the transaction. */
export function locateError(err: unknown, index: number): unknown {
  if (!(err instanceof OutcomeError)) return err;
  const issues = (err.outcome.issue ?? []).map((i) => ({
    ...i,
    expression: (i.expression?.length ? i.expression : ['']).map((e) =>
      e.startsWith('Bundle.entry[')
        ? e
        : `Bundle.entry[${index}]${e ? `.resource.${e.replace(/^[A-Z][A-Za-z]+\./, '')}` : ''}`,
    ),
  }));
  return new OutcomeError(err.kind, issues);
}
