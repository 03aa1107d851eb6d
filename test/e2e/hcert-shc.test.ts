/**
 * End to end (issue 7, "Must show"): records pushed through the REST API and validated on write (VALIDATION_MODE
 * strict, the WHO packages of ../shared/fhir-packages) → `$issue-hcert` / `$health-cards-issue` → `$verify` (as text,
 * as a QR picture) → the verdict and the decoded content; each issuance leaves a Provenance and shows in
 * `$credentials`. The ways verification and issuance fail are in hcert-shc-failures.test.ts.
 *
 * On a good HCERT or SMART Health Card every check passes, `revocation` included: this issuer's own list
 * (`$revoke-credential`, by certificate id or SHC `rid`) answers for what it issued.
 * `cbor`/`cose` are HCERT steps and `jws` an SHC step, so each format reports only its own.
 */
import { PNG } from 'pngjs';
import type { Bundle, BundleEntry, Immunization, Parameters, Patient, Provenance } from '@medplum/fhirtypes';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { buildJwks } from '../../src/trust/publish.ts';
import { decodeShc } from '../../src/formats/shc/jws.ts';
import { toPem } from '../../src/trust/x509.ts';
import type { IssuerKeySet } from '../../src/trust/issuer-keys.ts';
import {
  client,
  DDCC,
  issueFailures,
  messageIds,
  notPassing,
  param,
  params,
  type Client,
  type Verdict,
} from './credential-client.ts';

const DAY = 86_400_000;
const IMMUNIZATION_CARD = 'https://smarthealth.cards#immunization';

const clock = { at: NOW };
let t: TestApp;
let c: Client;
let keys: IssuerKeySet;

beforeAll(async () => {
  keys = await makeKeys();
  t = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => clock.at, issuerKeys: keys },
  );
  c = client(t);
});
afterAll(() => t.close());

const entries = (b: Bundle | undefined, type: string) =>
  (b?.entry ?? []).filter((e: BundleEntry) => e.resource?.resourceType === type);
const only = <T>(b: Bundle | undefined, type: string): T => {
  const found = entries(b, type);
  expect(found).toHaveLength(1);
  return found[0]!.resource as T;
};

async function issueHcert(path: string, parameter: Parameters['parameter'] = []): Promise<Parameters> {
  const res = await c.post(`${path}/$issue-hcert`, c.parameters(parameter ?? []));
  expect(res.status).toBe(200);
  return res.body as Parameters;
}

