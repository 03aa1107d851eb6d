/**
 * The audit trail on MongoDB: collection `auditEvents`, one lean document per event (JSON plus the searched
 * fields) instead of a versioned resource with its index arrays. Appending takes one range of the write sequence
 * for the whole batch; a write's own event is inserted in the same atomic step as the write (mongo-store.ts).
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import type { AuditEntry } from '../../audit/audit-event.ts';
import type { SearchQuery } from '../../fhir/search/query.ts';
import { auditRow, auditSearchOf, type AuditCondition } from '../audit-trail.ts';
import { parseStoredResource } from '../stored-json.ts';
import type { ReadResult, SearchResult } from '../store.ts';
import type { Filter, IndexSpec } from './collection.ts';
import { currentSequence } from './context.ts';
import type { MongoContext } from './context.ts';

/** One AuditEvent. `_id` is its id; `seq` its place in the write sequence (paging snapshots). */
export interface AuditDoc {
  [key: string]: unknown;
  _id: string;
  seq: number;
  /** recorded, epoch ms */
  rec: number;
  act: string;
  out: string;
  sts: string;
  stc: string;
  agt: string;
  agi: string;
  /** Entity references. */
  ent: Array<{ t: string; i: string }>;
  json: string;
}

export const AUDIT_INDEXES: readonly IndexSpec[] = [
  { name: 'audit_seq', keys: { seq: 1 } },
  { name: 'audit_recorded', keys: { rec: 1 } },
  { name: 'audit_agent', keys: { agi: 1, seq: 1 } },
  { name: 'audit_entity', keys: { 'ent.i': 1, seq: 1 } },
];

/** Appends events (inside the caller's atomic step when there is one; undone with it in compensate mode). */
export async function appendAuditDocs(ctx: MongoContext, events: readonly AuditEntry[]): Promise<AuditEvent[]> {
  if (events.length === 0) return [];
  const counter = await ctx.cols.counters.findOneAndUpdate(
    { _id: 'seq' },
    { $inc: { n: events.length } },
    { upsert: true, returnDocument: 'after' },
  );
  const first = Number(counter?.n) - events.length + 1;
  const now = ctx.now();
  const stored: AuditEvent[] = [];
  for (const [i, event] of events.entries()) {
    const row = auditRow(event, ctx.newId(), now);
    await ctx.cols.audit.insertOne(
      {
        _id: row.id,
        seq: first + i,
        rec: row.recorded,
        act: row.action,
        out: row.outcome,
        sts: row.subtypeSystem,
        stc: row.subtypeCode,
        agt: row.agent.type,
        agi: row.agent.id,
        ent: row.entities.map((e) => ({ t: e.type, i: e.id })),
        json: row.json,
      },
      { session: ctx.session },
    );
    ctx.undo?.push({ kind: 'audit', id: row.id });
    stored.push(row.stored());
  }
  return stored;
}

export async function readAudit(ctx: MongoContext, id: string): Promise<ReadResult> {
  const doc = await ctx.cols.audit.findOne({ _id: id }, { session: ctx.session });
  return doc ? { status: 'found', resource: parseStoredResource(doc.json) } : { status: 'missing' };
}

function conditionFilter(c: AuditCondition): Filter {
  const or = (parts: Filter[]): Filter =>
    parts.length === 1 ? (parts[0] as Filter) : { $or: parts.length ? parts : [{ _id: { $in: [] } }] };
  switch (c.column) {
    case 'id':
      return { _id: { $in: c.values } };
    case 'action':
      return { act: { $in: c.values } };
    case 'outcome':
      return { out: { $in: c.values } };
    case 'subtype':
      return or(c.values.map((v) => (v.system ? { stc: v.code, sts: v.system } : { stc: v.code })));
    case 'agent':
      return or(c.values.map((v) => (v.type ? { agi: v.id, agt: v.type } : { agi: v.id })));
    case 'entity':
      return or(c.values.map((v) => ({ ent: { $elemMatch: v.type ? { i: v.id, t: v.type } : { i: v.id } } })));
    case 'recorded':
      return or(
        c.values.map((v) => ({
          rec: { ...(v.low !== undefined ? { $gte: v.low } : {}), ...(v.high !== undefined ? { $lt: v.high } : {}) },
        })),
      );
  }
}

/** Runs a search on AuditEvent over the trail, paged inside a snapshot of the write sequence. */
export async function searchAudit(ctx: MongoContext, query: SearchQuery): Promise<SearchResult> {
  const search = auditSearchOf(query);
  const snapshot = query.snapshot ?? (await currentSequence(ctx));
  const filter: Filter = { $and: [{ seq: { $lte: snapshot } }, ...search.conditions.map(conditionFilter)] };
  const total =
    query.total === 'accurate' || query.summaryCount
      ? await ctx.cols.audit.countDocuments(filter, { session: ctx.session })
      : undefined;
  if (query.summaryCount)
    return { resources: [], included: [], ...(total !== undefined ? { total } : {}), snapshot, hasMore: false };
  const dir = search.descending ? -1 : 1;
  const docs = await ctx.cols.audit.find(filter, {
    sort: search.byDate ? { rec: dir, seq: dir } : { seq: dir },
    skip: query.offset,
    limit: query.count + 1,
    session: ctx.session,
  });
  const resources = docs.slice(0, query.count).map((d) => parseStoredResource(d.json));
  return {
    resources,
    included: [],
    ...(total !== undefined ? { total } : {}),
    snapshot,
    hasMore: docs.length > query.count,
  };
}
