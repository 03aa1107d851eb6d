/**
 * The storage contract on the MongoDB adapter: always on the in-memory stand-in (mingo), and on a real MongoDB
 * server only when MONGODB_URL is set (e.g. a single-node replica set, see docs/mongodb.md). The suite names
 * and the console say which of the two ran; the stand-in is never reported as MongoDB.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { createMongoStore, createMongoStoreOn } from '../../src/storage/mongo/mongo-store.ts';
import { runStoreContract } from './contract.ts';
import { auditTrailContract } from './contract/audit-trail.ts';
import { STAND_IN_DESCRIPTION, createMemoryCollections } from './mongo/memory-collections.ts';

const url = process.env.MONGODB_URL;

console.log(
  url
    ? 'MongoDB adapter contract: running on the MongoDB stand-in (mingo), not a MongoDB server, AND on the MongoDB server at MONGODB_URL'
    : 'MongoDB adapter contract: running on the MongoDB stand-in (mingo), not a MongoDB server (set MONGODB_URL to also run it on a real server)',
);

runStoreContract('MongoDB stand-in (mingo), not a MongoDB server', async ({ now }) =>
  createMongoStoreOn(createMemoryCollections(), { now }),
);

// A standalone server has no transactions: a write and its AuditEvent are kept together by compensating writes.
describe('audit trail on a standalone stand-in (compensating writes), not a MongoDB server', () =>
  auditTrailContract(async ({ now }) => createMongoStoreOn(createMemoryCollections({ transactions: false }), { now })));

test('when the contract runs on the stand-in, then the store describes itself as the stand-in, not as MongoDB', async () => {
  const store = await createMongoStoreOn(createMemoryCollections());
  expect(store.describe()).toBe(STAND_IN_DESCRIPTION);
  expect(store.describe()).toContain('not a MongoDB server');
  await store.close();
});

if (url) {
  const client = new MongoClient(url);
  const databases: string[] = [];
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    for (const name of databases) await client.db(name).dropDatabase();
    await client.close();
  });
  // One throw-away database per test, so tests never see each other's data.
  runStoreContract('MongoDB server at MONGODB_URL', async ({ now }) => {
    const dbName = `gdhcn_contract_${randomUUID().slice(0, 8)}`;
    databases.push(dbName);
    return createMongoStore({ client, dbName, now });
  });
}
