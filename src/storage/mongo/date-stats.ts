/**
 * Per date parameter of a resource type, the two facts SQLite keeps in `date_stats` (ADR 0060), here as documents
 * of `counters`, so that a date-range search can be bounded on both sides of `ix.dt.lo` (search-date-order.ts):
 * - `{ _id: 'dates:<Type>:<code>', n, multi }`: `n` is the widest row (`hi - lo`) ever indexed under the
 *   parameter, `multi` is 1 once a resource had two or more distinct rows under it. Both only grow (`$max`).
 * - `{ _id: 'dates:complete', n: 1 }`: written when the store was opened with no resources, so every resource
 *   ever written was counted. A store filled by an earlier version has no such document and keeps the former
 *   plan (one-sided bound, sorted by `rk`): its facts would miss the rows written before.
 *
 * A write notes its facts before its resource document is written, outside any transaction (like the write
 * sequence): a search that can see the resource can see facts that cover it, and an aborted write leaves facts
 * that are only more careful than needed.
 */
import type { StoreCollections } from './collection.ts';
import type { MongoContext } from './context.ts';
import type { IndexFields } from './index-fields.ts';

const COMPLETE_ID = 'dates:complete';

export interface DateStats {
  /** Widest row ever indexed (ms). */
  span: number;
  /** Some resource had several distinct rows under the parameter. */
  multi: boolean;
}

/** What this process has written (to skip writes that change nothing) and whether the facts are complete. */
export interface DateStatsCache {
  noted: Map<string, { span: number; multi: number }>;
  complete: boolean;
}

export function newDateStatsCache(): DateStatsCache {
  return { noted: new Map(), complete: false };
}

function statsId(resourceType: string, code: string): string {
  return `dates:${resourceType}:${code}`;
}

/** At open: a store with no resources yet is counted from its first write on. */
export async function markDateStatsComplete(cols: StoreCollections): Promise<void> {
  if (await cols.resources.findOne({}, { projection: { _id: 1 } })) return;
  await cols.counters.updateOne({ _id: COMPLETE_ID }, { $set: { n: 1 } }, { upsert: true });
}

/** Notes the span and multiplicity of the date rows a resource is about to be written with. */
export async function noteDateRows(ctx: MongoContext, resourceType: string, ix: IndexFields): Promise<void> {
  const per = new Map<string, { span: number; rows: number }>();
  for (const row of ix.dt ?? []) {
    const e = per.get(row.p) ?? { span: 0, rows: 0 };
    e.span = Math.min(Math.max(e.span, row.hi - row.lo), Number.MAX_SAFE_INTEGER);
    e.rows++;
    per.set(row.p, e);
  }
  for (const [code, { span, rows }] of per) {
    const id = statsId(resourceType, code);
    const multi = rows > 1 ? 1 : 0;
    const known = ctx.dates.noted.get(id);
    if (known && known.span >= span && known.multi >= multi) continue;
    await ctx.cols.counters.updateOne({ _id: id }, { $max: { n: span, multi } }, { upsert: true });
    ctx.dates.noted.set(id, { span: Math.max(span, known?.span ?? 0), multi: Math.max(multi, known?.multi ?? 0) });
  }
}

/** The facts of one parameter, or undefined when they may be incomplete (then no bound may rely on them). */
export async function dateStatsOf(
  ctx: MongoContext,
  resourceType: string,
  code: string,
): Promise<DateStats | undefined> {
  if (!ctx.dates.complete) {
    ctx.dates.complete = (await ctx.cols.counters.findOne({ _id: COMPLETE_ID })) !== null;
    if (!ctx.dates.complete) return undefined;
  }
  const doc = await ctx.cols.counters.findOne({ _id: statsId(resourceType, code) });
  // No document: no resource of the type was ever written with the parameter, so nothing can match.
  return doc ? { span: Number(doc.n), multi: Number(doc.multi) === 1 } : { span: 0, multi: false };
}
