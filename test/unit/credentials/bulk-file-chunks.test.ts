/**
 * A long bulk job keeps its Task small (issue 18): the Task is rewritten at every batch and every version stays in
 * its history, so the list of output files leaves the Task in sealed chunks of FILES_PER_CHUNK entries. Each version
 * then holds fewer than FILES_PER_CHUNK entries (the whole list would make the history grow with the square of
 * the batches), while the job still lists, serves and, at expiry, deletes every file.
 */
import type { Parameters, Task } from '@medplum/fhirtypes';
import { createBulkIssuer, type BulkIssuer } from '../../../src/credentials/bulk-issue.ts';
import {
  binaryId,
  type BulkJob,
  FILES_PER_CHUNK,
  filesChunkName,
  fromTask,
  taskId,
  toTask,
} from '../../../src/credentials/bulk-job-record.ts';
import { recordsOfImmunization } from '../../../src/http/operations/records.ts';
import { covidImmunization, patient } from './fixtures.ts';
import { makeHarness, NOW, type Harness } from './harness.ts';

/** One Immunization per batch, so one output file per batch: two chunks sealed and some left in the Task. */
const ITEMS = Array.from({ length: 2 * FILES_PER_CHUNK + 5 }, (_, i) => `cimm-${i}`);
const RETENTION_MS = 3_600_000;
const BASE_JOB: BulkJob = {
  id: 'legacy',
  owner: 'his-1',
  state: 'in-progress',
  total: 10,
  done: 3,
  validitySeconds: 86_400,
  requestedAt: NOW.toISOString(),
  files: [],
  sealed: 0,
};
let h: Harness;
let clock = NOW;
let bulk: BulkIssuer;

beforeAll(async () => {
  h = await makeHarness();
  await h.store.create(patient({ id: 'cp' }), { id: 'cp' });
  for (const id of ITEMS) await h.store.create(covidImmunization({ id, patient: { reference: 'Patient/cp' } }), { id });
  bulk = createBulkIssuer({
    store: h.store,
    issuer: () => h.ctx,
    now: () => clock,
    records: (s, id) => recordsOfImmunization(s, id, 'http://gateway.test/fhir'),
    batchSize: 1,
    retentionMs: RETENTION_MS,
    audit: false,
  });
});
afterAll(async () => {
  await bulk.close();
  await h.store.close();
});

/** File entries each stored version of the job's Task carries. */
async function entriesPerVersion(): Promise<number[]> {
  const history = await h.store.history({ resourceType: 'Task', id: taskId('chunked'), count: 10_000, offset: 0 });
  return history.entries.map((e) => {
    const raw = (e.resource as Task | undefined)?.extension?.[0]?.valueString;
    return raw ? (JSON.parse(raw) as { files: unknown[] }).files.length : 0;
  });
}

test('when a job runs many batches, then every Task version holds fewer than a chunk of file entries, and all files are listed and served', async () => {
  await bulk.start({
    id: 'chunked',
    owner: 'his-1',
    items: ITEMS,
    validitySeconds: 86_400,
    requestedAt: NOW.toISOString(),
  });
  await bulk.idle();
  const job = (await bulk.get('chunked'))!;
  expect(job.state).toBe('completed');
  expect(job.files.map((f) => f.name)).toEqual(ITEMS.map((_, i) => `out-${i}`));
  expect(job.sealed).toBe(Math.floor(ITEMS.length / FILES_PER_CHUNK));

  const versions = await entriesPerVersion();
  expect(versions.length).toBe(ITEMS.length + 1); // the kick-off, then one version per batch
  expect(Math.max(...versions)).toBeLessThan(FILES_PER_CHUNK);
  // Linear: the versions together hold fewer entries than a chunk per batch (the whole list: n(n+1)/2).
  expect(versions.reduce((a, b) => a + b, 0)).toBeLessThan(versions.length * FILES_PER_CHUNK);

  const lines = (await Promise.all(job.files.map(async (f) => (await bulk.file(job, f.name))!.split('\n'))))
    .flat()
    .map((l) => JSON.parse(l) as Parameters);
  const sources = lines.map((p) => p.parameter!.find((x) => x.name === 'source')!.valueReference!.reference!);
  expect(sources.sort()).toEqual(ITEMS.map((id) => `Immunization/${id}`).sort());
});

test('when the job expires, then the sweep deletes its files and its sealed chunks', async () => {
  const job = (await bulk.get('chunked'))!;
  const chunkIds = Array.from({ length: job.sealed }, (_, k) => binaryId('chunked', filesChunkName(k)));
  for (const id of chunkIds) expect((await h.store.read('Binary', id)).status).toBe('found');
  clock = new Date(NOW.getTime() + 2 * RETENTION_MS);
  expect(await bulk.sweep()).toBe(1);
  expect((await bulk.get('chunked'))!.state).toBe('expired');
  const ids = [...chunkIds, ...job.files.map((f) => binaryId('chunked', f.name))];
  const left = [];
  for (const id of ids) if ((await h.store.read('Binary', id)).status === 'found') left.push(id);
  expect(left).toEqual([]);
});

test('when a Task was written before chunks existed (its whole list, no sealed count), then it reads as a job with nothing sealed', () => {
  const files = ITEMS.slice(0, 3).map((_, i) => ({ name: `out-${i}`, kind: 'output' as const, count: 1 }));
  const task = toTask({ ...BASE_JOB, files, sealed: 0 });
  const legacy = JSON.parse(task.extension![0]!.valueString!) as Record<string, unknown>;
  delete legacy.sealed;
  task.extension![0]!.valueString = JSON.stringify(legacy);
  expect(fromTask(task)).toMatchObject({ sealed: 0, files, done: BASE_JOB.done });
});

test('when a job is cancelled between reading its Task and its chunks, then it reads as cancelled, not as an error', async () => {
  let cancelOnChunkRead = false;
  const store = {
    ...h.store,
    read: async (type: string, id: string) => {
      if (cancelOnChunkRead && type === 'Binary' && id === binaryId('racing', filesChunkName(0))) {
        cancelOnChunkRead = false;
        await bulk.cancel('racing'); // another process, on the same database
      }
      return h.store.read(type, id);
    },
  };
  const racer = createBulkIssuer({
    store,
    issuer: () => h.ctx,
    now: () => clock,
    records: (s, id) => recordsOfImmunization(s, id, 'http://gateway.test/fhir'),
    batchSize: 1,
    retentionMs: RETENTION_MS,
    audit: false,
  });
  try {
    await racer.start({
      id: 'racing',
      owner: 'his-1',
      items: ITEMS.slice(0, FILES_PER_CHUNK + 1),
      validitySeconds: 86_400,
      requestedAt: clock.toISOString(),
    });
    await racer.idle();
    expect((await racer.get('racing'))!.sealed).toBe(1);
    cancelOnChunkRead = true;
    const job = (await racer.get('racing'))!;
    expect([job.state, job.files, job.sealed]).toEqual(['cancelled', [], 0]);
  } finally {
    await racer.close();
  }
});
