/**
 * `$packages?detail=true` lists each package's profiles and examples, and `$packages?packageId=<id>` one package with
 * its value sets and its examples' resources (what the console's Packages and Validate pages read). The expected lists
 * come from the package archives of ../shared/fhir-packages.
 */
import request from 'supertest';
import { readPackageTgz } from '../../src/packages/read-package.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

type Part = {
  name: string;
  valueString?: string;
  valueCode?: string;
  resource?: { resourceType: string };
  part?: Part[];
};

let t: TestApp;
const ddcc = readPackageTgz(SHARED_PACKAGE_FILES.find((f) => f.includes('who.ddcc'))!);

beforeAll(async () => {
  t = await createTestApp({ fhirPackages: SHARED_PACKAGE_FILES });
});
afterAll(() => t.close());

const packagePart = (body: { parameter: Part[] }, id: string) =>
  body.parameter.find((p) => p.name === 'package' && p.part?.some((x) => x.name === 'id' && x.valueString === id));
const named = (p: Part | undefined, name: string) => p?.part?.filter((x) => x.name === name) ?? [];
const value = (p: Part, name: string) => p.part?.find((x) => x.name === name)?.valueString;

test('when $packages is asked without detail, then no package lists its profiles or examples', async () => {
  const res = await request(t.app).get('/fhir/$packages');
  expect(res.status).toBe(200);
  expect(named(packagePart(res.body, ddcc.id), 'profile')).toEqual([]);
  expect(named(packagePart(res.body, ddcc.id), 'example')).toEqual([]);
});

test('when $packages?detail=true, then each package lists its constraining profiles and its examples without resources', async () => {
  const res = await request(t.app).get('/fhir/$packages?detail=true');
  expect(res.status).toBe(200);
  const pkg = packagePart(res.body, ddcc.id);
  const profiles = ddcc.resources.filter(
    (r) => r.resourceType === 'StructureDefinition' && r.derivation === 'constraint',
  );
  expect(named(pkg, 'profile').map((p) => value(p, 'url'))).toEqual(profiles.map((p) => p.url));
  expect(named(pkg, 'example').map((e) => value(e, 'file'))).toEqual(ddcc.examples.map((e) => e.file));
  expect(named(pkg, 'example').every((e) => named(e, 'resource').length === 0)).toBe(true);
  expect(named(pkg, 'valueSet')).toEqual([]);
});

test('when $packages?packageId names a package, then only it is listed, with its value sets and its examples with resources', async () => {
  const res = await request(t.app).get(`/fhir/$packages?packageId=${ddcc.id}`);
  expect(res.status).toBe(200);
  expect(res.body.parameter.filter((p: Part) => p.name === 'package')).toHaveLength(1);
  const pkg = packagePart(res.body, ddcc.id);
  expect(named(pkg, 'valueSet').map((v) => value(v, 'url'))).toEqual(
    ddcc.resources.filter((r) => r.resourceType === 'ValueSet').map((r) => r.url),
  );
  const examples = named(pkg, 'example');
  expect(examples.map((e) => named(e, 'resource')[0]?.resource?.resourceType)).toEqual(
    ddcc.examples.map((e) => e.resource.resourceType),
  );
});

test('when $packages?packageId names no loaded package, then 404 PACKAGE_UNKNOWN', async () => {
  const res = await request(t.app).get('/fhir/$packages?packageId=no.such.package');
  expect(res.status).toBe(404);
  expect(res.body.issue[0].details.coding[0].code).toBe('PACKAGE_UNKNOWN');
  expect(res.body.issue[0].details.text).toBe('No loaded package has the id "no.such.package"');
});
