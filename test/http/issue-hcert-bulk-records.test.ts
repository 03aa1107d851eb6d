/**
 * `$issue-hcert-bulk` under access control, its records and its trail (issue 18): kick-off on a Group and with
 * `_typeFilter`; the AuditEvents of the kick-off, of every signature (each credential's Provenance named once), of
 * downloads and of the cancellation; job Tasks and output Binaries as security records (no plain FHIR read, search,
 * history or write, whatever the scopes); and the expiry of a completed job's files (410, then deleted).
 */
import type { AuditEvent, Bundle, Group, Immunization, Parameters } from '@medplum/fhirtypes';
import request from 'supertest';
import { OPERATION_SCOPES } from '../../src/auth/operation-scopes.ts';
import { binaryId, taskId } from '../../src/credentials/bulk-job-record.ts';
import { bulkClient, pathOf, type Manifest } from '../e2e/bulk-client.ts';
import { client, messageIds, param } from '../e2e/credential-client.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';

const RETENTION_MS = 60_000;
let clock = NOW;
let t: AuthTestApp;
let owner: string;
let admin: string;
const PATIENTS = ['p0', 'p1', 'p2'];
const pushed: Immunization[] = PATIENTS.flatMap((p, i) =>
  [1, 2, 3].map((dose) =>
    covidImmunization({
      id: `gimm-${p}-${dose}`,
      patient: { reference: `Patient/${p}` },
      occurrenceDateTime: `2021-0${dose}-1${i}`,
    }),
  ),
);
// p1 left the group: an inactive member is not issued for.
const group: Group = {
  resourceType: 'Group',
  id: 'g1',
  type: 'person',
  actual: true,
  member: [
    { entity: { reference: 'Patient/p0' } },
    { entity: { reference: 'Patient/p1' }, inactive: true },
    { entity: { reference: 'Patient/p2' } },
  ],
};
const memberDoses = pushed.filter((i) => i.patient.reference !== 'Patient/p1');
const sourcesOf = (lines: Parameters[]) => lines.map((l) => param(l, 'source')!.valueReference!.reference!).sort();
const refs = (imms: Immunization[]) => imms.map((i) => `Immunization/${i.id}`).sort();

beforeAll(async () => {
  t = await createAuthTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL, bulkOutputRetentionMs: RETENTION_MS },
    { now: () => clock, issuerKeys: await makeKeys(), bulkBatchSize: 2 },
  );
  const scope = OPERATION_SCOPES.issueHcertBulk;
  owner = await (await t.registerClient('bulk-owner', [scope])).token(scope);
  const all = 'system/*.cruds system/AuditEvent.rs';
  admin = await (await t.registerClient('admin', all.split(' '))).token(all);
  await client(t, { bearer: admin }).push(...PATIENTS.map((id) => patient({ id })), ...pushed, group);
});
afterAll(() => t.close());

/** Kicks off (as the owner), waits for the manifest, reads every output line. */
async function run(parameter: unknown[], at = '') {
  const bulk = bulkClient(t.app, owner);
  const kicked = await bulk.kickOff(parameter, 'respond-async', at);
  expect(kicked.status).toBe(202);
  const location = kicked.headers['content-location'] as string;
  const done = await bulk.finish(location);
  expect(done.status).toBe(200);
  const manifest = done.body as Manifest;
  const lines = (await Promise.all(manifest.output.map((o) => bulk.lines<Parameters>(o.url)))).flat();
  return { job: new URL(location).searchParams.get('job')!, location, manifest, lines };
}

async function auditOf(job: string): Promise<AuditEvent[]> {
  await t.services.audit.flush();
  const res = await client(t, { bearer: admin }).get(`AuditEvent?entity=Task/${taskId(job)}&_count=1000`);
  expect(res.status).toBe(200);
  return ((res.body as Bundle<AuditEvent>).entry ?? []).map((e) => e.resource!);
}

