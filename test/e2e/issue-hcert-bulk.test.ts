/**
 * `$issue-hcert-bulk` end to end (issue 18, "Issuance, one and many"): records pushed through the REST API, a bulk
 * job over some patients' Immunizations, polled to its manifest; every output line's HC1 verifies with `$verify`,
 * an Immunization that cannot be issued is an error line, a Provenance exists per credential; cancel; bad input.
 */
import type { Immunization, OperationOutcome, Parameters, Provenance } from '@medplum/fhirtypes';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { bulkClient, type Manifest } from './bulk-client.ts';
import { client, messageIds, param, type Client } from './credential-client.ts';

let t: TestApp;
let c: Client;
const PATIENTS = ['p0', 'p1', 'p2', 'p3'];
// Three doses per patient, and one dose of p2 recorded as not given: it cannot be certified.
const pushed: Immunization[] = PATIENTS.flatMap((p, i) =>
  [1, 2, 3].map((dose) =>
    covidImmunization({
      id: `imm-${p}-${dose}`,
      patient: { reference: `Patient/${p}` },
      occurrenceDateTime: `2021-0${dose}-1${i}`,
      ...(p === 'p2' && dose === 3 ? { status: 'not-done' } : {}),
    }),
  ),
);

beforeAll(async () => {
  t = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: await makeKeys(), bulkBatchSize: 4 },
  );
  c = client(t);
  await c.push(...PATIENTS.map((id) => patient({ id })), ...pushed);
});
afterAll(() => t.close());

describe('a job over three of four patients', () => {
  const asked = ['p0', 'p2', 'p3'];
  const matching = pushed.filter((i) => asked.some((p) => i.patient.reference === `Patient/${p}`));
  const issuable = matching.filter((i) => i.status === 'completed');
  let manifest: Manifest;
  let location: string;

  beforeAll(async () => {
    const bulk = bulkClient(t.app);
    const kicked = await bulk.kickOff(
      asked.map((p) => ({ name: 'patient', valueReference: { reference: `Patient/${p}` } })),
    );
    expect(kicked.status).toBe(202);
    location = kicked.headers['content-location'] as string;
    const done = await bulk.finish(location);
    expect(done.status).toBe(200);
    manifest = done.body as Manifest;
  });

  test('the manifest lists as many credentials as completed matching Immunizations, and one error per other', async () => {
    const bulk = bulkClient(t.app);
    const out = (await Promise.all(manifest.output.map((o) => bulk.lines<Parameters>(o.url)))).flat();
    const errors = (await Promise.all(manifest.error.map((o) => bulk.lines<OperationOutcome>(o.url)))).flat();
    expect(out).toHaveLength(issuable.length);
    expect(out.map((p) => param(p, 'source')!.valueReference!.reference).sort()).toEqual(
      issuable.map((i) => `Immunization/${i.id}`).sort(),
    );
    expect(manifest.output.reduce((n, o) => n + o.count, 0)).toBe(issuable.length);
    const notIssued = matching.filter((i) => i.status !== 'completed').map((i) => `Immunization/${i.id}`);
    expect(errors.map((e) => e.issue[0]!.expression![0])).toEqual(notIssued);
    expect(errors.flatMap(messageIds)).toEqual(['MAPPING_NOT_APPLICABLE']);
  });

  test("each line's HC1 verifies with $verify and has its Provenance", async () => {
    const bulk = bulkClient(t.app);
    const out = (await Promise.all(manifest.output.map((o) => bulk.lines<Parameters>(o.url)))).flat();
    for (const line of out) {
      const verdict = await c.verify(param(line, 'hc1')!.valueString!);
      expect([verdict.valid, verdict.format]).toEqual([true, 'hcert']);
      const prov = await c.get(param(line, 'provenance')?.valueReference?.reference ?? 'Provenance/none');
      expect(prov.status).toBe(200);
      expect((prov.body as Provenance).target.map((r) => r.reference)).toContain(
        param(line, 'source')!.valueReference!.reference,
      );
    }
  });

  test('a cancelled job is gone: its status answers 404', async () => {
    const bulk = bulkClient(t.app);
    const del = await bulk.cancel(location);
    expect(del.status).toBe(202);
    const after = await bulk.status(location);
    expect([after.status, messageIds(after.body)]).toEqual([404, ['BULK_JOB_NOT_FOUND']]);
  });
});

test('a job over every stored Immunization covers all of them', async () => {
  const bulk = bulkClient(t.app);
  const kicked = await bulk.kickOff([]);
  expect(kicked.status).toBe(202);
  const manifest = (await bulk.finish(kicked.headers['content-location'] as string)).body as Manifest;
  const lines = manifest.output.reduce((n, o) => n + o.count, 0) + manifest.error.reduce((n, o) => n + o.count, 0);
  expect(lines).toBe(pushed.length);
});

test('bad input is a 4xx OperationOutcome and starts nothing', async () => {
  const bulk = bulkClient(t.app);
  const cases = [
    [await bulk.kickOff([], 'return=representation'), 400, 'BULK_PREFER_ASYNC_REQUIRED'],
    [
      await bulk.kickOff([{ name: 'patient', valueReference: { reference: 'Group/g1' } }]),
      400,
      'BULK_PATIENT_REFERENCE_INVALID',
    ],
    [
      await bulk.kickOff([{ name: 'patient', valueReference: { reference: 'Patient/nobody' } }]),
      404,
      'RESOURCE_NOT_FOUND',
    ],
    [await bulk.kickOff([{ name: 'validityDays', valueInteger: 0 }]), 400, 'OPERATION_PARAM_RANGE'],
    [await bulk.kickOff([{ name: 'colour', valueString: 'red' }]), 400, 'OPERATION_PARAM_UNKNOWN'],
    [await bulk.status('http://gateway.test/fhir/$issue-hcert-bulk?job=no-such-job'), 404, 'BULK_JOB_NOT_FOUND'],
  ] as const;
  for (const [res, status, id] of cases) {
    expect([res.status, res.body.resourceType, messageIds(res.body)]).toEqual([status, 'OperationOutcome', [id]]);
  }
});
