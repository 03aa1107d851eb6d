/** Malformed shapes (e.g. meta.profile as a string) through $validate and writes: an OperationOutcome, never a crash. */
import request from 'supertest';
import { createTestApp, FHIR_JSON, patient, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const shapes: [string, Record<string, unknown>][] = [
  ['meta.profile as a string', { meta: { profile: 'http://hl7.org/fhir/StructureDefinition/Patient' } }],
  ['meta as a string', { meta: 'x' }],
  ['contained as an object', { contained: { resourceType: 'Patient' } }],
];

describe('malformed shapes over HTTP', () => {
  test.each(shapes)('when $validate gets %s, then 200 with an error issue', async (_what, extra) => {
    const res = await request(t.app)
      .post('/fhir/Patient/$validate')
      .set('Content-Type', FHIR_JSON)
      .send(patient(extra));
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.some((i: { severity: string }) => i.severity === 'error')).toBe(true);
  });

  test.each(shapes)(
    'when a write carries %s, then a 4xx OperationOutcome, nothing stored, and the server still answers',
    async (_what, extra) => {
      const before = (await request(t.app).get('/fhir/Patient?_summary=count')).body.total;
      const res = await request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(patient(extra));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect((await request(t.app).get('/fhir/Patient?_summary=count')).body.total).toBe(before);
    },
  );
});
