/** Conditional update and conditional delete over HTTP: `PUT [type]?[search]`, `DELETE [type]?[search]`. */
import request from 'supertest';
import { createTestApp, FHIR_JSON, immunization, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
let multi: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    validationMode: 'strict',
    validationProfiles: { Patient: 'http://hl7.org/fhir/StructureDefinition/Patient' },
  });
  multi = await createTestApp({ conditionalDeleteMultiple: true, conditionalDeleteMax: 3 });
});
afterAll(async () => {
  await t.close();
  await multi.close();
});

const SYS = 'urn:oid:1.2.3.4';
let n = 0;
const fresh = () => `v${++n}`;
const imm = (value: string, extra: Record<string, unknown> = {}) =>
  immunization({ identifier: [{ system: SYS, value }], ...extra });
const put = (app: TestApp, url: string, body: unknown) =>
  request(app.app).put(`/fhir/${url}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
const post = (app: TestApp, url: string, body: unknown) =>
  request(app.app).post(`/fhir/${url}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
const byId = (value: string) => `Immunization?identifier=${encodeURIComponent(`${SYS}|${value}`)}`;
const code = (res: request.Response) => res.body.issue?.[0]?.details?.coding?.[0]?.code;
const total = async (app: TestApp, value: string) =>
  (await request(app.app).get(`/fhir/${byId(value)}&_total=accurate`)).body.total as number;

describe('conditional update', () => {
  test('when nothing matches, then the resource is created (201) with a server id', async () => {
    const v = fresh();
    const res = await put(t, byId(v), imm(v));
    expect(res.status).toBe(201);
    expect(res.body.meta.versionId).toBe('1');
    expect(res.headers.location).toContain(`/Immunization/${res.body.id}/_history/1`);
  });

  test('when one resource matches, then it is updated (200) as its next version', async () => {
    const v = fresh();
    const first = await put(t, byId(v), imm(v));
    const second = await put(t, byId(v), imm(v, { lotNumber: 'B2' }));
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, lotNumber: 'B2', meta: { versionId: '2' } });
  });

  test('when If-Match names a stale version, then 412 and nothing changes', async () => {
    const v = fresh();
    const first = await put(t, byId(v), imm(v));
    await put(t, byId(v), imm(v, { lotNumber: 'X' }));
    const res = await put(t, byId(v), imm(v, { lotNumber: 'Y' })).set('If-Match', 'W/"1"');
    expect(res.status).toBe(412);
    expect(code(res)).toBe('STORE_VERSION_MISMATCH');
    expect((await request(t.app).get(`/fhir/Immunization/${first.body.id}`)).body.lotNumber).toBe('X');
    const ok = await put(t, byId(v), imm(v, { lotNumber: 'Z' })).set('If-Match', 'W/"2"');
    expect(ok.status).toBe(200);
  });

  test('when several resources match, then 412 and nothing is written', async () => {
    const v = fresh();
    await post(t, 'Immunization', imm(v));
    await post(t, 'Immunization', imm(v));
    const res = await put(t, byId(v), imm(v, { lotNumber: 'never' }));
    expect(res.status).toBe(412);
    expect(code(res)).toBe('STORE_CONDITIONAL_UPDATE_MULTIPLE');
    const found = await request(t.app).get(`/fhir/${byId(v)}&lot-number=never`);
    expect(found.body.entry ?? []).toHaveLength(0);
  });

  test('when the body id is not the matched resource, then 400 STORE_CONDITIONAL_UPDATE_ID_MISMATCH', async () => {
    const v = fresh();
    await put(t, byId(v), imm(v));
    const res = await put(t, byId(v), imm(v, { id: 'someone-else' }));
    expect(res.status).toBe(400);
    expect(code(res)).toBe('STORE_CONDITIONAL_UPDATE_ID_MISMATCH');
  });

  test('when the search has no criteria or unknown ones, then 400 CONDITIONAL_CRITERIA_INVALID', async () => {
    const none = await put(t, 'Immunization?_count=1', imm(fresh()));
    expect(none.status).toBe(400);
    expect(code(none)).toBe('CONDITIONAL_CRITERIA_INVALID');
    const unknown = await put(t, 'Immunization?favourite-colour=blue', imm(fresh()));
    expect(code(unknown)).toBe('CONDITIONAL_CRITERIA_INVALID');
  });

  test('when 50 conditional updates of one identifier run in parallel, then one resource exists with 50 versions', async () => {
    const v = fresh();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => put(t, byId(v), imm(v, { lotNumber: `L${i}` }))),
    );
    expect(results.map((r) => r.status).sort()).toEqual([...Array(49).fill(200), 201].sort());
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await total(t, v)).toBe(1);
    const history = await request(t.app).get(`/fhir/Immunization/${results[0]?.body.id}/_history?_count=100`);
    expect(history.body.total).toBe(50);
  });

  test('when a conditional update breaks the ingest profile, then 422 and nothing is stored', async () => {
    const v = fresh();
    // administrative-gender is a required binding
    const url = `Patient?identifier=${encodeURIComponent(`${SYS}|${v}`)}`;
    const res = await put(t, url, {
      resourceType: 'Patient',
      identifier: [{ system: SYS, value: v }],
      gender: 'robot',
    });
    expect(res.status).toBe(422);
    expect((await request(t.app).get(`/fhir/${url}`)).body.entry ?? []).toHaveLength(0);
  });
});

