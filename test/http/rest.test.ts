import request from 'supertest';
import { BASE, createTestApp, FHIR_JSON, immunization, patient, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

const post = (path: string, body: unknown) =>
  request(t.app).post(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
const put = (path: string, body: unknown) =>
  request(t.app).put(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));

describe('create and read', () => {
  test('when an Immunization is created, then it gets a server id, version 1, Location, ETag and Last-Modified', async () => {
    const res = await post('Immunization', { ...immunization(), id: 'client-chosen' });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    const id = res.body.id as string;
    expect(id).not.toBe('client-chosen');
    expect(res.body.meta.versionId).toBe('1');
    expect(res.headers.location).toBe(`${BASE}/Immunization/${id}/_history/1`);
    expect(res.headers.etag).toBe('W/"1"');
    expect(new Date(res.headers['last-modified']).getTime()).not.toBeNaN();

    const read = await request(t.app).get(`/fhir/Immunization/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
    expect(read.headers.etag).toBe('W/"1"');
  });

  test('when the client already has the current version, then a conditional read answers 304', async () => {
    const { body } = await post('Patient', patient());
    const byEtag = await request(t.app).get(`/fhir/Patient/${body.id}`).set('If-None-Match', 'W/"1"');
    expect(byEtag.status).toBe(304);
    const stale = await request(t.app).get(`/fhir/Patient/${body.id}`).set('If-None-Match', 'W/"0"');
    expect(stale.status).toBe(200);
    const bySince = await request(t.app)
      .get(`/fhir/Patient/${body.id}`)
      .set('If-Modified-Since', new Date(Date.now() + 60_000).toUTCString());
    expect(bySince.status).toBe(304);
    const older = await request(t.app)
      .get(`/fhir/Patient/${body.id}`)
      .set('If-Modified-Since', new Date(Date.now() - 3_600_000).toUTCString());
    expect(older.status).toBe(200);
  });

  test('when a decimal is written as 1.50, then it is read back as 1.50', async () => {
    const raw = JSON.stringify(immunization()).replace(/}$/, ',"doseQuantity":{"value":1.50,"unit":"mL"}}');
    const res = await request(t.app).post('/fhir/Immunization').set('Content-Type', FHIR_JSON).send(raw);
    expect(res.status).toBe(201);
    const read = await request(t.app)
      .get(`/fhir/Immunization/${res.body.id}`)
      .buffer(true)
      .parse((r, cb) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => cb(null, text));
      });
    expect(read.body as unknown as string).toContain('"value":1.50');
  });

  test('when an unknown id is read, then 404 with RESOURCE_NOT_FOUND', async () => {
    const res = await request(t.app).get('/fhir/Patient/nope');
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].details.coding[0].code).toBe('RESOURCE_NOT_FOUND');
  });
});

describe('update, versions and delete', () => {
  test('when a resource is updated, then its version grows and vread returns each version', async () => {
    const { body: v1 } = await post('Patient', patient());
    const v2 = await put(`Patient/${v1.id}`, { ...v1, birthDate: '1965-01-01' });
    expect(v2.status).toBe(200);
    expect(v2.body.meta.versionId).toBe('2');
    expect(v2.headers.location).toBe(`${BASE}/Patient/${v1.id}/_history/2`);
    const old = await request(t.app).get(`/fhir/Patient/${v1.id}/_history/1`);
    expect(old.status).toBe(200);
    expect(old.body.birthDate).toBe('1964-08-12');
    const missing = await request(t.app).get(`/fhir/Patient/${v1.id}/_history/9`);
    expect(missing.status).toBe(404);
  });

  test('when If-Match names an old version, then 412 and nothing changes', async () => {
    const { body: v1 } = await post('Patient', patient());
    await put(`Patient/${v1.id}`, { ...v1, gender: 'female' });
    const res = await put(`Patient/${v1.id}`, { ...v1, gender: 'male' }).set('If-Match', 'W/"1"');
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const now = await request(t.app).get(`/fhir/Patient/${v1.id}`);
    expect(now.body.gender).toBe('female');
    const ok = await put(`Patient/${v1.id}`, { ...v1, gender: 'male' }).set('If-Match', 'W/"2"');
    expect(ok.status).toBe(200);
  });

  test('when PUT names an id that does not exist, then the resource is created with that id', async () => {
    const res = await put('Patient/national-42', { ...patient(), id: 'national-42' });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('national-42');
  });

  test('when the body id differs from the URL id, then 400 UPDATE_ID_MISMATCH', async () => {
    const res = await put('Patient/a', { ...patient(), id: 'b' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].details).toEqual({
      coding: [{ system: expect.any(String), code: 'UPDATE_ID_MISMATCH' }],
      text: 'The body\'s id "b" differs from the URL\'s "a"',
    });
  });

  test('when a resource is deleted, then read answers 410, history keeps every version, and PUT revives it', async () => {
    const { body } = await post('Patient', patient());
    const del = await request(t.app).delete(`/fhir/Patient/${body.id}`);
    expect(del.status).toBe(200);
    expect(del.headers.etag).toBe('W/"2"');
    expect((await request(t.app).get(`/fhir/Patient/${body.id}`)).status).toBe(410);
    const hist = await request(t.app).get(`/fhir/Patient/${body.id}/_history`);
    expect(hist.body.type).toBe('history');
    expect(hist.body.entry.map((e: { request: { method: string } }) => e.request.method)).toEqual(['DELETE', 'POST']);
    const revived = await put(`Patient/${body.id}`, { ...patient(), id: body.id });
    expect(revived.status).toBe(201);
    expect(revived.body.meta.versionId).toBe('3');
  });

  test('when history is asked at type and system level, then it lists writes newest first', async () => {
    await post('Patient', patient());
    await post('Immunization', immunization());
    const type = await request(t.app).get('/fhir/Patient/_history');
    expect(type.body.total).toBe(1);
    const system = await request(t.app).get('/fhir/_history');
    expect(system.body.total).toBe(2);
    expect(system.body.entry[0].resource.resourceType).toBe('Immunization');
  });
});

describe('conditional create', () => {
  const ifNoneExist = 'identifier=urn:oid:2.16.840.1.113883.2.4.6.3|999999999';

  test('when the same record is pushed twice, then the second push returns the first resource with 200', async () => {
    const first = await post('Patient', patient()).set('If-None-Exist', ifNoneExist);
    const second = await post('Patient', patient()).set('If-None-Exist', ifNoneExist);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
  });

  test('when 20 identical conditional creates arrive at once, then exactly one resource results', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post('Patient', patient()).set('If-None-Exist', ifNoneExist)),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(19);
    const search = await request(t.app).get('/fhir/Patient?_summary=count');
    expect(search.body.total).toBe(1);
  });

  test('when If-None-Exist has an unknown parameter, then 400 and nothing is stored', async () => {
    const res = await post('Patient', patient()).set('If-None-Exist', 'frobnicate=1');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].details.coding[0].code).toBe('CONDITIONAL_CRITERIA_INVALID');
    expect((await request(t.app).get('/fhir/Patient?_summary=count')).body.total).toBe(0);
  });
});

describe('Prefer', () => {
  test('when return=minimal, then the body is empty but the headers are there', async () => {
    const res = await post('Patient', patient()).set('Prefer', 'return=minimal');
    expect(res.status).toBe(201);
    expect(res.text).toBe('');
    expect(res.headers.location).toMatch(/\/_history\/1$/);
  });

  test('when return=OperationOutcome, then an informational outcome comes back', async () => {
    const res = await post('Patient', patient()).set('Prefer', 'return=OperationOutcome');
    expect(res.status).toBe(201);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].severity).toBe('information');
  });
});

describe('metadata', () => {
  test('when the CapabilityStatement is read, then it lists every R4 type with its interactions and search parameters', async () => {
    const res = await request(t.app).get('/fhir/metadata');
    expect(res.status).toBe(200);
    expect(res.body.fhirVersion).toBe('4.0.1');
    const rest = res.body.rest[0];
    expect(rest.interaction.map((i: { code: string }) => i.code)).toEqual(['transaction', 'batch', 'history-system']);
    const imm = rest.resource.find((r: { type: string }) => r.type === 'Immunization');
    expect(imm.interaction.map((i: { code: string }) => i.code)).toContain('create');
    expect(imm.searchParam.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['patient', 'vaccine-code', 'date', '_id']),
    );
    expect(rest.resource.length).toBeGreaterThan(140);
    expect(imm.conditionalCreate).toBe(true);
  });
});
