/**
 * Drives a real listening server (127.0.0.1, port 0) with MedplumClient from @medplum/core, the way an EHR
 * vendor pushes to a registry: upsert by identifier, patch, create-if-none-exist, searchOne, batch — with access
 * control on, as a vendor meets it: a bearer token from SMART Backend Services, scoped to what the feed writes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MedplumClient } from '@medplum/core';
import type { Bundle, Immunization, Patient } from '@medplum/fhirtypes';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { immunization, patient } from '../helpers/test-app.ts';

let server: Server;
let t: AuthTestApp;
let medplum: MedplumClient;

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await createAuthTestApp({ fhirBaseUrl: `${origin}/fhir` });
  server.on('request', t.app);
  medplum = new MedplumClient({
    baseUrl: `${origin}/`,
    fhirUrlPath: 'fhir',
    fetch: globalThis.fetch.bind(globalThis),
    cacheTime: 0,
  });
  medplum.setAccessToken(await t.tokenFor('system/Patient.cruds system/Immunization.cruds'));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

const SYS = 'urn:oid:1.2.36.146.595.217.0.1';

test('when MedplumClient upserts, patches, creates-if-none-exist, searches one and runs a batch, then each answer is what FHIR promises', async () => {
  const pat = patient({ identifier: [{ system: SYS, value: 'MP-1' }] }) as unknown as Patient;
  const created = await medplum.upsertResource(pat, { identifier: `${SYS}|MP-1` });
  expect(created.meta?.versionId).toBe('1');
  const again = await medplum.upsertResource({ ...pat, gender: 'female' }, { identifier: `${SYS}|MP-1` });
  expect(again).toMatchObject({ id: created.id, gender: 'female', meta: { versionId: '2' } });

  const patched = await medplum.patchResource('Patient', created.id, [
    { op: 'replace', path: '/gender', value: 'male' },
  ]);
  expect(patched).toMatchObject({ id: created.id, gender: 'male', meta: { versionId: '3' } });

  const imm = immunization({
    identifier: [{ system: SYS, value: 'MP-IMM' }],
    patient: { reference: `Patient/${created.id}` },
  }) as unknown as Immunization;
  const first = await medplum.createResourceIfNoneExist(imm, `identifier=${SYS}|MP-IMM`);
  const second = await medplum.createResourceIfNoneExist(imm, `identifier=${SYS}|MP-IMM`);
  expect(second.id).toBe(first.id);

  const found = await medplum.searchOne('Patient', { identifier: `${SYS}|MP-1` });
  expect(found?.id).toBe(created.id);
  const reverse = await medplum.searchOne('Patient', `_has:Immunization:patient:identifier=${SYS}|MP-IMM`);
  expect(reverse?.id).toBe(created.id);

  const batch: Bundle = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: pat, request: { method: 'PUT', url: `Patient?identifier=${SYS}|MP-1` } },
      { request: { method: 'GET', url: `Immunization?patient=Patient/${created.id}` } },
      { request: { method: 'DELETE', url: `Immunization?identifier=${SYS}|MP-IMM` } },
    ],
  };
  const result = await medplum.executeBatch(batch);
  expect(result.entry?.map((e) => e.response?.status)).toEqual(['200 OK', '200 OK', '200 OK']);
  expect(result.entry?.[0]?.resource?.meta?.versionId).toBe('4');
  expect(await medplum.searchOne('Immunization', { identifier: `${SYS}|MP-IMM` })).toBeUndefined();
});