const namesOf = (e: AuditEvent, type: string) =>
  (e.entity ?? []).map((x) => x.what?.reference ?? '').filter((r) => r.startsWith(`${type}/`));

describe('a job on a Group', () => {
  let job: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    job = await run([], 'Group/g1');
  });

  test("issues the active members' Immunizations, each once", () => {
    expect(sourcesOf(job.lines)).toEqual(refs(memberDoses));
  });

  test('leaves AuditEvents: the kick-off, every signature (its Provenance named once) and each download', async () => {
    const events = await auditOf(job.job);
    const agentOf = (e: AuditEvent) => e.agent?.find((a) => a.requestor)?.who?.identifier?.value;
    const kickOff = events.filter((e) => e.action === 'E' && namesOf(e, 'Group').includes('Group/g1'));
    expect(kickOff.map(agentOf)).toEqual(['bulk-owner']);
    const signed = events.filter((e) => e.action === 'E').flatMap((e) => namesOf(e, 'Provenance'));
    expect(signed.sort()).toEqual(job.lines.map((l) => param(l, 'provenance')!.valueReference!.reference!).sort());
    // Reads: the status polls and one per file downloaded, all by the owner.
    const reads = events.filter((e) => e.action === 'R');
    expect(reads.length).toBeGreaterThanOrEqual(1 + job.manifest.output.length);
    expect(new Set(reads.map(agentOf))).toEqual(new Set(['bulk-owner']));
  });

  test('its Task and Binaries are not plain FHIR records: no read, search, history or write, even for *.cruds', async () => {
    const c = client(t, { bearer: admin });
    const file = binaryId(job.job, job.manifest.output[0]!.url.split('file=')[1]!);
    for (const path of [
      `Task/${taskId(job.job)}`,
      `Binary/${file}`,
      `Binary/${file}/_history`,
      `Task/${taskId(job.job)}/_history/1`,
    ]) {
      const res = await c.get(path);
      expect([path, res.status, messageIds(res.body)]).toEqual([path, 404, ['RESOURCE_NOT_FOUND']]);
    }
    for (const path of ['Task', 'Binary', 'Task/_history', 'Binary/_history', '_history']) {
      const res = await c.get(path);
      expect(res.status).toBe(200);
      const ids = ((res.body as Bundle).entry ?? []).map((e) => e.resource?.id ?? e.fullUrl ?? '');
      expect([path, ids.filter((id) => id.includes('bulk-'))]).toEqual([path, []]);
    }
    const refused = [
      await c.put(`Task/${taskId(job.job)}`, {
        resourceType: 'Task',
        id: taskId(job.job),
        status: 'cancelled',
        intent: 'order',
      }),
      await request(t.app).delete(`/fhir/Binary/${file}`).set('Authorization', `Bearer ${admin}`),
      await c.post('Task', {
        resourceType: 'Task',
        status: 'requested',
        intent: 'order',
        code: { coding: [{ system: 'https://gdhcn-gateway.org/fhir/CodeSystem/bulk-job', code: 'issue-hcert-bulk' }] },
      }),
    ];
    for (const res of refused) expect([res.status, messageIds(res.body)]).toEqual([403, ['SECURITY_RECORD_READ_ONLY']]);
    const conditional = await request(t.app)
      .delete('/fhir/Task?status=completed')
      .set('Authorization', `Bearer ${admin}`);
    expect([conditional.status, messageIds(conditional.body)]).toEqual([403, ['SECURITY_RECORD_CONDITIONAL']]);
    // The owner still reads its file through the operation.
    expect((await bulkClient(t.app, owner).lines<Parameters>(job.manifest.output[0]!.url)).length).toBeGreaterThan(0);
  });
});

