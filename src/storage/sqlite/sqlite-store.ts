/**
 * The embedded `ResourceStore` on `node:sqlite`. One synchronous connection; every operation runs on the store
 * queue (store-queue.ts), so a transaction that awaits between its writes never interleaves with other requests,
 * and a write is acknowledged only once committed (WAL + synchronous=FULL by default: acknowledged means
 * durable). Single writes waiting together share one commit.
 * https://nodejs.org/api/sqlite.html
 */
import { randomUUID } from 'node:crypto';
import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type {
  AuditWriteOption,
  CreateOptions,
  HistoryQuery,
  ResourceStore,
  UpdateOptions,
  WrittenRef,
} from '../store.ts';
import { isAuditEvent, refuseAuditChange } from '../audit-trail.ts';
import { appendAuditRows, readAudit, searchAudit, versionOf } from './audit.ts';
import { atomically, createContext } from './context.ts';
import { claimNonce } from './nonces.ts';
import type { StoreContext } from './context.ts';
import { readHistory, readVersion } from './history.ts';
import {
  conditionalUpdate,
  createResource,
  deleteResource,
  readResource,
  updateResource,
  type Versioned,
} from './resource-ops.ts';
import { openDatabase } from './schema.ts';
import { runSearch } from './search.ts';
import { createStoreQueue, type Defer } from './store-queue.ts';

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

interface Runners {
  /** For reads. */
  read: Runner;
  /**
   * For single synchronous writes. The queue group-commits them, each in a savepoint of its own, and passes
   * `defer` (store-queue.ts); inside a transaction a write runs directly, without `defer`.
   */
  write: <T>(job: (defer?: Defer) => T) => Promise<T>;
}

/**
 * A write job that also appends its AuditEvent (when asked): both commit together or not at all. In the queue
 * the event is built inside the write's job (a failing builder undoes that write only) and appended just before
 * the group's COMMIT (`defer`); inside a transaction the pair gets a savepoint of its own here. The event points
 * at the version the write reports it wrote (`hseq`), so nothing is read back.
 */
function withAudit<R>(
  ctx: StoreContext,
  options: AuditWriteOption | undefined,
  write: () => Versioned<R>,
  written: (r: R) => WrittenRef | undefined,
): (defer?: Defer) => R {
  const audit = options?.audit;
  if (!audit) return () => write().result;
  const both = (defer?: Defer) => {
    const { result, hseq } = write();
    const ref = written(result);
    if (!ref) return result;
    const event = audit(ref);
    const version = hseq === undefined ? undefined : versionOf(ref.reference, hseq);
    if (defer) defer(() => void appendAuditRows(ctx, [event], version));
    else appendAuditRows(ctx, [event], version);
    return result;
  };
  return (defer) => (defer ? both(defer) : atomically(ctx, () => both()));
}

/** The store's operations, run through the queue outside a transaction and directly inside one. */
function operations(
  ctx: StoreContext,
  run: Runners,
  transaction: ResourceStore['transaction'],
  path: string,
): ResourceStore {
  const ref = (r: { resource: Resource; outcome: string }): WrittenRef => ({
    reference: `${r.resource.resourceType}/${r.resource.id}`,
    created: r.outcome === 'created',
  });
  return {
    read: (type, id) => run.read(() => (isAuditEvent(type) ? readAudit(ctx, id) : readResource(ctx, type, id))),
    vread: (type, id, versionId) => run.read(() => readVersion(ctx, type, id, versionId)),
    create: (resource: Resource, options?: CreateOptions) =>
      isAuditEvent(resource)
        ? run.write(() => ({
            outcome: 'created' as const,
            resource: (appendAuditRows(ctx, [resource as AuditEvent])[0] as () => AuditEvent)() as Resource,
          }))
        : run.write(
            withAudit(
              ctx,
              options,
              () => createResource(ctx, resource, options),
              (r) => (r.outcome === 'created' ? ref(r) : undefined),
            ),
          ),
    update: (resource: Resource, options?: UpdateOptions) =>
      isAuditEvent(resource)
        ? Promise.reject(auditRefusal())
        : run.write(withAudit(ctx, options, () => updateResource(ctx, resource, options), ref)),
    delete: (type, id, options?: UpdateOptions) =>
      isAuditEvent(type)
        ? Promise.reject(auditRefusal())
        : run.write(
            withAudit(
              ctx,
              options,
              () => deleteResource(ctx, type, id, options),
              () => ({ reference: `${type}/${id}`, created: false }),
            ),
          ),
    conditionalUpdate: (resource: Resource, query: SearchQuery, options?: UpdateOptions) =>
      isAuditEvent(resource)
        ? Promise.reject(auditRefusal())
        : run.write(withAudit(ctx, options, () => conditionalUpdate(ctx, resource, query, options), ref)),
    history: (query: HistoryQuery) => run.read(() => readHistory(ctx, query)),
    search: (query: SearchQuery) =>
      run.read(() => (isAuditEvent(query.resourceType) ? searchAudit(ctx, query) : runSearch(ctx, query))),
    appendAudit: (events) => (events.length ? run.write(() => void appendAuditRows(ctx, events)) : Promise.resolve()),
    claimOnce: (key, expiresAt) => run.write(() => claimNonce(ctx, key, expiresAt)),
    transaction,
    describe: () => `sqlite:${path}`,
    close: () => Promise.reject(new Error('close() is not available inside a transaction')),
  };
}

function auditRefusal(): unknown {
  try {
    return refuseAuditChange();
  } catch (err) {
    return err;
  }
}

/** Runs `work` inside a savepoint on the current connection; rolls back if it throws. */
async function inSavepoint<T>(
  ctx: StoreContext,
  tx: ResourceStore,
  work: (tx: ResourceStore) => Promise<T>,
): Promise<T> {
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
    { read: direct, write: (job) => direct(() => job()) },
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
  const queue = createStoreQueue(db, () => ctx.pids.reset());
  const tx = transactionStore(ctx, options.path);
  let closed = false;
  const whenOpen = <T>(start: () => Promise<T>): Promise<T> =>
    closed ? Promise.reject(new Error('The store is closed')) : start();
  const run: Runners = {
    read: (job) => whenOpen(() => queue.read(job)),
    write: (job) => whenOpen(() => queue.write(job)),
  };
  // A transaction is exclusive: no queued write passes it.
  const transaction: ResourceStore['transaction'] = (work) =>
    whenOpen(() => queue.exclusive(() => inSavepoint(ctx, tx, work)));
  const store = operations(ctx, run, transaction, options.path);
  store.close = async () => {
    if (closed) return;
    closed = true;
    await queue.exclusive(() => db.close());
  };
  return store;
}
