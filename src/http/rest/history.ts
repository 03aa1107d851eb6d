/** history at instance, type and system level, as a history Bundle. https://hl7.org/fhir/R4/http.html#history */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import type { HistoryEntry } from '../../storage/store.ts';
import { etagOf, type FhirRequest, type FhirResponse, type RestContext } from '../fhir-request.ts';
import { queryString, resourceUrl } from './links.ts';

export async function history(ctx: RestContext, req: FhirRequest, type?: string, id?: string): Promise<FhirResponse> {
  const params = new Map(req.query);
  const count = Math.min(
    positiveInt(params.get('_count'), ctx.settings.searchDefaultCount, '_count'),
    ctx.settings.searchMaxCount,
  );
  const offset = positiveInt(params.get('_offset'), 0, '_offset');
  const snapshotText = params.get('_snapshot');
  const snapshot = snapshotText === undefined ? undefined : positiveInt(snapshotText, 0, '_snapshot');
  const since = params.get('_since');
  if (since !== undefined && Number.isNaN(Date.parse(since))) {
    fail('invalid', {
      code: 'invalid',
      id: 'HISTORY_SINCE_INVALID',
      text: `_since must be an instant, got "${since}"`,
      expression: '_since',
    });
  }
  if (type && id) {
    const found = await ctx.store.read(type, id);
    if (found.status === 'missing')
      fail('not-found', { code: 'not-found', id: 'RESOURCE_NOT_FOUND', text: `${type}/${id} is not known` });
  }
  const result = await ctx.store.history({ resourceType: type, id, since, snapshot, count, offset });
  const path = [type, id, '_history'].filter(Boolean).join('/');
  const link = (o: number): string =>
    `${ctx.settings.baseUrl}/${path}?${queryString([
      ...(since ? ([['_since', since]] as Array<[string, string]>) : []),
      ['_count', String(count)],
      ['_offset', String(o)],
      ['_snapshot', String(result.snapshot)],
    ])}`;
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    total: result.total,
    link: [{ relation: 'self', url: link(offset) }],
    entry: result.entries.map((e) => historyEntry(ctx, e)),
  };
  if (offset + count < result.total) bundle.link?.push({ relation: 'next', url: link(offset + count) });
  if (offset > 0) bundle.link?.push({ relation: 'previous', url: link(Math.max(0, offset - count)) });
  return { status: 200, resource: bundle };
}

function historyEntry(ctx: RestContext, e: HistoryEntry): BundleEntry {
  const url = `${e.resourceType}/${e.id}`;
  const entry: BundleEntry = {
    fullUrl: resourceUrl(ctx.settings, e.resourceType, e.id),
    request: { method: e.method, url: e.method === 'POST' ? e.resourceType : url },
    response: {
      status: e.method === 'POST' ? '201 Created' : e.method === 'DELETE' ? '204 No Content' : '200 OK',
      etag: etagOf(e.versionId),
      lastModified: e.lastUpdated,
    },
  };
  if (e.resource) entry.resource = e.resource;
  return entry;
}

function positiveInt(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) {
    return fail('invalid', {
      code: 'invalid',
      id: 'PARAM_NOT_INTEGER',
      text: `${name} must be a whole number, got "${text}"`,
      expression: name,
    });
  }
  return Number(text);
}
