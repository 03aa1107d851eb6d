/**
 * `_include` and `_revinclude`, one level: the live resources the page's resources reference through a
 * parameter (read from the page documents' own index, then fetched by `_id`), and the live resources that
 * reference the page's resources through a parameter of theirs (one indexed `find`).
 * https://hl7.org/fhir/R4/search.html#include
 */
import type { Resource } from '@medplum/fhirtypes';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { MongoContext } from './context.ts';
import { resourceKey } from './documents.ts';
import type { ResourceDoc } from './documents.ts';
import { text } from './search-values.ts';
import { parseStoredResource } from '../stored-json.ts';

const PROJECTION = { rk: 1, json: 1 } as const;

function forwardKeys(query: SearchQuery, page: readonly ResourceDoc[]): string[] {
  const keys = new Set<string>();
  for (const rule of query.include) {
    if (rule.sourceType !== query.resourceType) continue;
    for (const doc of page) {
      for (const ref of doc.ix.rf ?? []) {
        if (ref.p !== rule.paramCode || ref.t === '') continue;
        if (rule.targetType === undefined || rule.targetType === ref.t) keys.add(resourceKey(ref.t, ref.i));
      }
    }
  }
  return [...keys];
}

async function forward(
  ctx: MongoContext,
  query: SearchQuery,
  page: readonly ResourceDoc[],
  limit: number,
): Promise<ResourceDoc[]> {
  const keys = forwardKeys(query, page);
  if (keys.length === 0) return [];
  return ctx.cols.resources.find(
    { _id: { $in: keys }, del: 0 },
    { projection: PROJECTION, session: ctx.session, limit },
  );
}

async function reverse(
  ctx: MongoContext,
  query: SearchQuery,
  page: readonly ResourceDoc[],
  limit: number,
): Promise<ResourceDoc[]> {
  const ids = page.map((d) => text(d.id));
  const out: ResourceDoc[] = [];
  for (const rule of query.revinclude) {
    const filter = {
      t: text(rule.sourceType),
      del: 0,
      'ix.rf': { $elemMatch: { p: text(rule.paramCode), t: text(query.resourceType), i: { $in: ids } } },
    };
    out.push(...(await ctx.cols.resources.find(filter, { projection: PROJECTION, session: ctx.session, limit })));
  }
  return out;
}

/** Included resources for a page, deduplicated, without the page's own resources, in first-write order, at most `query.includeLimit` (default: the page size). */
export async function includeResources(
  ctx: MongoContext,
  query: SearchQuery,
  page: readonly ResourceDoc[],
): Promise<{ resources: Resource[]; truncated: boolean }> {
  if (page.length === 0 || (query.include.length === 0 && query.revinclude.length === 0))
    return { resources: [], truncated: false };
  const max = query.includeLimit ?? query.count;
  const limit = max + 1 + page.length;
  const seen = new Set(page.map((d) => d._id));
  const docs = [...(await forward(ctx, query, page, limit)), ...(await reverse(ctx, query, page, limit))].sort(
    (a, b) => a.rk - b.rk,
  );
  const out: Resource[] = [];
  for (const doc of docs) {
    if (seen.has(doc._id) || doc.json === undefined) continue;
    seen.add(doc._id);
    if (out.length === max) return { resources: out, truncated: true };
    out.push(parseStoredResource(doc.json));
  }
  return { resources: out, truncated: false };
}
