/**
 * Large resources are validated in a worker thread (VALIDATION_WORKERS), off the event loop: the answer is the one
 * inline validation gives, the work budget still applies there, and the workers follow a package install.
 */
import request from 'supertest';
import { isLarge } from '../../src/validation-pool.ts';
import { createTestApp, FHIR_JSON, patient, type TestApp } from '../helpers/test-app.ts';

/** A Patient with `n` contained Organizations, all referenced, and one unreferenced (a dom-3 error) with a bad date. */
const crowded = (n: number) =>
  patient({
    contained: [
      ...Array.from({ length: n }, (_, i) => ({ resourceType: 'Organization', id: `o${i}`, name: `org ${i}` })),
      { resourceType: 'Organization', id: 'lonely', name: 'nobody refers to me' },
    ],
    generalPractitioner: Array.from({ length: n }, (_, i) => ({ reference: `#o${i}` })),
    birthDate: '1970-13-45',
  });

const validate = (t: TestApp, body: unknown) =>
  request(t.app).post('/fhir/Patient/$validate').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
const codes = (res: request.Response) =>
  (res.body.issue as Array<{ severity: string; details?: { coding?: Array<{ code: string }> }; expression?: string[] }>)
    .map((i) => `${i.severity} ${i.details?.coding?.[0]?.code} ${i.expression?.join(',')}`)
    .sort();

let inline: TestApp;
let pooled: TestApp;
beforeAll(async () => {
  // MAX_CONTAINED raised so that the large resources are validated, not refused by their count.
  inline = await createTestApp({ maxContained: 50_000 });
  pooled = await createTestApp({ maxContained: 50_000, validationWorkers: 1 });
  await pooled.services.validationPool?.ready();
});
afterAll(async () => {
  await inline.close();
  await pooled.close();
});

test('when a resource is large, then it counts as large; a small one does not', () => {
  expect([
    isLarge(crowded(3000)),
    isLarge(crowded(3)),
    isLarge(patient({ name: [{ family: 'x'.repeat(300_000) }] })),
  ]).toEqual([true, false, true]);
});

test('when a large resource is validated by a worker, then the outcome is the one inline validation gives', async () => {
  const body = crowded(3000);
  const [a, b] = [await validate(inline, body), await validate(pooled, body)];
  expect([a.status, b.status]).toEqual([200, 200]);
  expect(codes(b)).toEqual(codes(a));
  expect(codes(b).some((c) => c.startsWith('error'))).toBe(true);
});

test('when the work budget runs out in the worker, then 422 WORK_BUDGET_EXCEEDED and the server keeps answering', async () => {
  const tight = await createTestApp({ maxContained: 50_000, validationWorkers: 1, requestBudgetMs: 1 });
  try {
    await tight.services.validationPool?.ready();
    const res = await validate(tight, crowded(20_000));
    expect([res.status, res.body.issue[0].details.coding[0].code]).toEqual([422, 'WORK_BUDGET_EXCEEDED']);
    expect((await request(tight.app).get('/healthz')).status).toBe(200);
  } finally {
    await tight.close();
  }
});
