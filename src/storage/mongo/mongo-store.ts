/**
 * The MongoDB `ResourceStore`. `createMongoStore` connects with the official driver; `createMongoStoreOn` runs
 * the same adapter on any `StoreCollections` (the tests' in-memory stand-in). Start-up creates the indexes and
 * decides how writes are made atomic: multi-document transactions on a replica set or sharded cluster,
 * compensating writes on a standalone server (docs/decisions/0021-mongodb-transactions.md).
 * https://www.mongodb.com/docs/manual/core/transactions/
 */
import { randomUUID } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import type { Resource } from '@medplum/fhirtypes';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { AuditEvent } from '@medplum/fhirtypes';
import type {
  AuditWriteOption,
  CreateOptions,
  HistoryQuery,
  ResourceStore,
  UpdateOptions,
  WrittenRef,
} from '../store.ts';
import { isAuditEvent, refuseAuditChange } from '../audit-trail.ts';
import { appendAuditDocs, readAudit, searchAudit } from './audit.ts';
import type { StoreCollections } from './collection.ts';
import { atomic, compensate } from './context.ts';
import type { AtomicityMode, MongoContext, UndoStep } from './context.ts';
import { conditionalCreate } from './conditional-create.ts';
import { conditionalUpdate } from './conditional-update.ts';
import { connectDriverCollections } from './driver-collections.ts';
import { readHistory, readVersion } from './history.ts';
import { ensureIndexes } from './indexes.ts';
import { markDateStatsComplete, newDateStatsCache } from './date-stats.ts';
import { claimNonce } from './nonces.ts';
import { createResource, deleteResource, readResource, updateResource } from './resource-ops.ts';
import { runSearch } from './search.ts';

export interface MongoStoreOptions {
  /** Clock for `meta.lastUpdated`. */
  now?: () => Date;
  /** Id generator for server-assigned ids. */
  newId?: () => string;
  /**
   * `auto` (default): transactions when the deployment supports them, compensating writes otherwise;
   * `required`: refuse to start on a standalone server; `compensate`: never use transactions.
   */
  transactions?: 'auto' | 'required' | 'compensate';
  /** Most targets a chained search parameter may match (default 10,000). */
  chainLimit?: number;
}

export interface MongoConnectOptions extends MongoStoreOptions {
  /** Connection string, e.g. `mongodb://mongo:27017/gdhcn?replicaSet=rs0`; the store opens and closes the client. */
  url?: string;
  /** An open client owned by the caller (the store does not close it). Give `url` or `client`. */
  client?: MongoClient;
  /** Database name; default: the one in the connection string, else `gdhcn`. */
  dbName?: string;
}

/** A write that also inserts its AuditEvent (when asked) in the same atomic step: both are kept or neither. */
async function withAudit<R>(
  ctx: MongoContext,
  options: AuditWriteOption | undefined,
  write: (c: MongoContext) => Promise<R>,
  written: (r: R) => WrittenRef | undefined,
): Promise<R> {
  const audit = options?.audit;
  if (!audit) return write(ctx);
  return atomic(ctx, async (c) => {
    const result = await write(c);
    const ref = written(result);
    if (ref) await appendAuditDocs(c, [audit(ref)]);
    return result;
  });
}

const refusedChange = async (): Promise<never> => refuseAuditChange();