describe('conditional delete', () => {
  test('when one resource matches, then it is deleted and reads answer 410', async () => {
    const v = fresh();
    const created = await put(t, byId(v), imm(v));
    const res = await request(t.app).delete(`/fhir/${byId(v)}`);
    expect(res.status).toBe(200);
    expect(code(res)).toBe('DELETED');
    expect((await request(t.app).get(`/fhir/Immunization/${created.body.id}`)).status).toBe(410);
  });

  test('when nothing matches, then 200 DELETE_NOTHING', async () => {
    const res = await request(t.app).delete(`/fhir/${byId(fresh())}`);
    expect(res.status).toBe(200);
    expect(code(res)).toBe('DELETE_NOTHING');
  });

  test('when several match and the server deletes single matches only, then 412 and nothing is deleted', async () => {
    const v = fresh();
    await post(t, 'Immunization', imm(v));
    await post(t, 'Immunization', imm(v));
    const res = await request(t.app).delete(`/fhir/${byId(v)}`);
    expect(res.status).toBe(412);
    expect(code(res)).toBe('CONDITIONAL_DELETE_MULTIPLE');
    expect(await total(t, v)).toBe(2);
  });

  test('when multiple delete is configured, then every match up to the limit is deleted', async () => {
    const v = fresh();
    for (let i = 0; i < 3; i++) await post(multi, 'Immunization', imm(v));
    const res = await request(multi.app).delete(`/fhir/${byId(v)}`);
    expect(res.status).toBe(200);
    expect(await total(multi, v)).toBe(0);
  });

  test('when a conditional URL matches more than the limit (a broad search), then 412 and nothing is deleted', async () => {
    const v = fresh();
    for (let i = 0; i < 4; i++) await post(multi, 'Immunization', imm(v));
    const res = await request(multi.app).delete(`/fhir/${byId(v)}`);
    expect(res.status).toBe(412);
    expect(res.body.issue[0].details.text).toBe(
      'The conditional delete matched more than 3 Immunization resource(s); at most 3 may be deleted at once',
    );
    expect(await total(multi, v)).toBe(4);
  });

  test('when a conditional delete has no criteria, then 400 and nothing is deleted', async () => {
    const res = await request(t.app).delete('/fhir/Immunization');
    expect(res.status).toBe(400);
    expect(code(res)).toBe('CONDITIONAL_CRITERIA_INVALID');
  });
});

describe('conditional URLs matching thousands', () => {
  test('when a search matches 1,500 resources, then conditional update, delete and patch answer 412 and nothing changes', async () => {
    const v = fresh();
    const entry = Array.from({ length: 1500 }, () => ({
      resource: imm(v),
      request: { method: 'POST', url: 'Immunization' },
    }));
    expect((await post(multi, '', { resourceType: 'Bundle', type: 'transaction', entry })).status).toBe(200);
    const versions = async () =>
      (await request(multi.app).get('/fhir/Immunization/_history?_count=1')).body.total as number;
    const before = await versions();
    const update = await put(multi, byId(v), imm(v, { lotNumber: 'ALL' }));
    expect(update.status).toBe(412);
    expect(code(update)).toBe('STORE_CONDITIONAL_UPDATE_MULTIPLE');
    const del = await request(multi.app).delete(`/fhir/${byId(v)}`);
    expect(del.status).toBe(412);
    expect(code(del)).toBe('CONDITIONAL_DELETE_MULTIPLE');
    const patch = await request(multi.app)
      .patch(`/fhir/${byId(v)}`)
      .set('Content-Type', 'application/json-patch+json')
      .send('[{"op":"add","path":"/lotNumber","value":"ALL"}]');
    expect(patch.status).toBe(412);
    expect(code(patch)).toBe('CONDITIONAL_PATCH_MULTIPLE');
    expect(await versions()).toBe(before);
    expect(await total(multi, v)).toBe(1500);
  });
});

describe('CapabilityStatement', () => {
  test('when metadata is read, then it states conditional update, the delete mode, patch and the reference modifiers', async () => {
    const single = (await request(t.app).get('/fhir/metadata')).body.rest[0].resource.find(
      (r: { type: string }) => r.type === 'Immunization',
    );
    expect(single).toMatchObject({ conditionalUpdate: true, conditionalDelete: 'single', conditionalCreate: true });
    expect(single.interaction.map((i: { code: string }) => i.code)).toContain('patch');
    const patientParam = single.searchParam.find((p: { name: string }) => p.name === 'patient');
    expect(patientParam.documentation).toContain('identifier');
    expect(patientParam.documentation).toContain('_has');
    const many = (await request(multi.app).get('/fhir/metadata')).body.rest[0].resource.find(
      (r: { type: string }) => r.type === 'Immunization',
    );
    expect(many.conditionalDelete).toBe('multiple');
  });
});
