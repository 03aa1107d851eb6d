/**
 * The in-memory stand-in for MongoDB behind the adapter's collection interface (collections in
 * memory-collection.ts). Transactions keep a private write set per session that commits all at once or is
 * discarded (the rollback); at commit, a document another writer changed since the transaction first wrote it,
 * or a unique key another transaction took meanwhile, raises a WriteConflict labelled
 * `TransientTransactionError`, and `withTransaction` runs the work again, as the driver does on a replica set.
 *
 * It lives under test/ on purpose: it is a test double, so production configuration can never select it and
 * nothing can report its figures as MongoDB's. It is NOT MongoDB: no query planner, no storage engine, and
 * reads inside a transaction see the latest committed data plus the transaction's own writes, not a snapshot.
 */
import type { StoreCollections, TxSession } from '../../../src/storage/mongo/collection.ts';
import type { AuditDoc } from '../../../src/storage/mongo/audit.ts';
import type { NonceDoc } from '../../../src/storage/mongo/nonces.ts';
import type { CounterDoc, HistoryDoc, ResourceDoc } from '../../../src/storage/mongo/documents.ts';
import { TRANSIENT_TRANSACTION_ERROR, hasErrorLabel } from '../../../src/storage/mongo/errors.ts';
import { checkUnique, memCollection, serverError } from './memory-collection.ts';
import type { DocMap, Index, MemSession } from './memory-collection.ts';

export const STAND_IN_DESCRIPTION = 'mingo:memory (MongoDB stand-in, not a MongoDB server)';

export interface MemoryCollectionsOptions {
  /** Behave as a replica set (transactions, the default) or as a standalone server (none). */
  transactions?: boolean;
  /** Most runs `withTransaction` makes of work that hit transient errors (default 20). */
  maxAttempts?: number;
}

interface CollectionState {
  docs: DocMap;
  indexes: Map<string, Index>;
}

function writeConflict(): Error {
  return serverError(
    'WriteConflict error: this operation conflicted with another operation. Please retry your operation or multi-document transaction.',
    { code: 112, codeName: 'WriteConflict', labels: [TRANSIENT_TRANSACTION_ERROR] },
  );
}

/**
 * Applies a session's writes to the committed state, all or nothing. Synchronous, so no other operation can
 * run between the checks and the swap.
 */
function commit(states: Map<string, CollectionState>, session: MemSession): void {
  const next = new Map<string, DocMap>();
  for (const [name, writes] of session.writes) {
    const state = states.get(name) as CollectionState;
    const base = session.base.get(name) as Map<string, Doc | undefined>;
    const docs = new Map(state.docs);
    for (const [key, doc] of writes) {
      if (state.docs.get(key) !== base.get(key)) throw writeConflict();
      if (doc === null) docs.delete(key);
      else docs.set(key, doc);
    }
    for (const doc of writes.values()) {
      if (!doc) continue;
      try {
        checkUnique(name, state.indexes, docs, doc);
      } catch {
        throw writeConflict(); // another transaction committed the same unique key first
      }
    }
    next.set(name, docs);
  }
  for (const [name, docs] of next) (states.get(name) as CollectionState).docs = docs;
}

type Doc = Record<string, unknown>;

function newSession(): MemSession {
  return { txSession: true, active: true, writes: new Map(), base: new Map() };
}

/**
 * A fresh, empty stand-in database with the adapter's three collections.
 * @example const store = await createMongoStoreOn(createMemoryCollections(), { now });
 */
export function createMemoryCollections(options: MemoryCollectionsOptions = {}): StoreCollections {
  const states = new Map<string, CollectionState>();
  const collection = <T extends Doc>(name: string) => {
    const state: CollectionState = { docs: new Map(), indexes: new Map() };
    states.set(name, state);
    return memCollection<T>({ name, committed: () => state.docs, indexes: state.indexes });
  };
  const maxAttempts = options.maxAttempts ?? 20;
  return {
    resources: collection<ResourceDoc>('resources'),
    history: collection<HistoryDoc>('history'),
    counters: collection<CounterDoc>('counters'),
    audit: collection<AuditDoc>('auditEvents'),
    nonces: collection<NonceDoc>('nonces'),
    supportsTransactions: async () => options.transactions ?? true,
    withTransaction: async <T>(work: (session: TxSession) => Promise<T>): Promise<T> => {
      if (options.transactions === false) {
        throw serverError('Transaction numbers are only allowed on a replica set member or mongos', {
          code: 20,
          codeName: 'IllegalOperation',
        });
      }
      for (let attempt = 1; ; attempt++) {
        const session = newSession();
        try {
          const result = await work(session);
          commit(states, session);
          return result;
        } catch (err) {
          if (!hasErrorLabel(err, TRANSIENT_TRANSACTION_ERROR) || attempt >= maxAttempts) throw err;
        } finally {
          session.active = false;
        }
      }
    },
    describe: () => STAND_IN_DESCRIPTION,
    close: async () => undefined,
  };
}