describe('HCERT: push an Immunization, issue, verify', () => {
  const pushed = covidImmunization();
  let issued: Parameters;
  let hc1: string;
  let verdict: Verdict;

  beforeAll(async () => {
    await c.push(patient(), pushed);
    issued = await issueHcert('Immunization/imm1');
    hc1 = param(issued, 'hc1')!.valueString!;
    verdict = await c.verify(hc1);
  });

  test('when a record breaks the base structure, then the strict server refuses it and stores nothing', async () => {
    const res = await c.put('Immunization/broken', covidImmunization({ id: 'broken', status: undefined as never }));
    expect(res.status).toBe(400);
    expect(messageIds(res.body)).toEqual(['STRUCTURE_INVALID']);
    expect((await c.get('Immunization/broken')).status).toBe(404);
  });

  test('when the pushed Immunization is issued, then the answer holds hc1, kid, ids, times, both QR images and the DDCC document', () => {
    expect(issued.parameter!.map((p) => p.name)).toEqual([
      'hc1',
      'kid',
      'certificateId',
      'issuedAt',
      'expiresAt',
      'qrPng',
      'qrSvg',
      'qrVersion',
      'ddccDocument',
    ]);
    expect(hc1).toMatch(/^HC1:[0-9A-Z $%*+\-./:]+$/);
    expect(param(issued, 'kid')!.valueString).toBe(keys.signer.kid);
    expect(param(issued, 'certificateId')!.valueString).toMatch(/^URN:UVCI:01:XX:[0-9A-Z]{26}$/);
    expect(param(issued, 'issuedAt')!.valueInstant).toBe(NOW.toISOString());
    // HCERT_VALIDITY (365 days), cut to the signing DSC's own end when that comes first.
    const dscEnd = keys.signer.certificate.notAfter.getTime() - (keys.signer.certificate.notAfter.getTime() % 1000);
    expect(param(issued, 'expiresAt')!.valueInstant).toBe(
      new Date(Math.min(NOW.getTime() + 365 * DAY, dscEnd)).toISOString(),
    );
    expect(param(issued, 'qrPng')!.valueAttachment!.contentType).toBe('image/png');
    expect(Buffer.from(param(issued, 'qrSvg')!.valueAttachment!.data!, 'base64').toString()).toContain('<svg');
  });

  test("when the hc1 is verified, then it is valid and every check passes, revocation against this issuer's own list included", () => {
    expect(verdict.valid).toBe(true);
    expect(verdict.checks.map((k) => [k.name, k.status])).toEqual([
      ['unprefix', 'pass'],
      ['base45', 'pass'],
      ['decompress', 'pass'],
      ['cbor', 'pass'],
      ['cose', 'pass'],
      ['signature', 'pass'],
      ['trust-chain', 'pass'],
      ['not-expired', 'pass'],
      ['not-before', 'pass'],
      ['payload-schema', 'pass'],
      ['fhir-profile', 'pass'],
      ['revocation', 'pass'],
    ]);
    expect(verdict.checks.find((k) => k.name === 'revocation')!.message).toBe(
      'Not on the revocation list of issuer XX',
    );
    expect(verdict).toMatchObject({
      format: 'hcert',
      issuer: 'XX',
      kid: keys.signer.kid,
      issuedAt: NOW.toISOString(),
      expiresAt: param(issued, 'expiresAt')!.valueInstant,
    });
    expect(verdict.issues.map((i) => [i.severity, i.details?.text])).toEqual([['information', 'All checks passed']]);
  });

  test('when the hc1 is verified, then its content is a DDCC document holding the pushed immunization and patient as mapped', () => {
    const doc = verdict.content!;
    expect(doc).toMatchObject({
      resourceType: 'Bundle',
      type: 'document',
      meta: { profile: [`${DDCC}DDCCVSDocument`] },
      identifier: { value: param(issued, 'certificateId')!.valueString },
    });
    const imm = only<Immunization>(doc, 'Immunization');
    const pat = only<Patient>(doc, 'Patient');
    expect(imm).toMatchObject({
      status: 'completed',
      vaccineCode: pushed.vaccineCode,
      occurrenceDateTime: pushed.occurrenceDateTime,
      lotNumber: pushed.lotNumber,
      extension: pushed.extension,
      protocolApplied: [
        expect.objectContaining({
          targetDisease: pushed.protocolApplied![0]!.targetDisease,
          doseNumberPositiveInt: 2,
          seriesDosesPositiveInt: 2,
        }),
      ],
    });
    // DDCC:VS holds the name as one string: it is carried as text, never split into given/family.
    expect(pat).toMatchObject({
      name: [{ use: 'official', text: 'Anna Maria Müller-Lüdenscheidt' }],
      birthDate: '1980-02-29',
      identifier: patient().identifier,
    });
    expect(pat.name![0]).not.toHaveProperty('family');
    expect(imm.patient!.reference).toBe(entries(doc, 'Patient')[0]!.fullUrl);
  });

  test('when the hc1 is verified, then the payload holds the EU DCC vaccination with the structured names as FHIR has them', () => {
    const euDcc = verdict.payload!.euDcc as { nam: Record<string, string>; dob: string; v: Record<string, unknown>[] };
    expect(euDcc.nam).toMatchObject({ fn: 'Müller-Lüdenscheidt', gn: 'Anna Maria' });
    expect(euDcc.dob).toBe('1980-02-29');
    expect(euDcc.v).toEqual([
      expect.objectContaining({
        dn: 2,
        sd: 2,
        dt: '2021-05-06',
        co: 'CH',
        ci: param(issued, 'certificateId')!.valueString,
      }),
    ]);
  });

  test.each(['DDCCVSDocument', 'DDCCDocument'])(
    'when the issued ddccDocument is checked with Bundle/$validate against %s, then it has no error',
    async (profile) => {
      const doc = param(issued, 'ddccDocument')!.resource as Bundle;
      expect(entries(doc, 'DocumentReference')).toHaveLength(1);
      const res = await c.post(`Bundle/$validate?profile=${encodeURIComponent(DDCC + profile)}`, doc);
      expect(res.status).toBe(200);
      expect(
        (res.body.issue as { severity: string }[]).filter((i) => i.severity === 'error' || i.severity === 'fatal'),
      ).toEqual([]);
      // The same check has teeth: without its Immunization the document breaks the profile.
      const broken = { ...doc, entry: doc.entry!.filter((e) => e.resource?.resourceType !== 'Immunization') };
      const refused = await c.post(`Bundle/$validate?profile=${encodeURIComponent(DDCC + profile)}`, broken);
      expect(
        (refused.body.issue as { severity: string }[]).filter((i) => i.severity === 'error').length,
      ).toBeGreaterThan(0);
    },
  );

  test('when the hc1 is verified with its own DSC given as trustedCertificate, then it is valid on explicit trust', async () => {
    const v = await c.verify(hc1, [{ name: 'trustedCertificate', valueString: toPem(keys.signer.certificate.der) }]);
    expect(v.valid).toBe(true);
    expect(v.checks.find((k) => k.name === 'trust-chain')!.message).toMatch(
      /^Signed by a certificate the caller trusts explicitly/,
    );
  });

  describe('as a QR picture', () => {
    const png = () => Buffer.from(param(issued, 'qrPng')!.valueAttachment!.data!, 'base64');

    test('when the issued PNG is posted as the raw image/png body, then the verdict equals the one for the text', async () => {
      expect(await c.verifyImage(png(), 'image/png')).toEqual(verdict);
    });

    test('when the issued PNG is posted as the qrImage attachment, then the verdict equals the one for the text', async () => {
      expect(
        await c.verify(undefined, [{ name: 'qrImage', valueAttachment: param(issued, 'qrPng')!.valueAttachment! }]),
      ).toEqual(verdict);
    });

    test('when a PNG without a QR code is posted, then invalid with decode-error, told apart from not-a-credential text', async () => {
      const blank = new PNG({ width: 64, height: 64 });
      blank.data.fill(255);
      const fromPicture = await c.verifyImage(PNG.sync.write(blank), 'image/png');
      expect(fromPicture.valid).toBe(false);
      expect(notPassing(fromPicture)).toEqual([['unprefix', 'fail', 'decode-error']]);
      expect(issueFailures(fromPicture)).toEqual(['decode-error']);
      const fromText = await c.verify('hello');
      expect(notPassing(fromText)).toEqual([['unprefix', 'fail', 'not-a-credential']]);
      expect(issueFailures(fromText)).toEqual(['not-a-credential']);
    });
  });
});

