/** $validate and validation on write, with the real WHO packages loaded (FHIR_PACKAGES). */
import request from 'supertest';
import { createTestApp, FHIR_JSON, immunization, type TestApp } from '../helpers/test-app.ts';
import { IPS_MUTATIONS } from '../fixtures/ips-mutations.ts';
import {
  DDCC_IMMUNIZATION,
  IPS_BUNDLE,
  ipsMinimalBundle,
  packageExample,
  SHARED_PACKAGE_FILES,
  SHARED_PACKAGE_FILES_WITHOUT_IPS,
} from '../helpers/shared-packages.ts';

let strict: TestApp;
let lenient: TestApp;
/** The one app of the missing-package path: the shared packages without the HL7 IPS one. */
let withoutIps: TestApp;
const ddccImmunization = packageExample('who.ddcc#1.0.0.tgz', 'Immunization-DDCCImmunizationEnglish.json');
const ddccDocument = packageExample('who.ddcc#1.0.0.tgz', 'Bundle-ExampleEnglish.json');

beforeAll(async () => {
  strict = await createTestApp({ fhirPackages: SHARED_PACKAGE_FILES, validationMode: 'strict' });
  lenient = await createTestApp({ fhirPackages: SHARED_PACKAGE_FILES, validationMode: 'lenient' });
  withoutIps = await createTestApp({
    fhirPackages: SHARED_PACKAGE_FILES_WITHOUT_IPS,
    fhirPackagesNodeModules: false,
    validationMode: 'lenient',
  });
});
afterAll(async () => {
  await strict.close();
  await lenient.close();
  await withoutIps.close();
});

const ids = (res: request.Response, severity?: string) =>
  (res.body.issue as Array<{ severity: string; details: { coding: Array<{ code: string }> } }>)
    .filter((i) => !severity || i.severity === severity)
    .map((i) => i.details.coding[0].code);
const post = (app: TestApp, path: string, body: unknown) =>
  request(app.app).post(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));

