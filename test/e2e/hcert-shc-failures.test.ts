/**
 * End to end, the failing paths (issue 7, "Must show"): tampered, expired, not-yet-valid, wrong-key and untrusted
 * HCERTs give `valid: false` naming the failing check, with its failure code in `issues`; bad issuance and `$verify`
 * requests get the right status and issue nothing; an issuer whose DSC is missing from its trust list, or whose SHC
 * `iss` is not https, is warned. The good paths are in hcert-shc.test.ts.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import request from 'supertest';
import type { OperationOutcome, Parameters } from '@medplum/fhirtypes';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { decodeBase45, encodeBase45 } from '../../src/formats/hcert/base45.ts';
import { buildJwks } from '../../src/trust/publish.ts';
import { toPem } from '../../src/trust/x509.ts';
import type { IssuerKeySet } from '../../src/trust/issuer-keys.ts';
import { client, issueFailures, messageIds, notPassing, param, type Client } from './credential-client.ts';

const DAY = 86_400_000;
const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
/** On a server that never issued the credential, no revocation list answers for it. */
const REVOCATION_SKIPPED = ['revocation', 'skipped', undefined];
const TRUST_SKIPPED = ['trust-chain', 'skipped', undefined];

let issuer: TestApp;
/** A second server that does not trust itself and has no trust list: it knows no DSC at all. */
let stranger: TestApp;
let c: Client;
let keys: IssuerKeySet;
let otherKeys: IssuerKeySet;
/** Valid 30 days from NOW, so that expiry is reached while the DSC is still valid. */
let hc1: string;

beforeAll(async () => {
  [keys, otherKeys] = await Promise.all([makeKeys(), makeKeys('YY')]);
  issuer = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: keys },
  );
  stranger = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, trustSelf: false },
    { now: () => NOW, issuerKeys: otherKeys },
  );
  c = client(issuer);
  await c.push(patient(), covidImmunization());
  const res = await c.post(
    'Immunization/imm1/$issue-hcert',
    c.parameters([
      { name: 'validityDays', valueInteger: 30 },
      { name: 'qrFormat', valueCode: 'none' },
    ]),
  );
  expect(res.status).toBe(200);
  hc1 = param(res.body as Parameters, 'hc1')!.valueString!;
});
afterAll(async () => {
  await issuer.close();
  await stranger.close();
});

/** Re-encodes the HC1 after `change` edits its COSE bytes (the signature is left as it was). */
function recompressed(text: string, change: (cose: Buffer) => Buffer): string {
  return `HC1:${encodeBase45(deflateSync(change(inflateSync(decodeBase45(text.slice(4))))))}`;
}

