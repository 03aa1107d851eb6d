/**
 * Package integrity (issue 19): an upload may not replace a canonical of a core, locked or configured package, core
 * packages cannot be uploaded, a plain canonical resolves to the pinned package whatever the versions say, and every
 * install attempt is audited.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { readBaseR4 } from '../../src/packages/base-r4.ts';
import { profileUrl, samplePackage, tarGz } from '../helpers/tar-builder.ts';
import { createTestApp, FHIR_JSON, patient, type TestApp } from '../helpers/test-app.ts';
import { createAuthTestApp } from '../helpers/auth-app.ts';

const LOCKED_URL = profileUrl('example.locked');

/** A package `id#version` redefining LOCKED_URL without its rule (birthDate required). */
function relaxedPackage(id: string, version: string): Buffer {
  const base = readBaseR4().resources.find(
    (r) => (r as { url?: string }).url === 'http://hl7.org/fhir/StructureDefinition/Patient',
  ) as unknown as { snapshot: unknown };
  const profile = {
    resourceType: 'StructureDefinition',
    id: 'Relaxed',
    url: LOCKED_URL,
    version,
    name: 'Relaxed',
    status: 'active',
    fhirVersion: '4.0.1',
    kind: 'resource',
    abstract: false,
    type: 'Patient',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
    derivation: 'constraint',
    snapshot: structuredClone(base.snapshot),
  };
  return tarGz([
    {
      name: 'package/package.json',
      data: JSON.stringify({
        name: id,
        version,
        fhirVersions: ['4.0.1'],
        dependencies: { 'hl7.fhir.r4.core': '4.0.1' },
      }),
    },
    { name: 'package/StructureDefinition-Relaxed.json', data: JSON.stringify(profile) },
  ]);
}

