/**
 * The bulk issuer's batches (issue 18): a batch's Provenances, its output lines, its AuditEvents and the job's
 * position commit together or not at all. A batch whose commit fails leaves nothing behind (its signatures were
 * never handed out, and have no Provenance), the job keeps the lines of the batches before it, each with its
 * Provenance already durable, and the batch is retried later (not at once) until the job completes, every
 * Immunization issued exactly once.
 */
import type { AuditEvent, Parameters, Provenance } from '@medplum/fhirtypes';
import { createBulkIssuer, type BulkIssuer } from '../../../src/credentials/bulk-issue.ts';
import { parseSearchQuery } from '../../../src/fhir/search/parse.ts';
import { recordsOfImmunization } from '../../../src/http/operations/records.ts';
import type { ResourceStore } from '../../../src/storage/store.ts';
import { covidImmunization, patient } from './fixtures.ts';
import { makeHarness, NOW, type Harness } from './harness.ts';

const BATCH = 3;
const ITEMS = Array.from({ length: 8 }, (_, i) => `bimm-${i}`);
let h: Harness;
let bulk: BulkIssuer;
let commits = 0;
let failed = 0;

beforeAll(async () => {
  h = await makeHarness();
  await h.store.create(patient({ id: 'bp' }), { id: 'bp' });
  for (const [i, id] of ITEMS.entries())
    await h.store.create(
      covidImmunization({ id, patient: { reference: 'Patient/bp' }, occurrenceDateTime: `2021-03-1${i}` }),
      { id },
    );
  // The second batch's commit fails once, after all its writes were made (as a full disk or a lost fsync would):
  // the third transaction, after the kick-off's and the first batch's.
  const store: ResourceStore = {
    ...h.store,
    transaction: (work) =>
      ++commits === 3
        ? h.store.transaction(async (tx) => {
            await work(tx);
            failed++;
            throw new Error('the commit failed');
          })
        : h.store.transaction(work),
  };
  bulk = createBulkIssuer({
    store,
    issuer: () => h.ctx,
    now: () => NOW,
    records: (s, id) => recordsOfImmunization(s, id, 'http://gateway.test/fhir'),
    batchSize: BATCH,
    retentionMs: 86_400_000,
    audit: true,
  });
});
afterAll(async () => {
  await bulk.close();
  await h.store.close();
});

const search = async (type: string, params: Array<[string, string]>) =>
  (await h.store.search(parseSearchQuery(type, params, { defaultCount: 1000, maxCount: 1000 }).query)).resources;

test('a failed commit leaves nothing of its batch; earlier lines keep their Provenance; the retry completes the job once', async () => {
  const started = await bulk.start({
    id: 'job-1',
    owner: 'his-1',
    items: ITEMS,
    validitySeconds: 86_400,
    requestedAt: NOW.toISOString(),
  });
  await bulk.idle();
  // The loop stopped at the failed batch: only the first batch is there, and only its credentials are recorded.
  const after = (await bulk.get(started.id))!;
  expect(failed).toBe(1);
  expect([after.state, after.done, after.files.map((f) => f.name)]).toEqual(['in-progress', BATCH, ['out-0']]);
  const firstLines = (await bulk.file(after, 'out-0'))!.split('\n').map((l) => JSON.parse(l) as Parameters);
  const provenanceOf = (p: Parameters) => p.parameter!.find((x) => x.name === 'provenance')!.valueReference!.reference!;
  const stored = (await search('Provenance', [])) as Provenance[];
  expect(stored.map((p) => `Provenance/${p.id}`).sort()).toEqual(firstLines.map(provenanceOf).sort());

  // The retry comes from an unref'd timer, a second later: wait for the job to complete.
  let job = after;
  for (let i = 0; job.state === 'in-progress'; i++) {
    if (i > 600) throw new Error(`job still at ${job.done} of ${job.total}`);
    await new Promise((r) => setTimeout(r, 50));
    job = (await bulk.get(started.id))!;
  }
  expect(job.state).toBe('completed');
  const lines = (await Promise.all(job.files.map(async (f) => (await bulk.file(job, f.name))!.split('\n'))))
    .flat()
    .map((l) => JSON.parse(l) as Parameters);
  const sources = lines.map((p) => p.parameter!.find((x) => x.name === 'source')!.valueReference!.reference!);
  expect(sources.sort()).toEqual(ITEMS.map((id) => `Immunization/${id}`).sort());
  const all = (await search('Provenance', [])) as Provenance[];
  expect(all.map((p) => `Provenance/${p.id}`).sort()).toEqual(lines.map(provenanceOf).sort());
  // One AuditEvent per committed batch names each of its credentials' Provenance, and the client that asked.
  const events = (await search('AuditEvent', [['entity', 'Task/bulk-job-1']])) as AuditEvent[];
  const named = events.flatMap((e) => (e.entity ?? []).map((x) => x.what?.reference ?? ''));
  expect(named.filter((r) => r.startsWith('Provenance/')).sort()).toEqual(lines.map(provenanceOf).sort());
  expect(events).toHaveLength(Math.ceil(ITEMS.length / BATCH));
  expect(new Set(events.map((e) => e.agent?.[0]?.who?.identifier?.value))).toEqual(new Set(['his-1']));
});

test('two loops on one job (a second server on the same database) never issue an item twice', async () => {
  const before = (await search('Provenance', [])).length;
  const options = {
    store: h.store,
    issuer: () => h.ctx,
    now: () => NOW,
    records: (s: ResourceStore, id: string) => recordsOfImmunization(s, id, 'http://gateway.test/fhir'),
    batchSize: BATCH,
    retentionMs: 86_400_000,
    audit: true,
    onError: (err: unknown) => conflicts.push((err as { kind?: string }).kind ?? String(err)),
  };
  const conflicts: string[] = [];
  const a = createBulkIssuer(options);
  const b = createBulkIssuer(options);
  try {
    await a.start({
      id: 'job-2',
      owner: 'his-1',
      items: ITEMS,
      validitySeconds: 86_400,
      requestedAt: NOW.toISOString(),
    });
    // b finds the open job in the store and works it too, concurrently: each batch commits only over the Task
    // version its loop read, so of two loops' batches at one position exactly one commits.
    await b.resume();
    let job = (await a.get('job-2'))!;
    for (let i = 0; job.state === 'in-progress'; i++) {
      if (i > 600) throw new Error(`job still at ${job.done} of ${job.total}`);
      await new Promise((r) => setTimeout(r, 50));
      job = (await a.get('job-2'))!;
    }
    const lines = (await Promise.all(job.files.map(async (f) => (await a.file(job, f.name))!.split('\n'))))
      .flat()
      .map((l) => JSON.parse(l) as Parameters);
    const sources = lines.map((p) => p.parameter!.find((x) => x.name === 'source')!.valueReference!.reference!);
    expect(sources.sort()).toEqual(ITEMS.map((id) => `Immunization/${id}`).sort());
    expect((await search('Provenance', [])).length - before).toBe(ITEMS.length);
    // The two loops did meet: the losing batch was refused (its file id taken, or its If-Match stale) and rolled back.
    expect(conflicts.length).toBeGreaterThan(0);
    expect(conflicts.filter((k) => k !== 'conflict' && k !== 'precondition-failed')).toEqual([]);
  } finally {
    await a.close();
    await b.close();
  }
});
