/**
 * History (instance, type, system) and vread, newest first, paged by offset inside a snapshot of the write
 * sequence so that writes made after page 1 do not shift later pages.
 * https://hl7.org/fhir/R4/http.html#history
 */
import { sinceMs } from '../history-since.ts';
import type { HistoryEntry, HistoryQuery, HistoryResult } from '../store.ts';
import type { Filter } from './collection.ts';
import { currentSequence } from './context.ts';
import type { MongoContext } from './context.ts';
import type { HistoryDoc } from './documents.ts';
import { parseStoredResource } from '../stored-json.ts';
import { text } from './search-values.ts';

function toEntry(doc: HistoryDoc): HistoryEntry {
  const entry: HistoryEntry = {
    resourceType: doc.t,
    id: doc.id,
    versionId: String(doc.v),
    lastUpdated: new Date(doc.lu).toISOString(),
    method: doc.m,
  };
  if (doc.json !== undefined) entry.resource = parseStoredResource(doc.json);
  return entry;
}

/** One version of a resource, or undefined. */
export async function readVersion(
  ctx: MongoContext,
  resourceType: string,
  id: string,
  versionId: string,
): Promise<HistoryEntry | undefined> {
  if (!/^\d{1,15}$/.test(versionId)) return undefined;
  const doc = await ctx.cols.history.findOne(
    { t: text(resourceType), id: text(id), v: Number(versionId) },
    { session: ctx.session },
  );
  return doc ? toEntry(doc) : undefined;
}

/** A page of history. */
export async function readHistory(ctx: MongoContext, query: HistoryQuery): Promise<HistoryResult> {
  const snapshot = query.snapshot ?? (await currentSequence(ctx));
  const filter: Filter = { _id: { $lte: snapshot } };
  if (query.resourceType !== undefined) filter.t = text(query.resourceType);
  if (query.id !== undefined) filter.id = text(query.id);
  if (query.since !== undefined) filter.lu = { $gte: sinceMs(query.since) };
  const session = ctx.session;
  const total = await ctx.cols.history.countDocuments(filter, { session });
  // limit 0 means "no limit" to MongoDB: a zero-size page reads nothing.
  const docs =
    query.count > 0
      ? await ctx.cols.history.find(filter, { sort: { _id: -1 }, skip: query.offset, limit: query.count, session })
      : [];
  return { entries: docs.map(toEntry), total, snapshot };
}
