/** PATCH and conditional PATCH over HTTP, with JSON Patch and FHIRPath Patch, and the hostile documents. */
import request from 'supertest';
import { createTestApp, FHIR_JSON, patient, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    patchMaxOperations: 50,
    validationMode: 'strict',
    validationProfiles: { Patient: 'http://hl7.org/fhir/StructureDefinition/Patient' },
  });
});
afterAll(() => t.close());

const JSON_PATCH = 'application/json-patch+json';
const code = (res: request.Response) => res.body.issue?.[0]?.details?.coding?.[0]?.code;
const jsonPatch = (url: string, ops: unknown) =>
  request(t.app).patch(`/fhir/${url}`).set('Content-Type', JSON_PATCH).send(JSON.stringify(ops));
const fpPatch = (url: string, ops: Array<Record<string, unknown>>) =>
  request(t.app)
    .patch(`/fhir/${url}`)
    .set('Content-Type', FHIR_JSON)
    .send(
      JSON.stringify({
        resourceType: 'Parameters',
        parameter: ops.map((o) => ({
          name: 'operation',
          part: Object.entries(o).map(([name, v]) =>
            name === 'type'
              ? { name, valueCode: v }
              : typeof v === 'number'
                ? { name, valueInteger: v }
                : name === 'value'
                  ? { name, ...(v as object) }
                  : { name, valueString: v },
          ),
        })),
      }),
    );
let n = 0;
async function stored(extra: Record<string, unknown> = {}): Promise<{ id: string; url: string }> {
  const value = `p${++n}`;
  const res = await request(t.app)
    .post('/fhir/Patient')
    .set('Content-Type', FHIR_JSON)
    .send(
      JSON.stringify(
        patient({
          identifier: [{ system: 'urn:x', value }],
          name: [{ family: 'Doe', given: ['Ann', 'Bea'] }],
          ...extra,
        }),
      ),
    );
  return { id: res.body.id, url: `Patient/${res.body.id}` };
}
const read = async (url: string) => (await request(t.app).get(`/fhir/${url}`)).body;

describe('JSON Patch', () => {
  test('when a JSON Patch replaces and adds, then the next version carries both', async () => {
    const p = await stored();
    const res = await jsonPatch(p.url, [
      { op: 'replace', path: '/name/0/family', value: 'Roe' },
      { op: 'add', path: '/gender', value: 'female' },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: p.id, gender: 'female', name: [{ family: 'Roe' }], meta: { versionId: '2' } });
  });

  test('when If-Match names the current version, then it applies; a stale one gets 412 and nothing changes', async () => {
    const p = await stored();
    expect(
      (await jsonPatch(p.url, [{ op: 'add', path: '/gender', value: 'male' }]).set('If-Match', 'W/"1"')).status,
    ).toBe(200);
    const stale = await jsonPatch(p.url, [{ op: 'replace', path: '/gender', value: 'female' }]).set(
      'If-Match',
      'W/"1"',
    );
    expect(stale.status).toBe(412);
    expect(code(stale)).toBe('STORE_VERSION_MISMATCH');
    expect((await read(p.url)).gender).toBe('male');
  });

  test('when a patch writes id, meta or resourceType, then 422 PATCH_PATH_FORBIDDEN and nothing changes', async () => {
    const p = await stored();
    for (const path of ['/id', '/meta/versionId', '/resourceType', '']) {
      const res = await jsonPatch(p.url, [{ op: 'replace', path, value: 'x' }]);
      expect(res.status).toBe(422);
      expect(code(res)).toBe('PATCH_PATH_FORBIDDEN');
    }
    expect((await read(p.url)).meta.versionId).toBe('1');
  });

  test('when the patched resource breaks the profile, then 422 under strict ingest and nothing is stored', async () => {
    const p = await stored();
    const res = await jsonPatch(p.url, [{ op: 'add', path: '/gender', value: 'robot' }]);
    expect(res.status).toBe(422);
    expect((await read(p.url)).meta.versionId).toBe('1');
  });

  test('when the document has 10,000 operations, then 422 PATCH_TOO_MANY_OPERATIONS', async () => {
    const p = await stored();
    const res = await jsonPatch(
      p.url,
      Array.from({ length: 10_000 }, () => ({ op: 'test', path: '/id', value: p.id })),
    );
    expect(res.status).toBe(422);
    expect(code(res)).toBe('PATCH_TOO_MANY_OPERATIONS');
    expect(res.body.issue[0].details.text).toBe('The patch has 10000 operations; this server applies at most 50');
  });

  test('when a move goes into its own child, then 422 PATCH_MOVE_INTO_ITSELF', async () => {
    const p = await stored();
    const res = await jsonPatch(p.url, [{ op: 'move', from: '/name/0', path: '/name/0/given/0' }]);
    expect(res.status).toBe(422);
    expect(code(res)).toBe('PATCH_MOVE_INTO_ITSELF');
  });

  test('when copies of a value into itself would grow it exponentially, then 422 PATCH_TOO_LARGE and nothing is stored', async () => {
    const p = await stored();
    const ops = Array.from({ length: 40 }, () => ({ op: 'copy', from: '/name', path: '/name/-' }));
    const res = await jsonPatch(p.url, ops);
    expect(res.status).toBe(422);
    expect(code(res)).toBe('PATCH_TOO_LARGE');
    expect((await read(p.url)).meta.versionId).toBe('1');
  });

  test('when a test operation fails or a path is missing, then 422 and nothing changes', async () => {
    const p = await stored();
    const failed = await jsonPatch(p.url, [
      { op: 'test', path: '/name/0/family', value: 'Nope' },
      { op: 'add', path: '/gender', value: 'male' },
    ]);
    expect(code(failed)).toBe('PATCH_TEST_FAILED');
    const missing = await jsonPatch(p.url, [{ op: 'remove', path: '/telecom/3' }]);
    expect(missing.status).toBe(422);
    expect(code(missing)).toBe('PATCH_FAILED');
    expect((await read(p.url)).meta.versionId).toBe('1');
  });

  test('when the body is not a patch document, then 400 PATCH_INVALID; an unknown resource is 404', async () => {
    const p = await stored();
    expect(code(await jsonPatch(p.url, { op: 'add' }))).toBe('PATCH_INVALID');
    expect(code(await jsonPatch(p.url, [{ op: 'frobnicate', path: '/gender' }]))).toBe('PATCH_INVALID');
    expect((await jsonPatch('Patient/nobody', [{ op: 'add', path: '/gender', value: 'male' }])).status).toBe(404);
  });
});