describe('HCERT for a patient', () => {
  test('when a patient has several doses, then Patient/$issue-hcert certifies the latest completed one', async () => {
    const p = patient({ id: 'p-doses' });
    const dose = (id: string, date: string, n: number, status: Immunization['status'] = 'completed') =>
      covidImmunization({
        id,
        status,
        occurrenceDateTime: date,
        lotNumber: `LOT-${id}`,
        patient: { reference: 'Patient/p-doses' },
        protocolApplied: [
          { ...covidImmunization().protocolApplied![0]!, doseNumberPositiveInt: n, seriesDosesPositiveInt: 3 },
        ],
      });
    // Stored out of date order, and a later dose that was not given.
    await c.push(
      p,
      dose('d2', '2021-05-06', 2),
      dose('d1', '2021-03-01', 1),
      dose('d4', '2022-01-10', 3, 'not-done'),
      dose('d3', '2021-11-20', 3),
      dose('d0', '2020-12-30', 1),
    );
    const issued = await issueHcert('Patient/p-doses', [{ name: 'qrFormat', valueCode: 'none' }]);
    const v = await c.verify(param(issued, 'hc1')!.valueString!);
    expect(v.valid).toBe(true);
    expect(only<Immunization>(v.content, 'Immunization')).toMatchObject({
      occurrenceDateTime: '2021-11-20',
      lotNumber: 'LOT-d3',
      protocolApplied: [expect.objectContaining({ doseNumberPositiveInt: 3 })],
    });
    expect((v.payload!.euDcc as { v: { dn: number; sd: number; dt: string }[] }).v).toEqual([
      expect.objectContaining({ dn: 3, sd: 3, dt: '2021-11-20' }),
    ]);
  });
});