test('_typeFilter narrows the Immunizations (and patient narrows the patients)', async () => {
  const { lines } = await run([
    { name: 'patient', valueReference: { reference: 'Patient/p0' } },
    { name: '_typeFilter', valueString: 'Immunization?date=ge2021-02-01' },
  ]);
  const expected = pushed.filter((i) => i.patient.reference === 'Patient/p0' && i.occurrenceDateTime! >= '2021-02-01');
  expect(sourcesOf(lines)).toEqual(refs(expected));
});

test('bad Group and _typeFilter kick-offs are 4xx OperationOutcomes', async () => {
  const bulk = bulkClient(t.app, owner);
  const c = client(t, { bearer: admin });
  await c.push({ ...group, id: 'g-devices', member: [{ entity: { reference: 'Device/d1' } }] } as Group);
  const cases = [
    [await bulk.kickOff([{ name: '_typeFilter', valueString: 'Patient?name=x' }]), 400, 'BULK_TYPE_FILTER_INVALID'],
    [
      await bulk.kickOff([{ name: '_typeFilter', valueString: 'Immunization?_count=5' }]),
      400,
      'BULK_TYPE_FILTER_INVALID',
    ],
    [
      await bulk.kickOff([{ name: '_typeFilter', valueString: 'Immunization?colour=red' }]),
      400,
      'BULK_TYPE_FILTER_INVALID',
    ],
    [await bulk.kickOff([], 'respond-async', 'Group/g-devices'), 422, 'BULK_GROUP_MEMBER_INVALID'],
    [await bulk.kickOff([], 'respond-async', 'Group/nobody'), 404, 'RESOURCE_NOT_FOUND'],
    [
      await request(t.app).get('/fhir/Group/g1/$issue-hcert-bulk').set('Authorization', `Bearer ${owner}`),
      405,
      'METHOD_NOT_ALLOWED',
    ],
  ] as const;
  for (const [res, status, id] of cases)
    expect([res.status, res.body.resourceType, messageIds(res.body)]).toEqual([status, 'OperationOutcome', [id]]);
});

test('a cancellation is audited as a deletion by its client, and deletes the files', async () => {
  const { job, location, manifest } = await run([{ name: 'patient', valueReference: { reference: 'Patient/p2' } }]);
  const bulk = bulkClient(t.app, owner);
  expect((await bulk.cancel(location)).status).toBe(202);
  // Durable at once (a restart does not resume it), not only in this process's memory.
  const task = await t.services.store.read('Task', taskId(job));
  expect(task.status === 'found' && (task.resource as { status?: string }).status).toBe('cancelled');
  const deletions = (await auditOf(job)).filter((e) => e.action === 'D');
  expect(deletions).toHaveLength(1);
  for (const f of manifest.output) {
    const stored = await t.services.store.read('Binary', binaryId(job, new URL(f.url).searchParams.get('file')!));
    expect(stored.status).toBe('deleted');
  }
});

test("a completed job's files expire: 410 after the retention, then the sweep deletes them", async () => {
  const { job, location, manifest } = await run([{ name: 'patient', valueReference: { reference: 'Patient/p1' } }]);
  const bulk = bulkClient(t.app, owner);
  const fileUrl = manifest.output[0]!.url;
  expect((await bulk.status(location)).status).toBe(200);
  clock = new Date(NOW.getTime() + RETENTION_MS + 1000);
  try {
    for (const url of [location, fileUrl]) {
      const res = await request(t.app).get(pathOf(url)).set('Authorization', `Bearer ${owner}`);
      expect([res.status, res.body.resourceType, messageIds(res.body)]).toEqual([
        410,
        'OperationOutcome',
        ['BULK_JOB_EXPIRED'],
      ]);
    }
    expect(await t.services.bulk.sweep()).toBeGreaterThanOrEqual(1);
    const name = new URL(fileUrl).searchParams.get('file')!;
    expect((await t.services.store.read('Binary', binaryId(job, name))).status).toBe('deleted');
    expect((await bulk.status(location)).status).toBe(410);
  } finally {
    clock = NOW;
  }
});
