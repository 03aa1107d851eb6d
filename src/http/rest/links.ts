/** URLs the server writes, always from the configured public base, never from request headers. */
import type { Resource } from '@medplum/fhirtypes';
import { etagOf, type RestSettings } from '../fhir-request.ts';

export function resourceUrl(settings: RestSettings, type: string, id: string): string {
  return `${settings.baseUrl}/${type}/${encodeURIComponent(id)}`;
}

export function versionUrl(settings: RestSettings, type: string, id: string, versionId: string): string {
  return `${resourceUrl(settings, type, id)}/_history/${encodeURIComponent(versionId)}`;
}

/** ETag and Last-Modified of a stored resource. */
export function versionHeaders(resource: Resource): Record<string, string> {
  const headers: Record<string, string> = {};
  if (resource.meta?.versionId) headers.ETag = etagOf(resource.meta.versionId);
  if (resource.meta?.lastUpdated) headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  return headers;
}

/** Location (with _history), ETag and Last-Modified after a write. */
export function writeHeaders(settings: RestSettings, resource: Resource): Record<string, string> {
  const headers = versionHeaders(resource);
  if (resource.id && resource.meta?.versionId) {
    headers.Location = versionUrl(settings, resource.resourceType, resource.id, resource.meta.versionId);
  }
  return headers;
}

export function queryString(params: Array<[string, string]>): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
