/**
 * The in-memory MongoDB stand-in itself (test/storage/mongo/): it must behave like the driver on the points the
 * adapter relies on, or the contract run on it would prove nothing. It is not a MongoDB server.
 */
import type { StoreCollections } from '../../src/storage/mongo/collection.ts';
import type { CounterDoc } from '../../src/storage/mongo/documents.ts';
import { createMemoryCollections } from './mongo/memory-collections.ts';

let cols: StoreCollections;
beforeEach(() => {
  cols = createMemoryCollections();
});

const counter = (n: number): CounterDoc => ({ _id: `c${n}`, n });

describe('MongoDB stand-in (mingo), not a MongoDB server', () => {
  test('when a document with an existing _id is inserted, then it fails with the E11000 shape on the _id index', async () => {
    await cols.counters.insertOne(counter(1));
    const err = await cols.counters.insertOne(counter(1)).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'MongoServerError',
      code: 11000,
      codeName: 'DuplicateKey',
      keyPattern: { _id: 1 },
      keyValue: { _id: 'c1' },
    });
    expect((err as Error).message).toBe(
      'E11000 duplicate key error collection: standin.counters index: _id_ dup key: { _id: "c1" }',
    );
  });

  test('when a unique index has a partial filter, then only documents matching it must be unique', async () => {
    await cols.counters.createIndex({
      name: 'k',
      keys: { k: 1 },
      unique: true,
      partialFilterExpression: { k: { $exists: true } },
    });
    await cols.counters.insertOne(counter(1));
    await cols.counters.insertOne(counter(2)); // neither has k: not indexed, no clash
    await cols.counters.insertOne({ ...counter(3), k: 'x' });
    await expect(cols.counters.insertOne({ ...counter(4), k: 'x' })).rejects.toMatchObject({
      code: 11000,
      keyValue: { k: 'x' },
    });
    await expect(cols.counters.updateOne({ _id: 'c1' }, { $set: { k: 'x' } })).rejects.toMatchObject({ code: 11000 });
  });

  test('when an index is created again with other keys under the same name, then it fails like the server (IndexOptionsConflict)', async () => {
    await cols.counters.createIndex({ name: 'n', keys: { n: 1 } });
    await cols.counters.createIndex({ name: 'n', keys: { n: 1 } });
    await expect(cols.counters.createIndex({ name: 'n', keys: { n: -1 } })).rejects.toMatchObject({
      code: 85,
      codeName: 'IndexOptionsConflict',
    });
  });

  test('when a transaction throws, then none of its writes are visible; when it resolves, all of them are', async () => {
    await expect(
      cols.withTransaction(async (session) => {
        await cols.counters.insertOne(counter(1), { session });
        expect(await cols.counters.countDocuments({}, { session })).toBe(1);
        expect(await cols.counters.countDocuments({})).toBe(0);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await cols.counters.countDocuments({})).toBe(0);
    await cols.withTransaction(async (session) => {
      await cols.counters.insertOne(counter(2), { session });
      await cols.counters.findOneAndUpdate({ _id: 'c2' }, { $inc: { n: 5 } }, { returnDocument: 'after', session });
    });
    expect(await cols.counters.findOne({ _id: 'c2' })).toEqual({ _id: 'c2', n: 7 });
  });

  test('when two transactions insert the same unique key, then the later commit conflicts, is retried, and then sees E11000', async () => {
    let runs = 0;
    const insert = (n: number) =>
      cols.withTransaction(async (session) => {
        runs++;
        await cols.counters.insertOne({ _id: 'same', n }, { session });
        await new Promise((resolve) => setTimeout(resolve, 5));
      });
    const results = await Promise.allSettled([insert(1), insert(2)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({
      code: 11000,
    });
    expect(runs).toBe(3);
  });

  test('when a session is used after its transaction ended, then it is refused', async () => {
    let kept: Parameters<Parameters<StoreCollections['withTransaction']>[0]>[0] | undefined;
    await cols.withTransaction(async (session) => {
      kept = session;
    });
    await expect(cols.counters.findOne({}, { session: kept })).rejects.toMatchObject({ code: 251 });
  });

  test('when the stand-in plays a standalone server, then it refuses transactions like one', async () => {
    const standalone = createMemoryCollections({ transactions: false });
    expect(await standalone.supportsTransactions()).toBe(false);
    await expect(standalone.withTransaction(async () => 1)).rejects.toMatchObject({
      code: 20,
      codeName: 'IllegalOperation',
    });
  });

  test('when find has a sort, skip, limit and projection, then they apply as MongoDB applies them', async () => {
    for (const n of [3, 1, 2]) await cols.counters.insertOne({ ...counter(n), extra: { a: n, b: 'x' } });
    const page = await cols.counters.find(
      { n: { $gte: 1 } },
      { sort: { n: -1 }, skip: 1, limit: 1, projection: { n: 1, 'extra.a': 1 } },
    );
    expect(page).toEqual([{ _id: 'c2', n: 2, extra: { a: 2 } }]);
  });
});