describe('$validate', () => {
  test('when a valid DDCC Immunization is posted as the body, then 200 and no error', async () => {
    const res = await post(strict, 'Immunization/$validate', ddccImmunization);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(ids(res, 'error')).toEqual([]);
  });

  test('when a plain Immunization is checked against the DDCC profile given in the query, then 200 with the errors', async () => {
    const res = await post(
      strict,
      `Immunization/$validate?profile=${encodeURIComponent(DDCC_IMMUNIZATION)}`,
      immunization(),
    );
    expect(res.status).toBe(200);
    expect(ids(res, 'error').length).toBeGreaterThan(0);
    expect(ids(res, 'error')).toContain('CARDINALITY_MIN');
  });

  test('when the resource and profile come in a Parameters body, then the same verdict', async () => {
    const res = await post(strict, 'Immunization/$validate', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: immunization() },
        { name: 'profile', valueCanonical: DDCC_IMMUNIZATION },
      ],
    });
    expect(res.status).toBe(200);
    expect(ids(res, 'error')).toContain('CARDINALITY_MIN');
  });

  test('when nothing is wrong with a base resource, then one information issue says so', async () => {
    const res = await post(strict, 'Patient/$validate', {
      resourceType: 'Patient',
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Test</div>' },
      name: [{ family: 'Test' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.issue).toEqual([
      expect.objectContaining({ severity: 'information', details: expect.objectContaining({ text: 'All OK' }) }),
    ]);
  });

  test('when the profile is unknown, then 200 with an issue naming it, never a silent pass', async () => {
    const res = await post(
      strict,
      'Immunization/$validate?profile=http://example.org/StructureDefinition/nope',
      immunization(),
    );
    expect(res.status).toBe(200);
    const texts = (res.body.issue as Array<{ details: { text: string } }>).map((i) => i.details.text).join('\n');
    expect(texts).toContain('http://example.org/StructureDefinition/nope');
  });

  test('when $validate is asked on a stored instance without a body, then the stored resource is validated', async () => {
    const created = await post(lenient, 'Immunization', immunization());
    expect(created.status).toBe(201);
    const res = await request(lenient.app).post(
      `/fhir/Immunization/${created.body.id}/$validate?profile=${encodeURIComponent(DDCC_IMMUNIZATION)}`,
    );
    expect(res.status).toBe(200);
    expect(ids(res, 'error')).toContain('CARDINALITY_MIN');
    const missing = await request(lenient.app).post('/fhir/Immunization/nope/$validate');
    expect(missing.status).toBe(404);
  });

  test.each([
    ['no resource', 'Immunization/$validate', undefined, 'VALIDATE_RESOURCE_MISSING'],
    ['a resource of another type', 'Immunization/$validate', { resourceType: 'Patient' }, 'RESOURCE_TYPE_MISMATCH'],
    ['an unknown parameter', 'Immunization/$validate?frobnicate=1', immunization(), 'OPERATION_PARAM_UNKNOWN'],
    ['a bad mode', 'Immunization/$validate?mode=explode', immunization(), 'VALIDATE_MODE_UNKNOWN'],
    [
      'two profiles',
      'Immunization/$validate?profile=http://a&profile=http://b',
      immunization(),
      'OPERATION_PARAM_REPEATED',
    ],
  ])('when the request has %s, then 400 %s', async (_what, path, body, id) => {
    const req = request(strict.app).post(`/fhir/${path}`).set('Content-Type', FHIR_JSON);
    const res = body === undefined ? await req : await req.send(JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(ids(res)[0]).toBe(id);
  });
});

describe('validation on write', () => {
  const count = async (app: TestApp) =>
    (await request(app.app).get('/fhir/Immunization?_summary=count')).body.total as number;

  test('when strict and the Immunization breaks the DDCC profile, then 422 with the errors and nothing is stored', async () => {
    const before = await count(strict);
    const res = await post(strict, 'Immunization', immunization());
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(ids(res, 'error')).toContain('CARDINALITY_MIN');
    expect(await count(strict)).toBe(before);
  });

  test('when strict and the Immunization meets the DDCC profile, then 201', async () => {
    const res = await post(strict, 'Immunization', ddccImmunization);
    expect(res.status).toBe(201);
  });

  test('when strict and one entry of a transaction breaks the profile, then 422 naming the entry and nothing is stored', async () => {
    const before = await count(strict);
    const res = await post(strict, '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: ddccImmunization, request: { method: 'POST', url: 'Immunization' } },
        { resource: immunization(), request: { method: 'POST', url: 'Immunization' } },
      ],
    });
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression[0]).toMatch(/^Bundle\.entry\[1\]/);
    expect(await count(strict)).toBe(before);
  });

  test('when lenient, then the write is stored and its issues come back with Prefer: return=OperationOutcome and in a header', async () => {
    const res = await post(lenient, 'Immunization', immunization()).set('Prefer', 'return=OperationOutcome');
    expect(res.status).toBe(201);
    expect(ids(res)[0]).toBe('CREATED');
    expect(ids(res, 'error')).toContain('CARDINALITY_MIN');
    const plain = await post(lenient, 'Immunization', immunization());
    expect(plain.status).toBe(201);
    expect(plain.body.resourceType).toBe('Immunization');
    expect(plain.headers['x-validation-issues']).toMatch(/^errors=[1-9]\d*, warnings=\d+/);
  });

  test('when the ingest profile of document Bundles is not loaded (no IPS package), then the write still happens but says so', async () => {
    const res = await post(withoutIps, 'Bundle', ddccDocument).set('Prefer', 'return=OperationOutcome');
    expect(res.status).toBe(201);
    const missing = (
      res.body.issue as Array<{ severity: string; details: { coding: Array<{ code: string }>; text: string } }>
    ).find((i) => i.details.coding[0].code === 'INGEST_PROFILE_NOT_LOADED');
    expect(missing?.severity).toBe('warning');
    expect(missing?.details.text).toContain(IPS_BUNDLE);
  });

  test('when the IPS package is loaded and an IPS example document is written, then it is checked against the IPS Bundle profile with no error', async () => {
    const res = await post(lenient, 'Bundle', ipsMinimalBundle()).set('Prefer', 'return=OperationOutcome');
    expect(res.status).toBe(201);
    expect(ids(res, 'error')).toEqual([]);
    expect(ids(res)).not.toContain('INGEST_PROFILE_NOT_LOADED');
  });

  test('when strict and an IPS document lacks its required medications section, then 422 with the IPS profile errors and nothing is stored', async () => {
    const bundles = async () => (await request(strict.app).get('/fhir/Bundle?_summary=count')).body.total as number;
    const before = await bundles();
    const broken = ipsMinimalBundle();
    const mutation = IPS_MUTATIONS.find((m) => m.name === 'comp-missing-medications-section')!;
    mutation.mutate(broken);
    const res = await post(strict, 'Bundle', broken);
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const errors = (
      res.body.issue as Array<{ severity: string; expression: string[]; details: { coding: Array<{ code: string }> } }>
    ).filter((i) => i.severity === 'error');
    expect(errors.map((i) => [i.details.coding[0].code, i.expression[0]]).sort()).toEqual([...mutation.errors].sort());
    expect(await bundles()).toBe(before);
    expect((await post(strict, 'Bundle', ipsMinimalBundle())).status).toBe(201);
    expect(await bundles()).toBe(before + 1);
  });

  test('when the DDCC document (no IPS Composition slice) is written leniently, then it is stored with the IPS Bundle profile errors', async () => {
    const res = await post(lenient, 'Bundle', ddccDocument).set('Prefer', 'return=OperationOutcome');
    expect(res.status).toBe(201);
    expect(ids(res, 'error')).toContain('SLICE_CARDINALITY_MIN');
  });
});

