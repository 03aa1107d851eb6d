/**
 * Behaviour of the MongoDB adapter beyond the shared contract, on the in-memory stand-in (mingo), not a MongoDB
 * server: the document model, the conditional-create key, the unique indexes, start-up, and the standalone
 * fallback (compensating writes instead of transactions) with the guarantees it gives up.
 */
import type { Patient } from '@medplum/fhirtypes';
import type { StoreCollections } from '../../src/storage/mongo/collection.ts';
import { conditionalKey } from '../../src/storage/mongo/conditional-key.ts';
import { describeUrl } from '../../src/storage/mongo/driver-collections.ts';
import { createMongoStoreOn } from '../../src/storage/mongo/mongo-store.ts';
import type { ResourceStore } from '../../src/storage/store.ts';
import { expectOutcome, immunization, patient, q } from './contract/helpers.ts';
import { createMemoryCollections } from './mongo/memory-collections.ts';

const IDENT = 'identifier=urn:oid:1.2.3|imm-1';

let cols: StoreCollections;
let store: ResourceStore;
beforeEach(async () => {
  cols = createMemoryCollections();
  store = await createMongoStoreOn(cols, { now: () => new Date('2024-01-01T00:00:00Z') });
});
afterEach(async () => store.close());

/** Every key of a value, at any depth. */
function keysOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(k), keysOf(v, out);
  return out;
}

describe('MongoDB adapter on the stand-in (mingo), not a MongoDB server: documents', () => {
  test('when a resource holds keys that start with $ or contain dots, then they are kept as JSON text and never become field names', async () => {
    const odd = { ...patient(), $where: 'sleep(1000)', 'a.b': { $gt: '' } } as unknown as Patient;
    const { resource } = await store.create(odd);
    const read = await store.read('Patient', resource.id as string);
    expect(read).toEqual({ status: 'found', resource });
    expect(resource).toMatchObject({ $where: 'sleep(1000)', 'a.b': { $gt: '' } });
    const doc = await cols.resources.findOne({ _id: `Patient/${resource.id}` });
    expect(keysOf(doc).filter((k) => k.startsWith('$') || k.includes('.'))).toEqual([]);
    expect(typeof doc?.json).toBe('string');
    expect((await store.vread('Patient', resource.id as string, '1'))?.resource).toEqual(resource);
  });

  test('when a resource is deleted, then its document keeps the index (for older snapshots) and drops the JSON', async () => {
    const { resource } = await store.create(immunization());
    await store.delete('Immunization', resource.id as string);
    const doc = await cols.resources.findOne({ _id: `Immunization/${resource.id}` });
    expect(doc).toMatchObject({ v: 2, del: doc?.seq });
    expect(doc?.json).toBeUndefined();
    expect(doc?.ix.tk?.some((t) => t.p === 'status' && t.c === 'completed')).toBe(true);
  });

  test('when resources belong to a patient, then resource and history documents carry the patient compartment key', async () => {
    const p = (await store.create(patient())).resource;
    const i = (await store.create(immunization({ patient: { reference: `Patient/${p.id}` } }))).resource;
    const org = (await store.create({ resourceType: 'Organization', name: 'MoH' })).resource;
    expect((await cols.resources.findOne({ _id: `Patient/${p.id}` }))?.pk).toBe(`Patient/${p.id}`);
    expect((await cols.resources.findOne({ _id: `Immunization/${i.id}` }))?.pk).toBe(`Patient/${p.id}`);
    expect((await cols.history.findOne({ t: 'Immunization', id: i.id }))?.pk).toBe(`Patient/${p.id}`);
    expect((await cols.resources.findOne({ _id: `Organization/${org.id}` }))?.pk).toBe(`Organization/${org.id}`);
    await store.delete('Immunization', i.id as string);
    expect((await cols.history.findOne({ t: 'Immunization', id: i.id, v: 2 }))?.pk).toBe(`Patient/${p.id}`);
  });

  test('when the store opens twice on the same database, then index creation is idempotent', async () => {
    await store.create(patient());
    const again = await createMongoStoreOn(cols);
    expect((await again.search(q('Patient', '_total=accurate'))).total).toBe(1);
  });

  test('when a chained parameter matches more targets than the limit, then the search is refused with STORE_CHAIN_TOO_BROAD', async () => {
    const narrow = await createMongoStoreOn(createMemoryCollections(), { chainLimit: 1 });
    await narrow.create(patient());
    await narrow.create(patient());
    await expectOutcome(
      narrow.search(q('Immunization', 'patient.name=doe')),
      'invalid',
      'STORE_CHAIN_TOO_BROAD',
      "The chained parameter 'patient' matches more than 1 Patient resources; narrow it",
    );
  });

  test('when a connection string carries credentials, then describe() leaves them out', () => {
    expect(describeUrl('mongodb://user:secret@db1:27017,db2:27017/gdhcn?replicaSet=rs0')).toEqual({
      scheme: 'mongodb',
      hosts: 'db1:27017,db2:27017',
      dbName: 'gdhcn',
    });
    expect(describeUrl('mongodb+srv://cluster.example.org').dbName).toBeUndefined();
    expect(() => describeUrl('postgres://x')).toThrow('MONGODB_URL must start with mongodb:// or mongodb+srv://');
  });
});