describe('HCERT revocation ($revoke-credential)', () => {
  test('when an issued HCERT is revoked, then $verify fails it with revoked, and revoking again changes nothing', async () => {
    await c.push(
      patient({ id: 'p-revoked' }),
      covidImmunization({ id: 'imm-revoked', patient: { reference: 'Patient/p-revoked' } }),
    );
    const issued = await issueHcert('Immunization/imm-revoked', [{ name: 'qrFormat', valueCode: 'none' }]);
    const hc1 = param(issued, 'hc1')!.valueString!;
    const certificateId = param(issued, 'certificateId')!.valueString!;
    expect((await c.verify(hc1)).valid).toBe(true);

    const first = await c.post(
      '$revoke-credential',
      c.parameters([
        { name: 'credentialId', valueString: certificateId },
        { name: 'reason', valueString: 'issued in error' },
      ]),
    );
    expect(first.status).toBe(200);
    expect(param(first.body, 'alreadyRevoked')!.valueBoolean).toBe(false);
    const entry = param(first.body, 'entry')!.valueReference!.reference!;
    expect((await c.get(entry)).body).toMatchObject({
      resourceType: 'Basic',
      identifier: [{ value: certificateId }],
      code: { text: 'issued in error' },
    });

    const v = await c.verify(hc1);
    expect(v.valid).toBe(false);
    expect(notPassing(v)).toEqual([['revocation', 'fail', 'revoked']]);
    expect(v.issues[0]!.details!.coding![0]).toEqual({
      system: 'https://gdhcn-gateway.org/fhir/CodeSystem/verify-failure',
      code: 'revoked',
    });

    const again = await c.post(
      '$revoke-credential',
      c.parameters([{ name: 'credentialId', valueString: certificateId }]),
    );
    expect(param(again.body, 'alreadyRevoked')!.valueBoolean).toBe(true);
    expect(param(again.body, 'entry')!.valueReference!.reference).toBe(entry);
  });

  test('when $revoke-credential has no credentialId, then 400 naming it, and nothing is revoked', async () => {
    const res = await c.post('$revoke-credential', c.parameters([]));
    expect(res.status).toBe(400);
    expect(messageIds(res.body)).toEqual(['OPERATION_PARAM_MISSING']);
    expect((await c.get('Basic?_summary=count')).body.total).toBe(1);
  });

  test('when the id was never issued by this server, then 404 naming it, and nothing is revoked', async () => {
    const res = await c.post(
      '$revoke-credential',
      c.parameters([{ name: 'credentialId', valueString: 'URN:UVCI:01:XX:NOT-OURS' }]),
    );
    expect(res.status).toBe(404);
    expect(messageIds(res.body)).toEqual(['CREDENTIAL_NOT_ISSUED_HERE']);
    expect(res.body.issue[0].expression).toEqual(['credentialId']);
    expect((await c.get('Basic?_summary=count')).body.total).toBe(1);
  });
});