describe('$packages', () => {
  test('when the packages are listed, then each shared package is there with its missing dependencies, and the ingest profiles say whether they are loaded', async () => {
    const res = await request(strict.app).get('/fhir/$packages');
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('Parameters');
    const packages = (
      res.body.parameter as Array<{
        name: string;
        part: Array<{ name: string; valueString?: string; valueBoolean?: boolean; valueCanonical?: string }>;
      }>
    ).filter((p) => p.name === 'package');
    const ddcc = packages.find((p) => p.part.some((x) => x.name === 'id' && x.valueString === 'who.ddcc'));
    // who.ddcc declares hl7.fhir.uv.ips#1.1.0; 2.0.0 is loaded and stands in for it (said in a warning), so it is not missing
    expect(ddcc?.part.filter((x) => x.name === 'missingDependency').map((x) => x.valueString)).not.toContain(
      'hl7.fhir.uv.ips#1.1.0',
    );
    expect(ddcc?.part.filter((x) => x.name === 'missingDependency').map((x) => x.valueString)).toContain(
      'hl7.fhir.uv.sdc#3.0.0',
    );
    const warnings = (res.body.parameter as Array<{ name: string; valueString?: string }>)
      .filter((p) => p.name === 'warning')
      .map((p) => p.valueString);
    expect(warnings).toContain(
      'package who.ddcc#1.0.0 depends on hl7.fhir.uv.ips#1.1.0; hl7.fhir.uv.ips#2.0.0 is loaded instead',
    );
    const substituted = (
      ddcc?.part as Array<{ name: string; part?: Array<{ name: string; valueString: string }> }>
    ).filter((x) => x.name === 'substitutedDependency');
    expect(substituted.map((x) => Object.fromEntries(x.part!.map((y) => [y.name, y.valueString])))).toContainEqual({
      declared: 'hl7.fhir.uv.ips#1.1.0',
      loaded: 'hl7.fhir.uv.ips#2.0.0',
    });
    const ingest = (
      res.body.parameter as Array<{
        name: string;
        part: Array<{ name: string; valueCanonical?: string; valueBoolean?: boolean }>;
      }>
    ).filter((p) => p.name === 'ingestProfile');
    const loaded = Object.fromEntries(
      ingest.map((p) => [
        p.part.find((x) => x.name === 'profile')?.valueCanonical,
        p.part.find((x) => x.name === 'loaded')?.valueBoolean,
      ]),
    );
    expect(loaded).toEqual({ [DDCC_IMMUNIZATION]: true, [IPS_BUNDLE]: true });
  });

  test('when the CapabilityStatement is read, then it lists the loaded IGs and the operations', async () => {
    const res = await request(strict.app).get('/fhir/metadata');
    expect(res.body.implementationGuide.length).toBeGreaterThanOrEqual(3);
    expect(res.body.rest[0].operation.map((o: { name: string }) => o.name)).toContain('packages');
    const imm = res.body.rest[0].resource.find((r: { type: string }) => r.type === 'Immunization');
    expect(imm.operation.map((o: { name: string }) => o.name)).toContain('validate');
  });
});

describe('conformance resources over REST', () => {
  test('when a profile is searched by url, then the package resource comes back, tagged with its package', async () => {
    const res = await request(strict.app).get(
      `/fhir/StructureDefinition?url=${encodeURIComponent(DDCC_IMMUNIZATION)}&_total=accurate`,
    );
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    const sd = res.body.entry[0].resource;
    expect(sd.url).toBe(DDCC_IMMUNIZATION);
    expect(sd.meta.tag).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'who.ddcc#1.0.0' })]));
    expect(res.body.entry[0].fullUrl).toBe(`http://gateway.test/fhir/StructureDefinition/${sd.id}`);
  });

  test('when a package resource is read by id, then it is served; a core one too', async () => {
    const res = await request(strict.app).get('/fhir/StructureDefinition/DDCCImmunization');
    expect(res.status).toBe(200);
    expect(res.body.url).toBe(DDCC_IMMUNIZATION);
    const core = await request(strict.app).get('/fhir/StructureDefinition/Patient');
    expect(core.body.url).toBe('http://hl7.org/fhir/StructureDefinition/Patient');
  });

  test('when searching by name and version, then matches across packages come back and paging covers them', async () => {
    const page1 = await request(strict.app).get('/fhir/StructureDefinition?name=DDCC&_count=5&_total=accurate');
    expect(page1.body.total).toBeGreaterThan(5);
    expect(page1.body.entry).toHaveLength(5);
    const next = page1.body.link
      .find((l: { relation: string }) => l.relation === 'next')
      .url.replace('http://gateway.test', '');
    const page2 = await request(strict.app).get(next);
    const ids = [...page1.body.entry, ...page2.body.entry].map((e: { resource: { id: string } }) => e.resource.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('when a parameter the package view cannot evaluate is used, then only stored resources are searched, and the bundle says so', async () => {
    const res = await request(strict.app).get('/fhir/StructureDefinition?type=Immunization');
    expect(res.status).toBe(200);
    const outcomeEntry = res.body.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome');
    expect(outcomeEntry.resource.issue[0].details.coding[0].code).toBe('SEARCH_PACKAGES_NOT_SEARCHED');
  });
});