describe('$verify of a broken HCERT', () => {
  test('when a base45 character in the middle is changed, then invalid at decompress with decode-error', async () => {
    // The lowest digit of a three-character group, moved by one: still base45, so the zlib stream is what breaks.
    const at = 4 + 3 * Math.floor((hc1.length - 4) / 6);
    const digit = BASE45.indexOf(hc1[at]!);
    const tampered = hc1.slice(0, at) + BASE45[digit > 0 ? digit - 1 : digit + 1] + hc1.slice(at + 1);
    const v = await c.verify(tampered);
    expect(v.valid).toBe(false);
    expect(v.checks.slice(0, 3).map((k) => [k.name, k.status, k.failure])).toEqual([
      ['unprefix', 'pass', undefined],
      ['base45', 'pass', undefined],
      ['decompress', 'fail', 'decode-error'],
    ]);
    expect(v.checks.slice(3).every((k) => k.status === 'skipped')).toBe(true);
    expect(issueFailures(v)).toEqual(['decode-error']);
  });

  test('when the signed payload is changed (lot number) and re-encoded, then invalid at signature with signature-invalid', async () => {
    const tampered = recompressed(hc1, (cose) => {
      const at = cose.indexOf('LOT-123');
      expect(at).toBeGreaterThan(0);
      return Buffer.concat([cose.subarray(0, at), Buffer.from('LOT-124'), cose.subarray(at + 7)]);
    });
    const v = await c.verify(tampered);
    expect(v.valid).toBe(false);
    expect(notPassing(v)).toEqual([['signature', 'fail', 'signature-invalid'], TRUST_SKIPPED]);
    expect(issueFailures(v)).toEqual(['signature-invalid']);
  });

  test('when validationTime is after exp, then invalid at not-expired with expired', async () => {
    const v = await c.verify(hc1, [
      { name: 'validationTime', valueDateTime: new Date(NOW.getTime() + 31 * DAY).toISOString() },
    ]);
    expect(v.valid).toBe(false);
    expect(notPassing(v)).toEqual([['not-expired', 'fail', 'expired']]);
    expect(v.checks.find((k) => k.name === 'not-expired')!.message).toBe(
      'The credential expired at 2026-07-01T00:00:00.000Z (validation time 2026-07-02T00:00:00.000Z)',
    );
    expect(issueFailures(v)).toEqual(['expired']);
    expect(v.issues[0]).toMatchObject({
      severity: 'error',
      code: 'expired',
      diagnostics: 'check not-expired (CWT_EXPIRED)',
    });
  });

  test('when validationTime is before iat, then invalid at not-before with not-yet-valid', async () => {
    const v = await c.verify(hc1, [
      { name: 'validationTime', valueDateTime: new Date(NOW.getTime() - 3_600_000).toISOString() },
    ]);
    expect(v.valid).toBe(false);
    expect(notPassing(v)).toEqual([['not-before', 'fail', 'not-yet-valid']]);
    expect(issueFailures(v)).toEqual(['not-yet-valid']);
  });

  test('when another DSC is given as trustedCertificate, then invalid at signature with signature-invalid', async () => {
    const v = await c.verify(hc1, [
      { name: 'trustedCertificate', valueString: toPem(otherKeys.signer.certificate.der) },
    ]);
    expect(v.valid).toBe(false);
    expect(notPassing(v)).toEqual([['signature', 'fail', 'signature-invalid'], TRUST_SKIPPED]);
    expect(v.checks.find((k) => k.name === 'signature')!.message).toBe(
      'COSE: the signature does not verify with any of the 1 candidate keys',
    );
    expect(issueFailures(v)).toEqual(['signature-invalid']);
  });

  test('when a server that trusts no DSC verifies it, then invalid at signature with key-unknown', async () => {
    const v = await client(stranger).verify(hc1);
    expect(v.valid).toBe(false);
    expect(notPassing(v)).toEqual([['signature', 'fail', 'key-unknown'], TRUST_SKIPPED, REVOCATION_SKIPPED]);
    expect(v.checks.find((k) => k.name === 'signature')!.message).toBe(
      `COSE: no key is known for kid ${keys.signer.kid}`,
    );
    expect(issueFailures(v)).toEqual(['key-unknown']);
  });
});

describe('requests that cannot be served', () => {
  const provenanceCount = async () => ((await c.get('Provenance?_count=1000')).body.entry ?? []).length;

  beforeAll(async () => {
    await c.push(
      patient({ id: 'p-err' }),
      covidImmunization({
        id: 'imm-unmapped',
        patient: { reference: 'Patient/p-err' },
        vaccineCode: { coding: [{ system: 'http://example.org/vaccines', code: 'X-1' }] },
      }),
      covidImmunization({ id: 'imm-orphan', patient: { reference: 'Patient/not-stored' } }),
    );
  });

  test.each([
    [
      'an Immunization with an unmapped vaccine code is issued',
      422,
      'MAPPING_CODE_UNMAPPED',
      () => c.post('Immunization/imm-unmapped/$issue-hcert'),
    ],
    ['an unknown Immunization is issued', 404, 'RESOURCE_NOT_FOUND', () => c.post('Immunization/nope/$issue-hcert')],
    [
      'an Immunization whose patient is not stored is issued',
      422,
      'IMMUNIZATION_PATIENT_UNRESOLVED',
      () => c.post('Immunization/imm-orphan/$issue-hcert'),
    ],
    [
      'qrFormat is not png, svg or none',
      400,
      'QR_FORMAT_UNKNOWN',
      () => c.post('Immunization/imm1/$issue-hcert?qrFormat=gif'),
    ],
    [
      '$verify gets no credential',
      400,
      'VERIFY_CREDENTIAL_MISSING',
      () => c.post('$verify', c.parameters([{ name: 'validationTime', valueDateTime: NOW.toISOString() }])),
    ],
    [
      '$verify gets a JSON body that is not Parameters',
      400,
      'OPERATION_BODY_NOT_PARAMETERS',
      () => c.post('$verify', { resourceType: 'Patient', name: [{ family: 'X' }] }),
    ],
    [
      '$verify gets a picture body and a credential in the query',
      400,
      'VERIFY_TWO_CREDENTIALS',
      () =>
        request(issuer.app)
          .post('/fhir/$verify?credential=HC1%3AX')
          .set('Content-Type', 'image/png')
          .send(Buffer.from([0x89, 0x50, 0x4e, 0x47])),
    ],
    [
      '$verify gets a credential that is not text',
      400,
      'OPERATION_PARAM_TYPE',
      () => c.post('$verify', c.parameters([{ name: 'credential', valueInteger: 7 }])),
    ],
  ] as const)(
    'when %s, then %i with %s, nothing is issued and the server keeps answering',
    async (_label, status, id, send) => {
      const before = await provenanceCount();
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(messageIds(res.body as OperationOutcome)).toEqual([id]);
      expect(await provenanceCount()).toBe(before);
      expect((await c.verify(hc1)).valid).toBe(true);
    },
  );

  test('when the unmapped vaccine code is refused, then the outcome names the code and where it is', async () => {
    const res = await c.post('Immunization/imm-unmapped/$issue-hcert');
    expect(res.body.issue).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'code-invalid',
        expression: ['Immunization.vaccineCode.coding[0]'],
      }),
    ]);
    expect(res.body.issue[0].details.text).toContain('http://example.org/vaccines|X-1');
    const listed = await c.get('Patient/p-err/$credentials');
    expect(listed.body).toEqual({ resourceType: 'Parameters', parameter: [] });
  });
});

