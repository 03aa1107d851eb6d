/**
 * SMART Health Card key rotation: after the SHC key is replaced, the retired key (ISSUER_SHC_RETIRED_KEYS) stays in
 * /.well-known/jwks.json under its own kid, so a card it signed before the rotation still verifies, and its CRL is
 * still served; it never signs again. Without it, the old card's kid is unknown — the failure this fixes.
 */
import type { Parameters } from '@medplum/fhirtypes';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, type JWK } from 'jose';
import request from 'supertest';
import { generateKeyPair, privateKeyToPem } from '../../src/trust/cert-factory.ts';
import { generateDevKeys } from '../../src/trust/dev-keys.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL } from '../unit/credentials/harness.ts';
import { client, param } from './credential-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'shc-rotation-'));
const apps: TestApp[] = [];
let paths: Awaited<ReturnType<typeof generateDevKeys>>;
let newKeyPath: string;

async function app(shc: { key: string; retired: string[] }): Promise<TestApp> {
  const t = await createTestApp({
    fhirPackages: SHARED_PACKAGE_FILES,
    issuerUrl: ISSUER_URL,
    issuerCscaCert: paths.cscaCertPath,
    issuerDscCerts: paths.dscCertPaths,
    issuerDscKeys: paths.dscKeyPaths,
    issuerShcKey: shc.key,
    issuerShcRetiredKeys: shc.retired,
  });
  apps.push(t);
  return t;
}

async function issueCard(t: TestApp): Promise<string> {
  const c = client(t);
  await c.push(patient(), covidImmunization());
  const res = await c.post(
    'Patient/p1/$health-cards-issue',
    c.parameters([{ name: 'credentialType', valueUri: 'https://smarthealth.cards#immunization' }]),
  );
  expect(res.status).toBe(200);
  return param(res.body as Parameters, 'verifiableCredential')!.valueString!;
}

const kidOf = (jws: string) => String(decodeProtectedHeader(jws).kid);
const jwksKids = async (t: TestApp) =>
  ((await request(t.app).get('/.well-known/jwks.json')).body as { keys: JWK[] }).keys.map((k) => k.kid);

beforeAll(async () => {
  paths = await generateDevKeys({ dir, country: 'XX', now: new Date() });
  newKeyPath = join(dir, 'shc-2.key.pem');
  writeFileSync(newKeyPath, await privateKeyToPem((await generateKeyPair('ES256')).privateKey), { mode: 0o600 });
});
afterAll(async () => {
  for (const t of apps) await t.close();
});

test('when the SHC key is rotated with the old one retired, then the old card still verifies, its CRL is served, and only the new key signs', async () => {
  const before = await app({ key: paths.shcKeyPath, retired: [] });
  const oldCard = await issueCard(before);
  const oldKid = kidOf(oldCard);

  const after = await app({ key: newKeyPath, retired: [paths.shcKeyPath] });
  const kids = await jwksKids(after);
  expect(kids).toHaveLength(2);
  expect(kids[1]).toBe(oldKid);
  const verdict = await client(after).verify(oldCard);
  expect(verdict.valid).toBe(true);
  expect(verdict.kid).toBe(oldKid);
  expect((await request(after.app).get(`/.well-known/crl/${oldKid}.json`)).status).toBe(200);

  const newCard = await issueCard(after);
  expect(kidOf(newCard)).toBe(kids[0]);
  expect(kidOf(newCard)).not.toBe(oldKid);
  expect((await client(after).verify(newCard)).valid).toBe(true);
});

test('when the old key is dropped instead of retired, then the old card no longer verifies (what retiring prevents)', async () => {
  const before = await app({ key: paths.shcKeyPath, retired: [] });
  const oldCard = await issueCard(before);
  const after = await app({ key: newKeyPath, retired: [] });
  expect(await jwksKids(after)).toHaveLength(1);
  expect((await client(after).verify(oldCard)).valid).toBe(false);
});

test('when the active key is also listed as retired, then the server refuses to start with the reason', async () => {
  await expect(app({ key: newKeyPath, retired: [newKeyPath] })).rejects.toMatchObject({
    code: 'ISSUER_KEYS_INVALID',
    problems: [`${newKeyPath}: is the active SHC key, not a retired one`],
  });
});
