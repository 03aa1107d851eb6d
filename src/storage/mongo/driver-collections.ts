/**
 * The collection interface over the official `mongodb` driver. Transactions use snapshot reads and majority
 * writes on the primary, through `ClientSession.withTransaction` (which retries on transient errors).
 * https://www.mongodb.com/docs/drivers/node/current/crud/transactions/
 */
import { MongoClient } from 'mongodb';
import type { ClientSession, Collection, Document, Filter as DriverFilter, UpdateFilter } from 'mongodb';
import type { Doc, DocCollection, Filter, FindOptions, StoreCollections, TxSession } from './collection.ts';
import type { AuditDoc } from './audit.ts';
import type { NonceDoc } from './nonces.ts';
import type { CounterDoc, HistoryDoc, ResourceDoc } from './documents.ts';

export interface DriverConnectOptions {
  url?: string;
  client?: MongoClient;
  dbName?: string;
}

function sessionOf(options?: { session?: TxSession }): ClientSession | undefined {
  return options?.session as unknown as ClientSession | undefined;
}

function wrap<T extends Doc>(col: Collection<Document>): DocCollection<T> {
  const f = (filter: Filter): DriverFilter<Document> => filter as DriverFilter<Document>;
  return {
    insertOne: async (doc, options) => {
      await col.insertOne(doc as Document, { session: sessionOf(options) });
    },
    findOne: async (filter, options: FindOptions = {}) =>
      (await col.findOne(f(filter), {
        projection: options.projection,
        sort: options.sort,
        session: sessionOf(options),
      })) as T | null,
    find: async (filter, options: FindOptions = {}) => {
      const cursor = col.find(f(filter), {
        projection: options.projection,
        session: sessionOf(options),
        ...(options.hint ? { hint: options.hint } : {}),
      });
      if (options.sort) cursor.sort(options.sort);
      if (options.skip) cursor.skip(options.skip);
      if (options.limit) cursor.limit(options.limit);
      return (await cursor.toArray()) as unknown as T[];
    },
    countDocuments: (filter, options) => col.countDocuments(f(filter), { session: sessionOf(options) }),
    findOneAndUpdate: async (filter, update, options) =>
      (await col.findOneAndUpdate(f(filter), update as UpdateFilter<Document>, {
        upsert: options.upsert,
        returnDocument: options.returnDocument,
        session: sessionOf(options),
      })) as T | null,
    updateOne: async (filter, update, options) => {
      const r = await col.updateOne(f(filter), update as UpdateFilter<Document>, {
        upsert: options?.upsert,
        session: sessionOf(options),
      });
      return { matchedCount: r.matchedCount };
    },
    replaceOne: async (filter, doc, options) => {
      const r = await col.replaceOne(f(filter), doc as Document, { session: sessionOf(options) });
      return { matchedCount: r.matchedCount };
    },
    deleteMany: async (filter, options) =>
      (await col.deleteMany(f(filter), { session: sessionOf(options) })).deletedCount,
    createIndex: async (spec) => {
      const options: Document = { name: spec.name };
      if (spec.unique) options.unique = true;
      if (spec.partialFilterExpression) options.partialFilterExpression = spec.partialFilterExpression;
      await col.createIndex(spec.keys, options);
    },
  };
}

const URL_PARTS = /^(mongodb(?:\+srv)?):\/\/(?:[^@/]*@)?([^/?]*)(?:\/([^?]*))?/;

/** Scheme, hosts and database of a connection string, without user name or password. */
export function describeUrl(url: string): { scheme: string; hosts: string; dbName?: string } {
  const m = URL_PARTS.exec(url);
  if (!m) throw new Error('MONGODB_URL must start with mongodb:// or mongodb+srv://');
  const dbName = m[3] ? decodeURIComponent(m[3]) : undefined;
  return { scheme: m[1] as string, hosts: m[2] as string, dbName };
}

/**
 * Opens (or adopts) a client and returns the adapter's collections in database `dbName`: `resources`,
 * `history`, `counters`, `auditEvents`.
 */
export async function connectDriverCollections(options: DriverConnectOptions): Promise<StoreCollections> {
  if (!options.client && !options.url) throw new Error('createMongoStore needs a url or a client');
  const owned = !options.client;
  const client = options.client ?? new MongoClient(options.url as string);
  if (owned) await client.connect();
  const parsed = options.url ? describeUrl(options.url) : undefined;
  const dbName = options.dbName ?? parsed?.dbName ?? 'gdhcn';
  const db = client.db(dbName);
  const where = parsed
    ? `${parsed.scheme}://${parsed.hosts}/${dbName}`
    : `mongodb://${client.options.hosts.map(String).join(',')}/${dbName}`;
  let transactions: boolean | undefined;
  return {
    resources: wrap<ResourceDoc>(db.collection('resources')),
    history: wrap<HistoryDoc>(db.collection('history')),
    counters: wrap<CounterDoc>(db.collection('counters')),
    audit: wrap<AuditDoc>(db.collection('auditEvents')),
    nonces: wrap<NonceDoc>(db.collection('nonces')),
    supportsTransactions: async () => {
      // A replica set member reports its set name, a mongos says `isdbgrid`; a standalone has neither.
      const hello = await db.admin().command({ hello: 1 });
      transactions ??= typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
      return transactions;
    },
    withTransaction: <T>(work: (session: TxSession) => Promise<T>) =>
      client.withSession(async (session) => {
        let result: T | undefined;
        await session.withTransaction(
          async (s) => {
            result = await work(s as unknown as TxSession);
          },
          { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' }, readPreference: 'primary' },
        );
        return result as T;
      }),
    describe: () => where,
    close: async () => {
      if (owned) await client.close();
    },
  };
}
