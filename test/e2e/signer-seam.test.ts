/**
 * The signing seam (docs/decisions/0049): a key held outside the process — here a KMS-shaped test double that signs
 * asynchronously and never hands its key out — plugs in as a `Signer`, and issuance of HCERT and SMART Health Cards
 * goes through it; the credentials verify. A signer that does not match the certificate, or answers in the wrong
 * signature form, is refused.
 */
import type { Parameters } from '@medplum/fhirtypes';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { compactVerify, importJWK, type JWK } from 'jose';
import request from 'supertest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { derToP1363 } from '../../src/formats/es256.ts';
import type { Signer } from '../../src/formats/signer.ts';
import { generateDevKeys } from '../../src/trust/dev-keys.ts';
import { issuerKeysFromPem } from '../../src/trust/issuer-keys.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { client, param } from './credential-client.ts';

/** A KMS double: the key stays inside; each signature is an async round trip, counted. */
function kmsSignerDouble(key: KeyObject, form: 'raw' | 'der' = 'raw'): Signer & { calls: number } {
  const double = {
    alg: 'ES256' as const,
    publicKey: createPublicKey(key),
    calls: 0,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      double.calls++;
      await new Promise((resolve) => setImmediate(resolve));
      const der = nodeSign('sha256', data, key);
      return form === 'raw' ? derToP1363(der) : new Uint8Array(der);
    },
  };
  return double;
}

const NOW = new Date();
let t: TestApp;
let dscSigner: Signer & { calls: number };
let shcSigner: Signer & { calls: number };
let pems: { csca: string; dsc: string; shcCert: string; dscKey: KeyObject; shcKey: KeyObject };

beforeAll(async () => {
  const paths = await generateDevKeys({ dir: mkdtempSync(join(tmpdir(), 'seam-')), country: 'XX', now: NOW });
  pems = {
    csca: readFileSync(paths.cscaCertPath, 'utf8'),
    dsc: readFileSync(paths.dscCertPaths[0]!, 'utf8'),
    shcCert: readFileSync(paths.shcCertPath, 'utf8'),
    dscKey: createPrivateKey(readFileSync(paths.dscKeyPaths[0]!)),
    shcKey: createPrivateKey(readFileSync(paths.shcKeyPath)),
  };
  dscSigner = kmsSignerDouble(pems.dscKey);
  shcSigner = kmsSignerDouble(pems.shcKey);
  const issuerKeys = await issuerKeysFromPem({
    cscaCertPem: pems.csca,
    dscs: [{ certPem: pems.dsc, signer: dscSigner }],
    shcSigner,
    shcCertPem: pems.shcCert,
    now: NOW,
  });
  t = await createTestApp({ fhirPackages: SHARED_PACKAGE_FILES }, { issuerKeys });
});
afterAll(() => t?.close());

test('when the DSC and SHC keys sit behind a KMS-shaped signer, then HCERT and SMART Health Card issuance sign through it and both verify', async () => {
  const c = client(t);
  await c.push(patient(), covidImmunization());
  const hcert = await c.post('Immunization/imm1/$issue-hcert?qrFormat=none', undefined);
  expect(hcert.status).toBe(200);
  expect(dscSigner.calls).toBe(1);
  const verdict = await c.verify(param(hcert.body as Parameters, 'hc1')!.valueString!);
  expect(verdict.valid).toBe(true);

  const shc = await c.post(
    'Patient/p1/$health-cards-issue',
    c.parameters([{ name: 'credentialType', valueUri: 'https://smarthealth.cards#immunization' }]),
  );
  expect(shc.status).toBe(200);
  expect(shcSigner.calls).toBe(1);
  const jws = param(shc.body as Parameters, 'verifiableCredential')!.valueString!;
  // The card's signature checks against the published key (its content is $verify's business, tested elsewhere).
  const jwks = (await request(t.app).get('/.well-known/jwks.json')).body as { keys: JWK[] };
  const published = await importJWK(jwks.keys[0]!, 'ES256');
  const { protectedHeader } = await compactVerify(jws, published);
  expect(protectedHeader.kid).toBe(jwks.keys[0]!.kid);
});

test('when the signer holds another key than the certificate, then the key set is refused by name', async () => {
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  await expect(
    issuerKeysFromPem({
      cscaCertPem: pems.csca,
      dscs: [{ certPem: pems.dsc, signer: kmsSignerDouble(other), label: 'hsm-dsc' }],
      now: NOW,
    }),
  ).rejects.toMatchObject({
    code: 'ISSUER_KEYS_INVALID',
    problems: ['hsm-dsc: private key does not belong to the certificate'],
  });
});

test('when a signer answers ES256 in DER form instead of raw r||s, then issuance fails with KEY_INVALID and no credential leaves', async () => {
  const { signCoseSign1With } = await import('../../src/formats/hcert/cose-sign1.ts');
  const bad = kmsSignerDouble(pems.dscKey, 'der');
  const failure = await signCoseSign1With(new Uint8Array([0xa0]), { signer: bad, kid: new Uint8Array(8) }).catch(
    (e: { code: string; message: string }) => e,
  );
  // A DER ECDSA-Sig-Value for P-256 is 8 to 72 bytes, never the 64 of r||s.
  expect(failure).toMatchObject({ code: 'KEY_INVALID' });
  const length = Number(
    /^The signer returned (\d+) bytes for ES256 \(raw r\|\|s is 64\)$/.exec(
      (failure as { message: string }).message,
    )?.[1],
  );
  expect(length).toBeGreaterThan(64);
  expect(bad.calls).toBe(1);
});