describe('MongoDB adapter on the stand-in (mingo), not a MongoDB server: conditional create key', () => {
  test('when a conditional create creates, then the resource holds the search key until it is next written', async () => {
    const { resource } = await store.create(
      immunization({ identifier: [{ system: 'urn:oid:1.2.3', value: 'imm-1' }] }),
      { ifNoneExist: q('Immunization', IDENT) },
    );
    const key = `Immunization/${resource.id}`;
    expect((await cols.resources.findOne({ _id: key }))?.ck).toBe(conditionalKey(q('Immunization', IDENT)));
    await store.update(resource);
    expect((await cols.resources.findOne({ _id: key }))?.ck).toBeUndefined();
  });

  test('when the key is already held, then the unique index refuses a second holder with E11000', async () => {
    await store.create(immunization({ identifier: [{ system: 'urn:oid:1.2.3', value: 'imm-1' }] }), {
      ifNoneExist: q('Immunization', IDENT),
    });
    const holder = (await cols.resources.find({ ck: { $exists: true } }))[0];
    const err = await cols.resources
      .insertOne({ ...holder!, _id: 'Immunization/other', id: 'other' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'MongoServerError', code: 11000, keyPattern: { ck: 1 } });
    expect((err as Error).message).toMatch(
      /^E11000 duplicate key error collection: standin\.resources index: conditional_key dup key: \{ ck: "/,
    );
  });

  test('when equivalent searches written differently race, then exactly one resource is created', async () => {
    const searches = [
      'identifier=urn:oid:1.2.3|imm-1&status=completed',
      'status=completed&identifier=urn:oid:1.2.3|imm-1',
    ];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.create(immunization({ identifier: [{ system: 'urn:oid:1.2.3', value: 'imm-1' }] }), {
          ifNoneExist: q('Immunization', searches[i % 2]),
        }),
      ),
    );
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(new Set(results.map((r) => r.resource.id)).size).toBe(1);
  });

  test('when the key holder does not match its own search, then it gives the key up and the next conditional create creates', async () => {
    const first = await store.create(immunization(), { ifNoneExist: q('Immunization', IDENT) }); // no such identifier
    const second = await store.create(immunization({ identifier: [{ system: 'urn:oid:1.2.3', value: 'imm-1' }] }), {
      ifNoneExist: q('Immunization', IDENT),
    });
    expect([first.outcome, second.outcome]).toEqual(['created', 'created']);
    expect((await cols.resources.findOne({ _id: `Immunization/${first.resource.id}` }))?.ck).toBeUndefined();
    const third = await store.create(immunization(), { ifNoneExist: q('Immunization', IDENT) });
    expect(third).toEqual({ outcome: 'existing', resource: second.resource });
  });

  test('when a matching resource was created without a key, then a conditional create returns it and claims nothing', async () => {
    const plain = await store.create(immunization({ identifier: [{ system: 'urn:oid:1.2.3', value: 'imm-1' }] }));
    const again = await store.create(immunization(), { ifNoneExist: q('Immunization', IDENT) });
    expect(again).toEqual({ outcome: 'existing', resource: plain.resource });
    expect(await cols.resources.countDocuments({ ck: { $exists: true } })).toBe(0);
  });
});

