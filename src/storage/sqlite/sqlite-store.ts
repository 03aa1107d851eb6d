/**
 * The embedded `ResourceStore` on `node:sqlite`. One synchronous connection; every operation runs on a serial
 * queue, so a transaction that awaits between its writes never interleaves with other requests, and each write
 * is one SQLite transaction (WAL + synchronous=FULL by default: acknowledged means durable).
 * https://nodejs.org/api/sqlite.html
 */
import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { CreateOptions, HistoryQuery, ResourceStore, UpdateOptions } from '../store.ts';
import { createContext } from './context.ts';
import type { StoreContext } from './context.ts';
import { readHistory, readVersion } from './history.ts';
import { createResource, deleteResource, readResource, updateResource } from './resource-ops.ts';
import { openDatabase } from './schema.ts';
import { runSearch } from './search.ts';
import { createSerialQueue } from './serial-queue.ts';
import type { SerialQueue } from './serial-queue.ts';

export interface SqliteStoreOptions {
  /** Database file, or `:memory:`. */
  path: string;
  /** `FULL` (default) syncs the WAL on every commit; `NORMAL` survives a process crash but not a power cut. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Clock for `meta.lastUpdated`. */
  now?: () => Date;
  /** Id generator for server-assigned ids. */
  newId?: () => string;
}

type Runner = <T>(job: () => T | Promise<T>) => Promise<T>;

/** The store's operations, each run by `run` (the queue outside a transaction, directly inside one). */
function operations(ctx: StoreContext, run: Runner, transaction: ResourceStore['transaction'], path: string): ResourceStore {
  return {
    read: (type, id) => run(() => readResource(ctx, type, id)),
    vread: (type, id, versionId) => run(() => readVersion(ctx, type, id, versionId)),
    create: (resource: Resource, options?: CreateOptions) => run(() => createResource(ctx, resource, options)),
    update: (resource: Resource, options?: UpdateOptions) => run(() => updateResource(ctx, resource, options)),
    delete: (type, id, options?: UpdateOptions) => run(() => deleteResource(ctx, type, id, options)),
    history: (query: HistoryQuery) => run(() => readHistory(ctx, query)),
    search: (query: SearchQuery) => run(() => runSearch(ctx, query)),
    transaction,
    describe: () => `sqlite:${path}`,
    close: () => Promise.reject(new Error('close() is not available inside a transaction')),
  };
}

/** Runs `work` inside a savepoint on the current connection; rolls back if it throws. */
async function inSavepoint<T>(ctx: StoreContext, tx: ResourceStore, work: (tx: ResourceStore) => Promise<T>): Promise<T> {
  ctx.db.exec('SAVEPOINT tx');
  let result: T;
  try {
    result = await work(tx);
  } catch (err) {
    ctx.db.exec('ROLLBACK TO tx');
    ctx.db.exec('RELEASE tx');
    ctx.pids.reset();
    throw err;
  }
  try {
    ctx.db.exec('RELEASE tx'); // the outermost RELEASE is the COMMIT
  } catch (err) {
    if (ctx.db.isTransaction) ctx.db.exec('ROLLBACK');
    ctx.pids.reset();
    throw err;
  }
  return result;
}

function transactionStore(ctx: StoreContext, path: string): ResourceStore {
  const direct: Runner = async (job) => job();
  const tx: ResourceStore = operations(
    ctx,
    direct,
    // A nested transaction joins the outer one; its own savepoint makes it atomic within it.
    (work) => inSavepoint(ctx, tx, work),
    path,
  );
  return tx;
}

/**
 * Opens (creating if needed) a SQLite-backed store.
 * @example const store = createSqliteStore({ path: ':memory:' });
 */
export function createSqliteStore(options: SqliteStoreOptions): ResourceStore {
  const db = openDatabase({ path: options.path, synchronous: options.synchronous ?? 'FULL' });
  const ctx = createContext(db, options.now ?? (() => new Date()), options.newId ?? randomUUID);
  const queue: SerialQueue = createSerialQueue();
  const tx = transactionStore(ctx, options.path);
  let closed = false;
  const run: Runner = (job) => {
    if (closed) return Promise.reject(new Error('The store is closed'));
    return queue(job);
  };
  const store = operations(ctx, run, (work) => run(() => inSavepoint(ctx, tx, work)), options.path);
  store.close = async () => {
    if (closed) return;
    closed = true;
    await queue(() => db.close());
  };
  return store;
}