test('when a resource with a decimal like 0.50 is patched elsewhere, then the decimal keeps its text', async () => {
  const res = await request(t.app)
    .post('/fhir/Immunization')
    .set('Content-Type', FHIR_JSON)
    .send(
      '{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/p1"},"occurrenceDateTime":"2021-05-01","doseQuantity":{"value":0.50,"unit":"mL"}}',
    );
  const patched = await jsonPatch(`Immunization/${res.body.id}`, [{ op: 'add', path: '/lotNumber', value: 'L1' }]);
  expect(patched.status).toBe(200);
  expect(patched.text).toContain('"value":0.50');
  const fp = await fpPatch(`Immunization/${res.body.id}`, [
    { type: 'replace', path: 'Immunization.lotNumber', value: { valueString: 'L2' } },
  ]);
  expect(fp.status).toBe(200);
  expect(fp.text).toContain('"value":0.50');
});

describe('FHIRPath Patch', () => {
  test('when replace, add, insert, move and delete run, then the resource changes as each says', async () => {
    const p = await stored();
    const res = await fpPatch(p.url, [
      { type: 'replace', path: 'Patient.name.family', value: { valueString: 'Poe' } },
      { type: 'add', path: 'Patient', name: 'gender', value: { valueCode: 'female' } },
      { type: 'insert', path: 'Patient.name.given', index: 0, value: { valueString: 'Cat' } },
      { type: 'move', path: 'Patient.name.given', source: 2, destination: 0 },
      { type: 'delete', path: "Patient.name.given.where($this = 'Ann')" },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      gender: 'female',
      name: [{ family: 'Poe', given: ['Bea', 'Cat'] }],
      meta: { versionId: '2' },
    });
  });

  test('when a path selects nothing, then 422 FHIRPATH_PATCH_NO_MATCH and nothing changes', async () => {
    const p = await stored();
    const res = await fpPatch(p.url, [{ type: 'replace', path: 'Patient.telecom.value', value: { valueString: 'x' } }]);
    expect(res.status).toBe(422);
    expect(code(res)).toBe('FHIRPATH_PATCH_NO_MATCH');
    expect((await read(p.url)).meta.versionId).toBe('1');
  });

  test('when a path selects several elements, then 422 FHIRPATH_PATCH_MULTIPLE', async () => {
    const p = await stored();
    const res = await fpPatch(p.url, [{ type: 'delete', path: 'Patient.name.given' }]);
    expect(res.status).toBe(422);
    expect(code(res)).toBe('FHIRPATH_PATCH_MULTIPLE');
  });

  test('when a path selects everything or writes meta, then a clear 4xx', async () => {
    const p = await stored();
    const all = await fpPatch(p.url, [{ type: 'delete', path: 'Patient.descendants()' }]);
    expect(all.status).toBe(400);
    expect(code(all)).toBe('FHIRPATH_PATCH_INVALID');
    const meta = await fpPatch(p.url, [{ type: 'replace', path: 'Patient.meta.versionId', value: { valueId: '9' } }]);
    expect(meta.status).toBe(422);
    expect(code(meta)).toBe('PATCH_PATH_FORBIDDEN');
    expect((await read(p.url)).meta.versionId).toBe('1');
  });
});

describe('conditional PATCH', () => {
  test('when the search matches one resource, then it is patched; none is 404, several are 412', async () => {
    const p = await stored();
    const value = (await read(p.url)).identifier[0].value;
    const one = await jsonPatch(`Patient?identifier=urn:x|${value}`, [{ op: 'add', path: '/gender', value: 'other' }]);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: p.id, gender: 'other' });
    const none = await jsonPatch('Patient?identifier=urn:x|nobody', [{ op: 'add', path: '/gender', value: 'other' }]);
    expect(none.status).toBe(404);
    expect(code(none)).toBe('CONDITIONAL_PATCH_NO_MATCH');
    const several = await jsonPatch('Patient?family=Doe', [{ op: 'add', path: '/gender', value: 'other' }]);
    expect(several.status).toBe(412);
    expect(code(several)).toBe('CONDITIONAL_PATCH_MULTIPLE');
  });
});
