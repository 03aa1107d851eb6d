/**
 * The credentials bench:e2e verifies (bench/hc1-set.ts: several DSCs of one CSCA, each HC1 with its own holder,
 * certificate id and issue time) are real credentials for `$verify`: every one passes every check, and one of them
 * with its content changed under its original signature is `signature-invalid` (issue 18: nothing is weakened for
 * speed; no cache keyed by the credential answers for another).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Parameters } from '@medplum/fhirtypes';
import { distinctHc1s, tamperHc1, writeBenchKeys, type BenchKeys } from '../../bench/hc1-set.ts';
import { decodeHc1 } from '../../src/formats/hcert/verify.ts';
import { HCERT_KEY } from '../../src/formats/hcert/claim-keys.ts';
import { signHc1 } from '../../src/formats/hcert/hc1.ts';
import { verifyCredential } from '../../src/credentials/verify.ts';
import { ddccVsVariant, seeded } from '../unit/credentials/ddcc-vs-payloads.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL } from '../unit/credentials/harness.ts';
import { client, notPassing, param, type Client } from './credential-client.ts';

const DSCS = 3;
const COUNT = 9;

let dir: string;
let keys: BenchKeys;
let t: TestApp;
let c: Client;
let set: string[];
let template: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verify-set-'));
  keys = await writeBenchKeys(dir, DSCS);
  t = await createTestApp({ fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL, ...keys.config });
  c = client(t);
  await c.push(patient(), covidImmunization());
  const res = await c.post('Immunization/imm1/$issue-hcert', c.parameters([{ name: 'qrFormat', valueCode: 'none' }]));
  expect(res.status).toBe(200);
  template = param(res.body as Parameters, 'hc1')!.valueString!;
  set = distinctHc1s(template, keys.dscs, COUNT);
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("bench:e2e's distinct credentials", () => {
  test('when the set is made, then its credentials are all different and spread over every DSC', () => {
    expect(new Set(set).size).toBe(COUNT);
    const kids = new Set(set.map((hc1) => Buffer.from(decodeHc1(hc1).sign1.kid!).toString('base64')));
    expect(kids.size).toBe(DSCS);
    // The payloads the server writes (DDCC:VS and EU DCC) are all there, so the checks are those of a real one.
    const kinds = (hc1: string) => Object.keys(decodeHc1(hc1).payloads).sort();
    expect(kinds(template)).toEqual(['ddccVs', 'euDcc']);
    for (const hc1 of set) expect(kinds(hc1)).toEqual(kinds(template));
  });

  test('when each is verified, then every check passes', async () => {
    for (const hc1 of set) {
      const verdict = await c.verify(hc1);
      expect([verdict.valid, notPassing(verdict)]).toEqual([true, []]);
    }
  });

  test('when one has its holder changed under its own signature, then the verdict is signature-invalid', async () => {
    const tampered = tamperHc1(set[COUNT - 1]!);
    expect(decodeHc1(tampered).sign1.signature).toEqual(decodeHc1(set[COUNT - 1]!).sign1.signature);
    const verdict = await c.verify(tampered);
    expect(verdict.valid).toBe(false);
    expect(verdict.checks.find((x) => x.name === 'signature')).toMatchObject({
      status: 'fail',
      failure: 'signature-invalid',
    });
    // Its untouched neighbours still verify after it: nothing learnt from one credential answers for another.
    expect((await c.verify(set[COUNT - 2]!)).valid).toBe(true);
  });

  // ADR 0073: the planned fhir-profile check gives the verdict the generic validator gives, credential by credential.
  test('when thousands of distinct credentials, valid, tampered and with mutated content, are verified with and without the plan, then every verdict is the same', async () => {
    const many = distinctHc1s(template, keys.dscs, 1000);
    const { claims } = decodeHc1(template);
    const random = seeded(73);
    // Correctly signed credentials whose DDCC:VS content is changed (wrong codes, missing fields, bad dates, ...).
    const mutated = Array.from({ length: 1000 }, (_, i) =>
      signHc1(
        { ...claims, hcert: new Map([[HCERT_KEY.ddccVs, [ddccVsVariant(random, i, 0.9)]]]) },
        { privateKey: keys.dscs[i % DSCS]!.privateKey, alg: 'ES256', kid: keys.dscs[i % DSCS]!.kid },
      ),
    );
    const tampered = many.filter((_, i) => i % 50 === 0).map((hc1) => tamperHc1(hc1));
    const validationTime = new Date();
    const planned = t.services.credentials.verifyOptions({ credential: '', validationTime });
    const { checkDdccVsDocument: _plan, ...generic } = planned;
    expect(_plan).toBeDefined();
    const outcomes = { valid: 0, signatureInvalid: 0, profileInvalid: 0 };
    for (const hc1 of [...many, ...mutated, ...tampered]) {
      const expected = await verifyCredential(hc1, generic);
      expect(await verifyCredential(hc1, planned)).toEqual(expected);
      if (expected.valid) outcomes.valid++;
      const failure = (name: string) => expected.checks.find((x) => x.name === name)?.status === 'fail';
      if (failure('signature')) outcomes.signatureInvalid++;
      if (failure('fhir-profile')) outcomes.profileInvalid++;
    }
    expect(outcomes.valid).toBeGreaterThanOrEqual(many.length);
    expect(outcomes.signatureInvalid).toBe(tampered.length);
    expect(outcomes.profileInvalid).toBeGreaterThan(100);
  });
});
