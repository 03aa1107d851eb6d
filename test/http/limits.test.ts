/** Per-request limits (issue 19): counts checked before validation, a work budget, included resources and response size capped. */
import request from 'supertest';
import { createTestApp, FHIR_JSON, patient, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ validationMode: 'off', maxContained: 10, maxBundleEntries: 20, searchMaxIncludes: 3 });
});
afterAll(() => t.close());

const post = (app: TestApp, path: string, body: unknown) =>
  request(app.app)
    .post(`/fhir/${path}`)
    .set('Content-Type', FHIR_JSON)
    .send(typeof body === 'string' ? body : JSON.stringify(body));
const messageId = (res: request.Response) => res.body.issue?.[0]?.details?.coding?.[0]?.code;
const patientCount = async (app: TestApp) =>
  (await request(app.app).get('/fhir/Patient?_summary=count')).body.total as number;

const withContained = (n: number) =>
  patient({
    contained: Array.from({ length: n }, (_, i) => ({ resourceType: 'Organization', id: `o${i}`, name: 'x' })),
    generalPractitioner: Array.from({ length: n }, (_, i) => ({ reference: `#o${i}` })),
  });

describe('request limits', () => {
  test('when a resource holds more contained resources than MAX_CONTAINED, then 422 CONTAINED_TOO_MANY and nothing is stored', async () => {
    const before = await patientCount(t);
    const res = await post(t, 'Patient', withContained(11));
    expect([res.status, messageId(res), res.body.issue[0].code]).toEqual([422, 'CONTAINED_TOO_MANY', 'too-costly']);
    expect(await patientCount(t)).toBe(before);
    expect((await post(t, 'Patient', withContained(10))).status).toBe(201);
  });

  test('when $validate gets a resource over the contained limit, then 422 CONTAINED_TOO_MANY as well', async () => {
    const res = await post(t, 'Patient/$validate', withContained(50));
    expect([res.status, messageId(res)]).toEqual([422, 'CONTAINED_TOO_MANY']);
  });

  test('when a Bundle holds more entries than MAX_BUNDLE_ENTRIES, then 422 BUNDLE_TOO_MANY_ENTRIES before any entry runs', async () => {
    const before = await patientCount(t);
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: Array.from({ length: 21 }, () => ({ resource: patient(), request: { method: 'POST', url: 'Patient' } })),
    };
    const res = await post(t, '', bundle);
    expect([res.status, messageId(res)]).toEqual([422, 'BUNDLE_TOO_MANY_ENTRIES']);
    expect(await patientCount(t)).toBe(before);
  });

  test('when a string holds a lone surrogate, then 400 STRING_NOT_UNICODE; when the body starts with a BOM, then 400 BODY_BOM', async () => {
    const before = await patientCount(t);
    const lone = await post(t, 'Patient', '{"resourceType":"Patient","name":[{"family":"A\\ud800"}]}');
    expect([lone.status, messageId(lone), lone.body.issue[0].expression]).toEqual([
      400,
      'STRING_NOT_UNICODE',
      ['name.family'],
    ]);
    const bom = await post(t, 'Patient', `\ufeff${JSON.stringify(patient())}`);
    expect([bom.status, messageId(bom)]).toEqual([400, 'BODY_BOM']);
    expect(await patientCount(t)).toBe(before);
    // A well-formed pair (an emoji) is fine.
    expect((await post(t, 'Patient', '{"resourceType":"Patient","name":[{"family":"A\\ud83d\\ude00"}]}')).status).toBe(
      201,
    );
  });

  test('when validation outruns the work budget, then 422 WORK_BUDGET_EXCEEDED and nothing is stored', async () => {
    const strict = await createTestApp({ validationMode: 'strict', requestBudgetMs: 0 });
    try {
      const before = await patientCount(strict);
      const res = await post(
        strict,
        'Patient',
        patient({ identifier: Array.from({ length: 200 }, (_, i) => ({ system: 'urn:x', value: `v${i}` })) }),
      );
      expect([res.status, messageId(res), res.body.issue[0].code]).toEqual([422, 'WORK_BUDGET_EXCEEDED', 'too-costly']);
      expect(await patientCount(strict)).toBe(before);
      const validate = await post(
        strict,
        'Patient/$validate',
        patient({ identifier: Array.from({ length: 200 }, (_, i) => ({ system: 'urn:x', value: `v${i}` })) }),
      );
      expect([validate.status, messageId(validate)]).toEqual([422, 'WORK_BUDGET_EXCEEDED']);
    } finally {
      await strict.close();
    }
  });

  test('when _revinclude matches more resources than _count, then at most _count (and SEARCH_MAX_INCLUDES) are included and an outcome entry says so', async () => {
    const p = await post(t, 'Patient', patient({ id: undefined }));
    const ref = `Patient/${p.body.id}`;
    for (let i = 0; i < 6; i++) {
      await post(t, 'Observation', {
        resourceType: 'Observation',
        status: 'final',
        code: { text: `o${i}` },
        subject: { reference: ref },
      });
    }
    const two = await request(t.app).get(`/fhir/Patient?_id=${p.body.id}&_revinclude=Observation:subject&_count=2`);
    const modes = (
      two.body.entry as Array<{
        search: { mode: string };
        resource: { issue?: Array<{ details: { coding: Array<{ code: string }> } }> };
      }>
    ).map((e) => e.search.mode);
    expect(modes.filter((m) => m === 'include')).toHaveLength(2);
    const notes = two.body.entry
      .filter((e: { search: { mode: string } }) => e.search.mode === 'outcome')
      .map(
        (e: { resource: { issue: Array<{ details: { coding: Array<{ code: string }> } }> } }) =>
          e.resource.issue[0].details.coding[0].code,
      );
    expect(notes).toEqual(['SEARCH_INCLUDES_TRUNCATED']);

    const capped = await request(t.app).get(`/fhir/Patient?_id=${p.body.id}&_revinclude=Observation:subject&_count=50`);
    expect(capped.body.entry.filter((e: { search: { mode: string } }) => e.search.mode === 'include')).toHaveLength(3);

    const all = await request(t.app).get(`/fhir/Observation?subject=${ref}&_include=Observation:subject&_count=50`);
    expect(all.body.entry.filter((e: { search: { mode: string } }) => e.search.mode === 'outcome')).toEqual([]);
  });

  test('when the answer would be larger than MAX_RESPONSE_BYTES, then 422 RESPONSE_TOO_LARGE instead', async () => {
    const small = await createTestApp({ validationMode: 'off', maxResponseBytes: 2048 });
    try {
      for (let i = 0; i < 10; i++) await post(small, 'Patient', patient({ name: [{ family: 'x'.repeat(300) }] }));
      const res = await request(small.app).get('/fhir/Patient?_count=10');
      expect([res.status, messageId(res)]).toEqual([422, 'RESPONSE_TOO_LARGE']);
      expect((await request(small.app).get('/fhir/Patient?_count=1')).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});
