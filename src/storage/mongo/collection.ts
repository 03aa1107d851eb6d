/**
 * The small collection interface the MongoDB adapter is written against: only the driver operations it uses.
 * Two implementations exist: `driver-collections.ts` over the official `mongodb` driver, and the in-memory
 * stand-in in `test/storage/mongo/memory-collections.ts` that evaluates the same query language with `mingo`,
 * so the adapter's filters, updates and unique indexes are exercised without a server.
 * https://www.mongodb.com/docs/drivers/node/current/
 */
import type { AuditDoc } from './audit.ts';
import type { CounterDoc, HistoryDoc, ResourceDoc } from './documents.ts';
import type { NonceDoc } from './nonces.ts';

export type Doc = Record<string, unknown>;
/** A MongoDB query filter (built by search-filter.ts; values are always data, never operators). */
export type Filter = Record<string, unknown>;
export type SortSpec = Record<string, 1 | -1>;
export type Projection = Record<string, 0 | 1>;

/** An open transaction, opaque to the adapter: the driver's ClientSession, or the stand-in's write set. */
export interface TxSession {
  readonly txSession: true;
}

export interface SessionOption {
  session?: TxSession;
}

export interface FindOptions extends SessionOption {
  sort?: SortSpec;
  skip?: number;
  limit?: number;
  projection?: Projection;
  /** Name of the index the server must use (search-date-order.ts: its order is the page order). */
  hint?: string;
}

export interface UpsertOption extends SessionOption {
  upsert?: boolean;
}

export interface FindOneAndUpdateOptions extends UpsertOption {
  returnDocument: 'before' | 'after';
}

export interface IndexSpec {
  name: string;
  keys: Record<string, 1 | -1>;
  unique?: boolean;
  /** Only documents matching it are indexed (and checked for uniqueness). */
  partialFilterExpression?: Filter;
}

export interface WriteCount {
  matchedCount: number;
}

/** The operations of one collection. Errors follow the driver: a unique index clash throws code 11000 (E11000). */
export interface DocCollection<T extends Doc> {
  insertOne(doc: T, options?: SessionOption): Promise<void>;
  findOne(filter: Filter, options?: FindOptions): Promise<T | null>;
  find(filter: Filter, options?: FindOptions): Promise<T[]>;
  countDocuments(filter: Filter, options?: SessionOption): Promise<number>;
  /** `update` holds update operators only ($set, $unset, $inc…). */
  findOneAndUpdate(filter: Filter, update: Doc, options: FindOneAndUpdateOptions): Promise<T | null>;
  updateOne(filter: Filter, update: Doc, options?: UpsertOption): Promise<WriteCount>;
  /** Replaces the first matching document whole (fields absent from `doc` are removed). */
  replaceOne(filter: Filter, doc: T, options?: SessionOption): Promise<WriteCount>;
  deleteMany(filter: Filter, options?: SessionOption): Promise<number>;
  /** Idempotent: creating an index that exists with the same spec does nothing. */
  createIndex(spec: IndexSpec): Promise<void>;
}

export interface StoreCollections {
  resources: DocCollection<ResourceDoc>;
  history: DocCollection<HistoryDoc>;
  counters: DocCollection<CounterDoc>;
  /** The append-only audit trail (`auditEvents`). */
  audit: DocCollection<AuditDoc>;
  /** One-time keys (client assertion `jti`s) until they expire (`nonces`). */
  nonces: DocCollection<NonceDoc>;
  /** Whether multi-document transactions are available (a replica set or sharded cluster, not a standalone). */
  supportsTransactions(): Promise<boolean>;
  /**
   * Runs `work` in one multi-document transaction, committing when it resolves and aborting when it rejects.
   * Like the driver's `ClientSession.withTransaction`, `work` may run again after a transient error.
   */
  withTransaction<T>(work: (session: TxSession) => Promise<T>): Promise<T>;
  /** Where the data lives, without credentials (e.g. `mongodb://db1:27017/gdhcn`). */
  describe(): string;
  close(): Promise<void>;
}