describe('Provenance of each issuance', () => {
  test('when a patient gets three credentials, then three Provenance records exist and $credentials lists them newest first', async () => {
    await c.push(
      patient({ id: 'p-prov' }),
      covidImmunization({ id: 'imm-prov', patient: { reference: 'Patient/p-prov' } }),
    );
    const provenance = async () => (await c.get('Provenance?target=Patient/p-prov')).body as Bundle<Provenance>;
    expect((await provenance()).entry ?? []).toHaveLength(0);

    clock.at = new Date(NOW.getTime() + 60_000);
    const first = await issueHcert('Immunization/imm-prov', [{ name: 'qrFormat', valueCode: 'none' }]);
    expect((await provenance()).entry).toHaveLength(1);
    clock.at = new Date(NOW.getTime() + 120_000);
    const card = await c.post(
      'Patient/p-prov/$health-cards-issue',
      c.parameters([{ name: 'credentialType', valueUri: IMMUNIZATION_CARD }]),
    );
    expect(card.status).toBe(200);
    expect((await provenance()).entry).toHaveLength(2);
    clock.at = new Date(NOW.getTime() + 180_000);
    const second = await issueHcert('Patient/p-prov', [{ name: 'qrFormat', valueCode: 'none' }]);
    clock.at = NOW;

    const records = (await provenance()).entry!.map((e) => e.resource!);
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(r.target).toEqual([{ reference: 'Patient/p-prov' }, { reference: 'Immunization/imm-prov' }]);
      expect(r.entity).toEqual([{ role: 'source', what: { reference: 'Immunization/imm-prov' } }]);
      expect(r.agent[0]!.who.display).toMatch(/^anonymous client/);
    }
    expect(records.map((r) => r.activity!.coding![0]!.code).sort()).toEqual(['hcert', 'hcert', 'shc']);

    const listed = await c.get('Patient/p-prov/$credentials');
    expect(listed.status).toBe(200);
    const rows = params(listed.body as Parameters, 'credential').map((x) =>
      Object.fromEntries(
        x
          .part!.filter((p) => ['format', 'kid', 'credentialId', 'issuedAt'].includes(p.name))
          .map((p) => [p.name, p.valueCode ?? p.valueString ?? p.valueInstant]),
      ),
    );
    const jws = param(card.body as Parameters, 'verifiableCredential')!.valueString!;
    expect(rows).toEqual([
      {
        format: 'hcert',
        kid: keys.signer.kid,
        credentialId: param(second, 'certificateId')!.valueString,
        issuedAt: new Date(NOW.getTime() + 180_000).toISOString(),
      },
      {
        format: 'shc',
        kid: keys.shc!.kid,
        credentialId: decodeShc(jws).payload.vc.rid,
        issuedAt: new Date(NOW.getTime() + 120_000).toISOString(),
      },
      {
        format: 'hcert',
        kid: keys.signer.kid,
        credentialId: param(first, 'certificateId')!.valueString,
        issuedAt: new Date(NOW.getTime() + 60_000).toISOString(),
      },
    ]);
  });
});