/** The store's operations over one context (outside, or inside a transaction). */
function operations(
  ctx: MongoContext,
  transaction: ResourceStore['transaction'],
  describe: () => string,
): ResourceStore {
  const ref = (r: { resource: Resource; outcome: string }): WrittenRef => ({
    reference: `${r.resource.resourceType}/${r.resource.id}`,
    created: r.outcome === 'created',
  });
  return {
    read: (type, id) => (isAuditEvent(type) ? readAudit(ctx, id) : readResource(ctx, type, id)),
    vread: (type, id, versionId) => readVersion(ctx, type, id, versionId),
    create: async (resource: Resource, options: CreateOptions = {}) => {
      if (isAuditEvent(resource))
        return { outcome: 'created', resource: (await appendAuditDocs(ctx, [resource as AuditEvent]))[0] as Resource };
      return withAudit(
        ctx,
        options,
        (c) =>
          options.ifNoneExist
            ? conditionalCreate(c, resource, options.ifNoneExist)
            : createResource(c, resource, options),
        (r) => (r.outcome === 'created' ? ref(r) : undefined),
      );
    },
    update: (resource: Resource, options?: UpdateOptions) =>
      isAuditEvent(resource)
        ? refusedChange()
        : withAudit(ctx, options, (c) => updateResource(c, resource, options), ref),
    delete: (type, id, options?: UpdateOptions) =>
      isAuditEvent(type)
        ? refusedChange()
        : withAudit(
            ctx,
            options,
            (c) => deleteResource(c, type, id, options),
            () => ({ reference: `${type}/${id}`, created: false }),
          ),
    conditionalUpdate: (resource: Resource, query: SearchQuery, options?: UpdateOptions) =>
      isAuditEvent(resource)
        ? refusedChange()
        : withAudit(ctx, options, (c) => conditionalUpdate(c, resource, query, options), ref),
    history: (query: HistoryQuery) => readHistory(ctx, query),
    search: (query: SearchQuery) =>
      isAuditEvent(query.resourceType) ? searchAudit(ctx, query) : runSearch(ctx, query),
    appendAudit: async (events) => {
      await appendAuditDocs(ctx, events);
    },
    claimOnce: (key, expiresAt) => claimNonce(ctx.cols, ctx.now().getTime(), key, expiresAt),
    transaction,
    describe,
    close: () => Promise.reject(new Error('close() is not available inside a transaction')),
  };
}

/** A store bound to a transaction; a nested `transaction` joins it (MongoDB has no savepoints). */
function transactionStore(ctx: MongoContext, describe: () => string): ResourceStore {
  const tx: ResourceStore = operations(ctx, (work) => work(tx), describe);
  return tx;
}

/** `transaction()` of the top-level store: a driver transaction, or an undo log replayed on failure. */
function runTransaction<T>(
  ctx: MongoContext,
  describe: () => string,
  work: (tx: ResourceStore) => Promise<T>,
): Promise<T> {
  if (ctx.mode === 'transactions') {
    return ctx.cols.withTransaction((session) => work(transactionStore({ ...ctx, session }, describe)));
  }
  const undo: UndoStep[] = [];
  return work(transactionStore({ ...ctx, undo }, describe)).catch(async (err: unknown) => {
    await compensate(ctx, undo);
    throw err;
  });
}

async function atomicityMode(
  cols: StoreCollections,
  wanted: MongoStoreOptions['transactions'],
): Promise<AtomicityMode> {
  if (wanted === 'compensate') return 'compensate';
  const supported = await cols.supportsTransactions();
  if (!supported && wanted === 'required') {
    throw new Error(`${cols.describe()} does not support transactions (a standalone server); run a replica set`);
  }
  return supported ? 'transactions' : 'compensate';
}

/**
 * Opens the adapter on the given collections: creates the indexes (idempotent) and picks the atomicity mode.
 * @example const store = await createMongoStoreOn(collections, { now: () => new Date() });
 */
export async function createMongoStoreOn(
  cols: StoreCollections,
  options: MongoStoreOptions = {},
): Promise<ResourceStore> {
  await ensureIndexes(cols);
  await markDateStatsComplete(cols);
  const mode = await atomicityMode(cols, options.transactions ?? 'auto');
  const ctx: MongoContext = {
    cols,
    mode,
    now: options.now ?? (() => new Date()),
    newId: options.newId ?? randomUUID,
    chainLimit: options.chainLimit ?? 10_000,
    dates: newDateStatsCache(),
  };
  const describe = (): string =>
    `${cols.describe()}${mode === 'compensate' ? ' (no transactions: compensating writes)' : ''}`;
  let closed = false;
  const store = operations(ctx, (work) => runTransaction(ctx, describe, work), describe);
  store.close = async () => {
    if (closed) return;
    closed = true;
    await cols.close();
  };
  return store;
}

/**
 * Connects to MongoDB with the official driver and opens the adapter on database `dbName`.
 * @example const store = await createMongoStore({ url: 'mongodb://127.0.0.1:27017/gdhcn?replicaSet=rs0' });
 */
export async function createMongoStore(options: MongoConnectOptions): Promise<ResourceStore> {
  const cols = await connectDriverCollections(options);
  try {
    return await createMongoStoreOn(cols, options);
  } catch (err) {
    await cols.close();
    throw err;
  }
}
