/**
 * Secrets and personal data never reach a log: an end-to-end run (push a patient and an immunization, issue an
 * HCERT and a SMART Health Card, verify, plus a failing write) with the log at its most verbose (`trace`), then the
 * captured JSON lines are searched for the patient's names, birth date, identifiers, credential text and key material.
 */
import type { Parameters } from '@medplum/fhirtypes';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDevKeys } from '../../src/trust/dev-keys.ts';
import { loadIssuerKeys } from '../../src/trust/issuer-keys.ts';
import { createLogger } from '../../src/log.ts';
import type { Services } from '../../src/services.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { client, param } from './credential-client.ts';

const lines: string[] = [];
let services: Services;
let t: AuthTestApp;
let bearer: string;
// The keys sign behind the Signer seam, which never hands a private key out: the test keeps its own copy.
let privateKeys: { dsc: KeyObject; shc: KeyObject };

// Access control and the audit trail on, as deployed: the access token is a secret the log must not hold either.
beforeAll(async () => {
  const log = createLogger('trace', {
    write: (line: string) => {
      lines.push(line);
    },
  });
  const paths = await generateDevKeys({
    dir: mkdtempSync(join(tmpdir(), 'log-keys-')),
    country: 'XX',
    now: new Date(),
  });
  privateKeys = {
    dsc: createPrivateKey(readFileSync(paths.dscKeyPaths[0]!)),
    shc: createPrivateKey(readFileSync(paths.shcKeyPath)),
  };
  const issuerKeys = await loadIssuerKeys({ ...paths, now: new Date() });
  t = await createAuthTestApp({ logLevel: 'trace', fhirPackages: SHARED_PACKAGE_FILES }, { log, issuerKeys });
  services = t.services;
  bearer = await t.tokenFor(
    'system/Patient.cruds system/Immunization.cruds system/Immunization.$issue-hcert system/Patient.$health-cards-issue',
  );
});
afterAll(() => t?.close());

/** Base64 of a private key's PKCS#8 DER and its JWK `d`: what a leaked key would look like in a log. */
function keyMaterial(key: KeyObject): string[] {
  const der = key.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  const { d } = key.export({ format: 'jwk' });
  return [der.slice(-40), d!];
}

test('when a patient is pushed, certified, verified and refused once, then no log line holds personal data or key material', async () => {
  const c = client(t, { bearer });
  const person = patient();
  await c.push(person, covidImmunization());
  const hcert = await c.post('Immunization/imm1/$issue-hcert?qrFormat=none', undefined);
  expect(hcert.status).toBe(200);
  const hc1 = param(hcert.body as Parameters, 'hc1')!.valueString!;
  const verdict = await c.verify(hc1);
  expect(verdict.valid).toBe(true);
  const shc = await c.post(
    'Patient/p1/$health-cards-issue',
    c.parameters([{ name: 'credentialType', valueUri: 'https://smarthealth.cards#immunization' }]),
  );
  expect(shc.status).toBe(200);
  const refused = await c.put('Patient/p2', { ...person, id: 'p2', birthDate: 'not-a-date' });
  expect(refused.status).toBeGreaterThanOrEqual(400);

  // The log saw the run: one JSON line per request, and the start-up lines.
  const parsed = lines.map((l) => JSON.parse(l) as { msg?: string; url?: string });
  expect(parsed.filter((l) => l.msg === 'request').length).toBeGreaterThanOrEqual(5);
  expect(parsed.some((l) => l.url?.includes('$issue-hcert'))).toBe(true);

  const keys = services.issuerKeys;
  const secrets: Record<string, string> = {
    family: person.name![0]!.family!,
    given: person.name![0]!.given![0]!,
    'second given': person.name![0]!.given![1]!,
    'birth date': person.birthDate!,
    'bad birth date': 'not-a-date',
    identifier: person.identifier![0]!.value!,
    'HC1 text': hc1.slice(0, 40),
    'HCERT certificate id': param(hcert.body as Parameters, 'certificateId')?.valueString ?? 'URN:UVCI:',
    'PEM private key': 'PRIVATE KEY',
    'access token': bearer.slice(-40),
  };
  expect(keys.signer.signer.publicKey.equals(createPublicKey(privateKeys.dsc))).toBe(true);
  keyMaterial(privateKeys.dsc).forEach((k, i) => {
    secrets[`DSC private key ${i}`] = k;
  });
  if (keys.shc)
    keyMaterial(privateKeys.shc).forEach((k, i) => {
      secrets[`SHC private key ${i}`] = k;
    });

  const all = lines.join('\n');
  const found = Object.entries(secrets)
    .filter(([, value]) => all.includes(value))
    .map(([what]) => what);
  expect(found).toEqual([]);
}, 120_000);