describe('issuer-side warnings', () => {
  const s = () => client(stranger);

  beforeAll(async () => {
    await s().push(patient(), covidImmunization());
  });

  test('when a server whose DSC is not in its trust list issues an HCERT, then it is issued with a warning saying so', async () => {
    const res = await s().post('Immunization/imm1/$issue-hcert?qrFormat=none');
    expect(res.status).toBe(200);
    expect(param(res.body as Parameters, 'hc1')!.valueString).toMatch(/^HC1:/);
    const warnings = param(res.body as Parameters, 'warnings')!.resource as OperationOutcome;
    expect(warnings.issue).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'security',
        details: expect.objectContaining({
          text: `The signing DSC (kid ${otherKeys.signer.kid}) is not in the configured trust list: verifiers using it will reject this credential`,
        }),
      }),
    ]);
    expect(messageIds(warnings)).toEqual(['ISSUER_DSC_NOT_IN_TRUST_LIST']);
  });

  test('when a server whose issuer URL is plain http issues an SHC, then it is issued with a warning, and verifiers refuse its iss', async () => {
    const res = await s().post(
      'Patient/p1/$health-cards-issue',
      s().parameters([{ name: 'credentialType', valueUri: 'https://smarthealth.cards#immunization' }]),
    );
    expect(res.status).toBe(200);
    const warnings = param(res.body as Parameters, 'warnings')!.resource as OperationOutcome;
    expect(messageIds(warnings)).toEqual(['SHC_ISSUER_URL_NOT_HTTPS']);
    expect(warnings.issue[0]!.details!.text).toBe(
      'The SHC issuer URL (iss, ISSUER_URL) http://gateway.test is not an https URL without a trailing slash: verifiers will reject this card',
    );
    const jws = param(res.body as Parameters, 'verifiableCredential')!.valueString!;
    const v = await c.verify(jws, [{ name: 'issuerJwks', valueString: JSON.stringify(buildJwks(otherKeys)) }]);
    expect(v.valid).toBe(false);
    expect(v.checks.find((k) => k.status === 'fail')).toEqual({
      name: 'payload-schema',
      status: 'fail',
      failure: 'payload-invalid',
      message: 'SHC: iss must be an https URL without a trailing slash',
    });
  });
});

describe('a server on a laptop (ISSUER_URL http://localhost:8080)', () => {
  test('when it issues a SMART Health Card, then there is no warning and its own $verify accepts the card', async () => {
    const laptop = await createTestApp({ issuerUrl: 'http://localhost:8080' });
    try {
      const l = client(laptop);
      await l.push(patient(), covidImmunization());
      const res = await l.post(
        'Patient/p1/$health-cards-issue',
        l.parameters([{ name: 'credentialType', valueUri: 'https://smarthealth.cards#immunization' }]),
      );
      expect(res.status).toBe(200);
      expect(param(res.body as Parameters, 'warnings')).toBeUndefined();
      const v = await l.verify(param(res.body as Parameters, 'verifiableCredential')!.valueString!);
      expect(v.valid).toBe(true);
      expect(v.issuer).toBe('http://localhost:8080');
    } finally {
      await laptop.close();
    }
  });
});