let dir: string;
const logLines: Array<Record<string, unknown>> = [];
const log = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      cb();
    },
  }),
);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gdhcn-integrity-'));
  writeFileSync(join(dir, 'example.locked#1.0.0.tgz'), samplePackage('example.locked', '1.0.0'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function app(override = false): Promise<TestApp> {
  return createTestApp(
    {
      validationMode: 'off',
      packageInstall: true,
      packageOverrideLocked: override,
      fhirPackages: [join(dir, 'example.locked#1.0.0.tgz')],
    },
    { log },
  );
}
const upload = (t: TestApp, bytes: Buffer) =>
  request(t.app).post('/fhir/$install-package').set('Content-Type', 'application/gzip').send(bytes);
const messageId = (res: request.Response) => res.body.issue?.[0]?.details?.coding?.[0]?.code;
const audits = () => logLines.filter((l) => l.audit === 'package-install');
/** The error count of a Patient without birthDate against the locked profile. */
async function errorsWithoutBirthDate(t: TestApp): Promise<number> {
  const res = await request(t.app)
    .post(`/fhir/Patient/$validate?profile=${encodeURIComponent(LOCKED_URL)}`)
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify(patient({ birthDate: undefined })));
  return (res.body.issue as Array<{ severity: string }>).filter((i) => i.severity === 'error').length;
}

describe('package integrity', () => {
  test('when an upload redefines a canonical of a configured package, then 409 PACKAGE_CANONICAL_TAKEN and validation is unchanged', async () => {
    const t = await app();
    try {
      expect(await errorsWithoutBirthDate(t)).toBeGreaterThan(0);
      for (const bytes of [relaxedPackage('example.other', '9.9.9'), samplePackage('example.locked', '9.9.9')]) {
        const res = await upload(t, bytes);
        expect([res.status, messageId(res)]).toEqual([409, 'PACKAGE_CANONICAL_TAKEN']);
        expect(res.body.issue[0].diagnostics ?? res.body.issue[0].details.text).toContain('example.locked#1.0.0');
      }
      expect(await errorsWithoutBirthDate(t)).toBeGreaterThan(0);
      expect(t.services.validation.current().validator.registry.profile(LOCKED_URL)?.packageRef).toBe(
        'example.locked#1.0.0',
      );
    } finally {
      await t.close();
    }
  });

  test('when a core package (hl7.fhir.r4.core#4.0.2) is uploaded, then 403 PACKAGE_CORE_REFUSED', async () => {
    const t = await app(true);
    try {
      const res = await upload(t, samplePackage('hl7.fhir.r4.core', '4.0.2'));
      expect([res.status, messageId(res)]).toEqual([403, 'PACKAGE_CORE_REFUSED']);
      expect(
        t.services.validation
          .current()
          .packages.packages.filter((p) => p.id === 'hl7.fhir.r4.core')
          .map((p) => p.version),
      ).toEqual(['4.0.1']);
    } finally {
      await t.close();
    }
  });

  test('when overriding is allowed and a higher version of the canonical is uploaded, then it is installed but the pinned version still answers (not "highest wins"), also after a reload', async () => {
    const t = await app(true);
    try {
      const res = await upload(t, relaxedPackage('example.other', '9.9.9'));
      expect([res.status, messageId(res)]).toEqual([201, 'PACKAGE_INSTALLED']);
      expect(t.services.validation.current().validator.registry.profile(LOCKED_URL)?.packageRef).toBe(
        'example.locked#1.0.0',
      );
      expect(await errorsWithoutBirthDate(t)).toBeGreaterThan(0);
      // An explicit |version still reaches the uploaded one.
      expect(t.services.validation.current().validator.registry.profile(`${LOCKED_URL}|9.9.9`)?.packageRef).toBe(
        'example.other#9.9.9',
      );
      await t.services.validation.reload();
      expect(t.services.validation.current().validator.registry.profile(LOCKED_URL)?.packageRef).toBe(
        'example.locked#1.0.0',
      );
    } finally {
      await t.close();
    }
  });

  test('when packages are installed or refused, then every attempt is audited with its outcome, package and sha256, and no absolute path', async () => {
    const t = await app();
    try {
      logLines.length = 0;
      await upload(t, samplePackage('example.fresh', '0.1.0'));
      await upload(t, relaxedPackage('example.other', '9.9.9'));
      await upload(t, Buffer.from('not a package'));
      const seen = audits().map((a) => [a.outcome, a.package ?? null, a.reason ?? null, typeof a.sha256]);
      expect(seen).toEqual([
        ['installed', 'example.fresh#0.1.0', null, 'string'],
        ['refused', null, 'PACKAGE_CANONICAL_TAKEN', 'string'],
        ['refused', null, 'PACKAGE_NOT_GZIP', 'string'],
      ]);
      expect(audits().every((a) => typeof a.requester === 'string')).toBe(true);
      expect(JSON.stringify(audits())).not.toContain(dir);
    } finally {
      await t.close();
    }
  });

  test('when audit is on, then every install attempt leaves an AuditEvent naming the client, the outcome, the package and its sha256', async () => {
    const t = await createAuthTestApp({
      validationMode: 'off',
      packageInstall: true,
      fhirPackages: [join(dir, 'example.locked#1.0.0.tgz')],
    });
    try {
      const admin = await t.registerClient('pkg-admin', ['system/$install-package', 'system/AuditEvent.rs']);
      const token = await admin.token('system/$install-package system/AuditEvent.rs');
      const send = (bytes: Buffer) =>
        request(t.app)
          .post('/fhir/$install-package')
          .set('Authorization', `Bearer ${token}`)
          .set('Content-Type', 'application/gzip')
          .send(bytes);
      const fresh = samplePackage('example.audited', '0.2.0');
      expect((await send(fresh)).status).toBeLessThan(300);
      expect((await send(Buffer.from('not a package'))).status).toBe(415);
      await t.services.audit.flush();
      const res = await request(t.app)
        .get('/fhir/AuditEvent?subtype=package-install')
        .set('Authorization', `Bearer ${token}`);
      const events = (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource) as AuditEvent[];
      const sha = createHash('sha256').update(fresh).digest('hex');
      expect(events.map((e) => [e.agent[0]?.who?.identifier?.value, e.outcome, e.outcomeDesc])).toEqual([
        ['pkg-admin', '0', `HTTP 201: installed example.audited#0.2.0 sha256:${sha}`],
        ['pkg-admin', '4', expect.stringMatching(/^HTTP 415: refused sha256:[0-9a-f]{64} PACKAGE_NOT_GZIP$/)],
      ]);
    } finally {
      await t.close();
    }
  });
});