describe('SMART Health Card: push, $health-cards-issue, verify', () => {
  let card: Parameters;
  let jws: string;

  beforeAll(async () => {
    await c.push(
      patient({ id: 'p-shc' }),
      covidImmunization({ id: 'imm-shc', patient: { reference: 'Patient/p-shc' } }),
    );
    const res = await c.post(
      'Patient/p-shc/$health-cards-issue',
      c.parameters([{ name: 'credentialType', valueUri: IMMUNIZATION_CARD }]),
    );
    expect(res.status).toBe(200);
    card = res.body as Parameters;
    jws = param(card, 'verifiableCredential')!.valueString!;
  });

  test('when an immunization card is asked, then one JWS, its resource link and its shc:/ QR text come back, without warnings', () => {
    expect(card.parameter!.map((p) => p.name)).toEqual(['verifiableCredential', 'resourceLink', 'qrNumeric']);
    expect(jws).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(param(card, 'qrNumeric')!.valueString).toMatch(/^shc:\/\d+$/);
    expect(param(card, 'resourceLink')!.part).toEqual([
      { name: 'vcIndex', valueInteger: 0 },
      { name: 'bundledResource', valueUri: 'resource:1' },
      { name: 'hostedResource', valueUri: 'Immunization/imm-shc' },
    ]);
  });

  test.each([
    ['the JWS', () => jws],
    [
      'the shc:/ QR text',
      () =>
        params(card, 'qrNumeric')
          .map((p) => p.valueString)
          .join('\n'),
    ],
  ])(
    'when %s is verified, then it is valid, format shc, and its bundle holds the pushed immunization',
    async (_label, text) => {
      const v = await c.verify(text());
      expect(v.valid).toBe(true);
      expect(notPassing(v)).toEqual([]);
      expect(v.checks.map((k) => k.name)).toEqual([
        'unprefix',
        'jws',
        'decompress',
        'payload-schema',
        'signature',
        'trust-chain',
        'not-expired',
        'not-before',
        'fhir-profile',
        'revocation',
      ]);
      expect(v).toMatchObject({ format: 'shc', issuer: ISSUER_URL, kid: keys.shc!.kid, issuedAt: NOW.toISOString() });
      expect(v.content!.type).toBe('collection');
      expect(only<Patient>(v.content, 'Patient')).toEqual({
        resourceType: 'Patient',
        name: [{ family: 'Müller-Lüdenscheidt', given: ['Anna', 'Maria'] }],
        birthDate: '1980-02-29',
      });
      expect(only<Immunization>(v.content, 'Immunization')).toMatchObject({
        status: 'completed',
        vaccineCode: { coding: [{ system: 'http://id.who.int/icd11/mms', code: 'XM0GQ8' }] },
        occurrenceDateTime: '2021-05-06',
        lotNumber: 'LOT-123',
        patient: { reference: 'resource:0' },
      });
    },
  );

  test('when the JWS is verified against another issuer JWKS, then invalid: no key of that JWKS verifies the signature', async () => {
    const other = await makeKeys('YY');
    const v = await c.verify(jws, [{ name: 'issuerJwks', valueString: JSON.stringify(buildJwks(other)) }]);
    expect(v.valid).toBe(false);
    expect(notPassing(v)).toEqual([
      ['signature', 'fail', 'key-unknown'],
      ['trust-chain', 'skipped', undefined],
    ]);
    expect(issueFailures(v)).toEqual(['key-unknown']);
  });

  test("when the card's rid is revoked, then $verify fails it with revoked", async () => {
    const listed = await c.get('Patient/p-shc/$credentials');
    const shc = (listed.body as Parameters).parameter!.find((p) =>
      p.part!.some((x) => x.name === 'format' && x.valueCode === 'shc'),
    )!;
    const rid = shc.part!.find((x) => x.name === 'credentialId')!.valueString!;
    expect(rid).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(
      (await c.post('$revoke-credential', c.parameters([{ name: 'credentialId', valueString: rid }]))).status,
    ).toBe(200);
    const v = await c.verify(jws);
    expect(notPassing(v)).toEqual([['revocation', 'fail', 'revoked']]);
  });

  test('when _since is after every record, then no card is issued and an information issue says so', async () => {
    const res = await c.post(
      'Patient/p-shc/$health-cards-issue',
      c.parameters([
        { name: 'credentialType', valueUri: IMMUNIZATION_CARD },
        { name: '_since', valueDateTime: '2030-01-01T00:00:00Z' },
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body.parameter.map((p: { name: string }) => p.name)).toEqual(['warnings']);
    const warnings = param(res.body as Parameters, 'warnings')!.resource as { issue: { severity: string }[] };
    expect(warnings.issue.map((i) => i.severity)).toEqual(['information']);
    expect(messageIds(warnings as never)).toEqual(['SHC_NOTHING_TO_ISSUE']);
  });
});
