/**
 * Writes one version of a resource: the resource document (current state, index, sort keys) and the history
 * document, inside the caller's `atomic` step. The resource write is conditional on the sequence number read
 * before (optimistic concurrency), so two writers of the same resource never both get the same version.
 */
import type { Resource } from '@medplum/fhirtypes';
import { indexValues } from '../../fhir/search/index-values.ts';
import { ConcurrentWriteError } from './errors.ts';
import { inTransaction, nextSequence } from './context.ts';
import type { MongoContext } from './context.ts';
import { resourceKey } from './documents.ts';
import type { HistoryDoc, ResourceDoc } from './documents.ts';
import { noteDateRows } from './date-stats.ts';
import { toIndexFields } from './index-fields.ts';
import { patientKey } from './patient-key.ts';

export interface VersionWrite {
  resourceType: string;
  id: string;
  method: 'POST' | 'PUT' | 'DELETE';
  /** The content to store (its id and meta are set here); absent for a deletion. */
  resource?: Resource;
  /** The current document, when the resource exists (live or deleted). */
  prev?: ResourceDoc;
  /** Conditional-create key to claim (unique index: a clash throws E11000 on `ck`). */
  ck?: string;
}

/** The resource as stored: id and meta.versionId / lastUpdated set by the store. */
function stamp(resource: Resource, id: string, version: number, now: Date): Resource {
  return {
    ...resource,
    id,
    meta: { ...resource.meta, versionId: String(version), lastUpdated: now.toISOString() },
  } as Resource;
}

/** Writes the version and returns the stored resource (undefined for a deletion). */
export async function writeVersion(ctx: MongoContext, w: VersionWrite): Promise<Resource | undefined> {
  const session = ctx.session;
  const key = resourceKey(w.resourceType, w.id);
  const version = (w.prev?.v ?? 0) + 1;
  const now = ctx.now();
  const seq = await nextSequence(ctx);
  const stored = w.resource ? stamp(w.resource, w.id, version, now) : undefined;
  const json = stored ? JSON.stringify(stored) : undefined;
  const index = stored ? indexValues(stored) : undefined;
  // A deletion keeps the last index values, so that pages of an older snapshot keep their positions.
  const fields = index ? toIndexFields(index) : { ix: w.prev?.ix ?? {}, sk: w.prev?.sk ?? {} };
  const pk = index ? patientKey(w.resourceType, w.id, index) : (w.prev?.pk ?? key);
  const revived = !w.prev || w.prev.del !== 0;
  const doc: ResourceDoc = {
    _id: key,
    t: w.resourceType,
    id: w.id,
    pk,
    v: version,
    seq,
    rk: w.prev?.rk ?? seq,
    cs: revived ? seq : (w.prev as ResourceDoc).cs,
    del: w.method === 'DELETE' ? seq : 0,
    lu: now.getTime(),
    ix: fields.ix,
    sk: fields.sk,
  };
  if (json !== undefined) doc.json = json;
  if (w.ck !== undefined) doc.ck = w.ck;
  if (index) await noteDateRows(ctx, w.resourceType, fields.ix);
  if (w.prev) {
    const { matchedCount } = await ctx.cols.resources.replaceOne({ _id: key, seq: w.prev.seq }, doc, { session });
    if (matchedCount === 0) throw new ConcurrentWriteError(key, inTransaction(ctx));
    ctx.undo?.push({ kind: 'resource', key, seq, before: w.prev });
  } else {
    await ctx.cols.resources.insertOne(doc, { session });
    ctx.undo?.push({ kind: 'resource', key, seq });
  }
  const entry: HistoryDoc = { _id: seq, t: w.resourceType, id: w.id, pk, v: version, lu: doc.lu, m: w.method };
  if (json !== undefined) entry.json = json;
  await ctx.cols.history.insertOne(entry, { session });
  ctx.undo?.push({ kind: 'history', seq });
  return stored;
}
