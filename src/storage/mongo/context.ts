/**
 * What every operation of the MongoDB store works with, and how a multi-document write is made atomic:
 * in a transaction when the deployment has them (replica set, sharded cluster), otherwise with an undo log of
 * compensating writes (a standalone server; see docs/decisions/0021-mongodb-transactions.md for what is lost).
 */
import type { StoreCollections, TxSession } from './collection.ts';
import type { DateStatsCache } from './date-stats.ts';
import type { ResourceDoc } from './documents.ts';

/** How writes that touch several documents are made atomic. */
export type AtomicityMode = 'transactions' | 'compensate';

/** One compensating step: what to put back if the enclosing operation or transaction fails. */
export type UndoStep =
  | { kind: 'resource'; key: string; seq: number; before?: ResourceDoc }
  | { kind: 'history'; seq: number }
  | { kind: 'audit'; id: string };

export interface MongoContext {
  cols: StoreCollections;
  mode: AtomicityMode;
  /** Set inside a transaction (mode 'transactions'): every read and write goes through it. */
  session?: TxSession;
  /** Set inside a compensated transaction (mode 'compensate'): writes record how to undo themselves. */
  undo?: UndoStep[];
  now: () => Date;
  newId: () => string;
  /** Most target ids a chained parameter may match before the search is refused. */
  chainLimit: number;
  /** Date-parameter facts this process wrote, and whether the store's are complete (date-stats.ts). */
  dates: DateStatsCache;
}

/** True inside a store transaction of either mode. */
export function inTransaction(ctx: MongoContext): boolean {
  return ctx.session !== undefined || ctx.undo !== undefined;
}

/**
 * Runs the compensating writes, newest first. Each one is conditional on the document still being the one this
 * transaction wrote (`seq`), so a concurrent later write is never overwritten: that write wins.
 */
export async function compensate(ctx: MongoContext, undo: readonly UndoStep[]): Promise<void> {
  for (const step of [...undo].reverse()) {
    if (step.kind === 'history') await ctx.cols.history.deleteMany({ _id: step.seq });
    else if (step.kind === 'audit') await ctx.cols.audit.deleteMany({ _id: step.id });
    else if (step.before) await ctx.cols.resources.replaceOne({ _id: step.key, seq: step.seq }, step.before);
    else await ctx.cols.resources.deleteMany({ _id: step.key, seq: step.seq });
  }
}

/**
 * Runs one store operation's writes atomically. Inside a transaction it is a step of it (in compensate mode
 * with its own undo log, so a failed step leaves nothing behind, like a savepoint); outside it is a
 * transaction of its own, or a compensated sequence of writes on a standalone server.
 */
export async function atomic<T>(ctx: MongoContext, fn: (ctx: MongoContext) => Promise<T>): Promise<T> {
  if (ctx.session) return fn(ctx);
  if (ctx.mode === 'transactions' && !ctx.undo) {
    return ctx.cols.withTransaction((session) => fn({ ...ctx, session }));
  }
  const undo: UndoStep[] = [];
  try {
    const result = await fn({ ...ctx, undo });
    ctx.undo?.push(...undo);
    return result;
  } catch (err) {
    await compensate(ctx, undo);
    throw err;
  }
}

const SEQUENCE_ID = 'seq';

/**
 * The next value of the store's monotonic write sequence. Deliberately outside any transaction: a counter
 * written inside transactions would make every two concurrent transactions conflict on it. An aborted write
 * leaves a gap, which nothing relies on.
 */
export async function nextSequence(ctx: MongoContext): Promise<number> {
  const doc = await ctx.cols.counters.findOneAndUpdate(
    { _id: SEQUENCE_ID },
    { $inc: { n: 1 } },
    { upsert: true, returnDocument: 'after' },
  );
  return Number(doc?.n);
}

/** The last sequence number handed out: the snapshot a new page set starts from. */
export async function currentSequence(ctx: MongoContext): Promise<number> {
  const doc = await ctx.cols.counters.findOne({ _id: SEQUENCE_ID });
  return doc ? Number(doc.n) : 0;
}
