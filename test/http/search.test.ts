import request from 'supertest';
import { createTestApp, FHIR_JSON, immunization, patient, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
let erika: string;
let max: string;

const post = (path: string, body: unknown) =>
  request(t.app).post(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
const ids = (res: request.Response, mode = 'match') =>
  (res.body.entry ?? [])
    .filter((e: { search: { mode: string } }) => e.search.mode === mode)
    .map((e: { resource: { id: string } }) => e.resource.id);

beforeAll(async () => {
  t = await createTestApp({ searchDefaultCount: 5, searchMaxCount: 50 });
  erika = (await post('Patient', patient())).body.id;
  max = (
    await post(
      'Patient',
      patient({
        identifier: [{ system: 'urn:test', value: 'M-1' }],
        name: [{ family: 'Müller', given: ['Max'] }],
        birthDate: '1990-02-03',
      }),
    )
  ).body.id;
  const yellowFever = { coding: [{ system: 'http://snomed.info/sct', code: '1119349007' }] };
  await post(
    'Immunization',
    immunization({ patient: { reference: `Patient/${erika}` }, occurrenceDateTime: '2021-05-01' }),
  );
  await post(
    'Immunization',
    immunization({ patient: { reference: `Patient/${erika}` }, occurrenceDateTime: '2021-06-15T10:00:00Z' }),
  );
  await post(
    'Immunization',
    immunization({
      patient: { reference: `Patient/${max}` },
      vaccineCode: yellowFever,
      occurrenceDateTime: '2019-01-20',
    }),
  );
});
afterAll(() => t.close());

describe('search', () => {
  test('when searching by token system|code, then only matching resources come back as a searchset', async () => {
    const res = await request(t.app).get(
      '/fhir/Immunization?vaccine-code=http://snomed.info/sct|1119349007&_total=accurate',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(res.body.entry[0].fullUrl).toMatch(/^http:\/\/gateway\.test\/fhir\/Immunization\//);
  });

  test('when searching with :not, then the others come back', async () => {
    const res = await request(t.app).get(
      '/fhir/Immunization?vaccine-code:not=http://snomed.info/sct|1119349007&_total=accurate',
    );
    expect(res.body.total).toBe(2);
  });

  test('when searching strings, then the default is case- and accent-insensitive starts-with, :exact is exact', async () => {
    expect(ids(await request(t.app).get('/fhir/Patient?family=mul'))).toEqual([max]);
    expect(ids(await request(t.app).get('/fhir/Patient?family:exact=Müller'))).toEqual([max]);
    expect(ids(await request(t.app).get('/fhir/Patient?family:exact=muller'))).toEqual([]);
    expect(ids(await request(t.app).get('/fhir/Patient?name:contains=ster'))).toEqual([erika]);
  });

  test('when searching dates with prefixes, then precision ranges apply', async () => {
    expect(ids(await request(t.app).get('/fhir/Immunization?date=2021'))).toHaveLength(2);
    expect(ids(await request(t.app).get('/fhir/Immunization?date=2021-06'))).toHaveLength(1);
    expect(ids(await request(t.app).get('/fhir/Immunization?date=lt2020-01-01'))).toHaveLength(1);
    expect(ids(await request(t.app).get('/fhir/Immunization?date=ge2021-05-01&date=le2021-05-31'))).toHaveLength(1);
  });

  test("when searching by reference and by a chained identifier, then the patient's immunizations come back", async () => {
    expect(ids(await request(t.app).get(`/fhir/Immunization?patient=Patient/${erika}`))).toHaveLength(2);
    expect(ids(await request(t.app).get(`/fhir/Immunization?patient=${max}`))).toHaveLength(1);
    expect(ids(await request(t.app).get('/fhir/Immunization?patient.identifier=urn:test|M-1'))).toHaveLength(1);
  });

  test('when _include asks for the patient, then it comes along in include mode', async () => {
    const res = await request(t.app).get(`/fhir/Immunization?patient=${max}&_include=Immunization:patient`);
    expect(ids(res, 'include')).toEqual([max]);
  });

  test('when _revinclude asks for immunizations, then they come along', async () => {
    const res = await request(t.app).get(`/fhir/Patient?_id=${erika}&_revinclude=Immunization:patient`);
    expect(ids(res)).toEqual([erika]);
    expect(ids(res, 'include')).toHaveLength(2);
  });

  test('when _sort=-date, then newest first', async () => {
    const res = await request(t.app).get('/fhir/Immunization?_sort=-date');
    const dates = res.body.entry.map(
      (e: { resource: { occurrenceDateTime: string } }) => e.resource.occurrenceDateTime,
    );
    expect(dates).toEqual(['2021-06-15T10:00:00Z', '2021-05-01', '2019-01-20']);
  });

  test('when _summary=count, then only the total', async () => {
    const res = await request(t.app).get('/fhir/Immunization?_summary=count');
    expect(res.body.total).toBe(3);
    expect(res.body.entry).toBeUndefined();
  });

  test('when a parameter is unknown, then it is ignored and reported; under handling=strict it is a 400', async () => {
    const lenient = await request(t.app).get('/fhir/Immunization?frobnicate=1');
    expect(lenient.status).toBe(200);
    const outcome = lenient.body.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome').resource;
    expect(outcome.issue[0]).toMatchObject({
      severity: 'warning',
      code: 'not-supported',
      expression: ['Immunization?frobnicate'],
    });
    const strict = await request(t.app).get('/fhir/Immunization?frobnicate=1').set('Prefer', 'handling=strict');
    expect(strict.status).toBe(400);
    expect(strict.body.issue[0].details.coding[0].code).toBe('SEARCH_PARAM_UNKNOWN');
  });

  test('when a value is malformed, then 400 with the parameter named', async () => {
    const res = await request(t.app).get('/fhir/Immunization?date=yesterday');
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  test('when searching by POST _search with a form body, then it is the same as GET', async () => {
    const res = await request(t.app).post('/fhir/Immunization/_search').type('form').send({ patient: erika });
    expect(res.status).toBe(200);
    expect(ids(res)).toHaveLength(2);
  });
});

describe('paging', () => {
  test('when paging with _count, then next links walk every page and later writes do not shift them', async () => {
    const local = await createTestApp({ searchDefaultCount: 5, searchMaxCount: 50 });
    try {
      for (let i = 0; i < 7; i++) {
        await request(local.app)
          .post('/fhir/Patient')
          .set('Content-Type', FHIR_JSON)
          .send(JSON.stringify(patient({ birthDate: `19${50 + i}-01-01` })));
      }
      const page1 = await request(local.app).get('/fhir/Patient?_count=3');
      const next = page1.body.link.find((l: { relation: string }) => l.relation === 'next').url as string;
      expect(next.startsWith('http://gateway.test/fhir/Patient?')).toBe(true);
      // A write between page 1 and page 2 must not move resources across the page boundary.
      await request(local.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient()));
      const page2 = await request(local.app).get(next.replace('http://gateway.test', ''));
      const next2 = page2.body.link.find((l: { relation: string }) => l.relation === 'next').url as string;
      const page3 = await request(local.app).get(next2.replace('http://gateway.test', ''));
      const seen = [page1, page2, page3].flatMap((p) => ids(p));
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
      expect(page3.body.link.find((l: { relation: string }) => l.relation === 'next')).toBeUndefined();
      expect(page2.body.link.find((l: { relation: string }) => l.relation === 'previous')).toBeDefined();
    } finally {
      await local.close();
    }
  });

  test('when _count is above the maximum, then it is capped', async () => {
    const res = await request(t.app).get('/fhir/Immunization?_count=5000');
    expect(res.body.link[0].url).toContain('_count=50');
  });
});