describe('MongoDB adapter on the stand-in (mingo), not a MongoDB server: transactions', () => {
  test('when two transactions update the same resource at once, then the write conflict retries one and both versions land', async () => {
    const p = (await store.create(patient())).resource as Patient;
    const tx = (gender: Patient['gender']) =>
      store.transaction(async (t) => {
        const current = await t.read('Patient', p.id as string);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return t.update({ ...(current as { resource: Patient }).resource, gender });
      });
    await Promise.all([tx('male'), tx('female')]);
    const history = await store.history({ resourceType: 'Patient', id: p.id, count: 10, offset: 0 });
    expect(history.entries.map((e) => e.versionId)).toEqual(['3', '2', '1']);
  });
});

describe('MongoDB adapter on a standalone stand-in (no transactions): compensating writes', () => {
  let standalone: ResourceStore;
  beforeEach(async () => {
    standalone = await createMongoStoreOn(createMemoryCollections({ transactions: false }));
  });

  test('when the server has no transactions, then the store says it compensates, and `required` refuses to start', async () => {
    expect(standalone.describe()).toBe(
      'mingo:memory (MongoDB stand-in, not a MongoDB server) (no transactions: compensating writes)',
    );
    await expect(
      createMongoStoreOn(createMemoryCollections({ transactions: false }), { transactions: 'required' }),
    ).rejects.toThrow(
      'mingo:memory (MongoDB stand-in, not a MongoDB server) does not support transactions (a standalone server); run a replica set',
    );
  });

  test('when a write in the middle of a transaction fails, then the earlier writes are undone and the error is rethrown', async () => {
    const existing = (await standalone.create(patient())).resource;
    let createdId = '';
    await expectOutcome(
      standalone.transaction(async (tx) => {
        createdId = (await tx.create(immunization())).resource.id as string;
        await tx.update({ ...existing, gender: 'male' } as Patient);
        await tx.update({ ...existing, gender: 'female' } as Patient, { ifMatch: '9' });
      }),
      'precondition-failed',
      'STORE_VERSION_MISMATCH',
      `Patient/${existing.id} is at version 2, not '9'`,
    );
    expect(await standalone.read('Immunization', createdId)).toEqual({ status: 'missing' });
    expect(await standalone.read('Patient', existing.id as string)).toEqual({ status: 'found', resource: existing });
    expect((await standalone.history({ count: 10, offset: 0 })).total).toBe(1);
  });

  test('when a compensated transaction awaits, then other requests can see its writes (isolation is lost)', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = standalone.transaction(async (t) => {
      await t.create(immunization());
      await gate;
      throw new Error('abandon');
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await standalone.search(q('Immunization', '_total=accurate'))).total).toBe(1);
    release();
    await expect(tx).rejects.toThrow('abandon');
    expect((await standalone.search(q('Immunization', '_total=accurate'))).total).toBe(0);
  });

  test('when another request writes the same resource before the rollback, then its write wins over the compensation', async () => {
    const p = (await standalone.create(patient())).resource as Patient;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const tx = standalone.transaction(async (t) => {
      await t.update({ ...p, gender: 'male' });
      await gate;
      throw new Error('abandon');
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await standalone.update({ ...p, gender: 'other' });
    release();
    await expect(tx).rejects.toThrow('abandon');
    const read = await standalone.read('Patient', p.id as string);
    expect((read as { resource: Patient }).resource).toMatchObject({ gender: 'other', meta: { versionId: '3' } });
  });
});
