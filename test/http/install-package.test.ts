/** $install-package: usable at once, and hostile archives refused with nothing written outside the package store. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../helpers/test-app.ts';
import { profileUrl, samplePackage, tarGz } from '../helpers/tar-builder.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const install = (bytes: Buffer) =>
  request(t.app).post('/fhir/$install-package').set('Content-Type', 'application/gzip').send(bytes);
const patientWithoutBirthDate = {
  resourceType: 'Patient',
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' },
  name: [{ family: 'X' }],
};
const codes = (res: request.Response) =>
  (res.body.issue as Array<{ details: { coding: Array<{ code: string }> } }>).map((i) => i.details.coding[0].code);

test('when a package is installed, then its profile is usable at once, listed in $packages, and re-installing it changes nothing', async () => {
  const url = profileUrl('example.fhir.first');
  const before = await request(t.app)
    .post(`/fhir/Patient/$validate?profile=${encodeURIComponent(url)}`)
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify(patientWithoutBirthDate));
  expect(codes(before)).not.toContain('CARDINALITY_MIN');

  const bytes = samplePackage('example.fhir.first');
  const res = await install(bytes);
  expect(res.status).toBe(201);
  expect(codes(res)[0]).toBe('PACKAGE_INSTALLED');

  const after = await request(t.app)
    .post(`/fhir/Patient/$validate?profile=${encodeURIComponent(url)}`)
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify(patientWithoutBirthDate));
  expect(after.status).toBe(200);
  expect(codes(after)).toContain('CARDINALITY_MIN');

  const listed = await request(t.app).get('/fhir/$packages');
  expect(JSON.stringify(listed.body)).toContain('example.fhir.first');
  const again = await install(bytes);
  expect(again.status).toBe(200);
  expect(codes(again)).toEqual(['PACKAGE_UNCHANGED']);
});

describe('hostile archives', () => {
  const bomb = gzipSync(Buffer.alloc(300 * 1024 * 1024), { level: 9 });
  test.each([
    ['not gzip', Buffer.from('just text'), 415, 'PACKAGE_NOT_GZIP'],
    [
      'a ../ path',
      samplePackage('example.evil', '1.0.0', [{ name: 'package/../../escape.json', data: '{}' }]),
      400,
      'PACKAGE_PATH_UNSAFE',
    ],
    [
      'an absolute path',
      samplePackage('example.evil', '1.0.0', [{ name: '/etc/passwd', data: 'x' }]),
      400,
      'PACKAGE_PATH_UNSAFE',
    ],
    [
      'a symlink',
      samplePackage('example.evil', '1.0.0', [{ name: 'package/link.json', type: '2', linkname: '/etc/passwd' }]),
      400,
      'PACKAGE_LINK',
    ],
    [
      'a hard link',
      samplePackage('example.evil', '1.0.0', [
        { name: 'package/hard.json', type: '1', linkname: 'package/package.json' },
      ]),
      400,
      'PACKAGE_LINK',
    ],
    ['a gzip bomb', bomb, 413, 'PACKAGE_TOO_LARGE'],
    ['no manifest', tarGz([{ name: 'package/x.json', data: '{}' }]), 400, 'PACKAGE_MANIFEST_INVALID'],
    [
      'an id that is a path',
      tarGz([{ name: 'package/package.json', data: JSON.stringify({ name: '../../x', version: '1.0.0' }) }]),
      400,
      'PACKAGE_MANIFEST_INVALID',
    ],
    [
      'a core canonical',
      tarGz([
        { name: 'package/package.json', data: JSON.stringify({ name: 'example.evil', version: '1.0.0' }) },
        {
          name: 'package/StructureDefinition-Patient.json',
          data: JSON.stringify({
            resourceType: 'StructureDefinition',
            url: 'http://hl7.org/fhir/StructureDefinition/Patient',
          }),
        },
      ]),
      400,
      'PACKAGE_CLAIMS_CORE',
    ],
  ])('when the archive has %s, then it is refused and nothing is written', async (_what, bytes, status, id) => {
    const storeDir = t.services.validation.packageStoreDir;
    const before = existsSync(storeDir) ? readdirSync(storeDir) : [];
    const res = await install(bytes as Buffer);
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(codes(res)[0]).toBe(id);
    expect(existsSync(storeDir) ? readdirSync(storeDir) : []).toEqual(before);
    expect(existsSync(join(storeDir, '..', 'escape.json'))).toBe(false);
  });

  test('when a JSON body is sent, then 415', async () => {
    const res = await request(t.app).post('/fhir/$install-package').set('Content-Type', FHIR_JSON).send('{}');
    expect(res.status).toBe(415);
  });

  test('when installing is disabled, then 403', async () => {
    const locked = await createTestApp({ packageInstall: false });
    try {
      const res = await request(locked.app)
        .post('/fhir/$install-package')
        .set('Content-Type', 'application/gzip')
        .send(samplePackage());
      expect(res.status).toBe(403);
      expect(codes(res)[0]).toBe('PACKAGE_INSTALL_DISABLED');
    } finally {
      await locked.close();
    }
  });
});
