/** HCERT: issue from Patient + Immunization, verify with the trust list, and every way verification fails. */
import type { Immunization, Organization, Patient } from '@medplum/fhirtypes';
import { sharedPackages } from '../validation/shared-packages.ts';
import { OutcomeError } from '../../../src/fhir/outcome.ts';
import { decodeHc1 } from '../../../src/formats/hcert/verify.ts';
import { encodeBase45, decodeBase45 } from '../../../src/formats/hcert/base45.ts';
import { deflate, inflate } from '../../../src/formats/deflate.ts';
import { issueHcert } from '../../../src/credentials/issue-hcert.ts';
import { listCredentials } from '../../../src/credentials/provenance.ts';
import { failuresOf, verdictToParameters } from '../../../src/credentials/verdict.ts';
import { hcertToParameters } from '../../../src/credentials/operation-parameters.ts';
import { verifyCredential } from '../../../src/credentials/verify.ts';
import { trustLookupsFromList } from '../../../src/credentials/trust-lookups.ts';
import { DDCC_PROFILE } from '../../../src/credentials/mapping/ddcc-document.ts';
import { buildDidDocument } from '../../../src/trust/publish.ts';
import { buildTrustList } from '../../../src/trust/trust-list.ts';
import { HCERT_EKU, toPem } from '../../../src/trust/x509.ts';
import { issuerKeysFromPem } from '../../../src/trust/issuer-keys.ts';
import { privateKeyToPem } from '../../../src/trust/cert-factory.ts';
import { makeCa, makeDsc } from '../trust/pki.ts';
import { makeHarness, makeKeys, NOW, YEAR, type Harness } from './harness.ts';
import { covidImmunization, patient, yellowFeverImmunization } from './fixtures.ts';

let h: Harness;
let hc1: string;
beforeAll(async () => {
  h = await makeHarness();
  hc1 = (await issue()).hc1;
});

/** SVG only: PNG encoding is slow under jest's VM modules, and one test below covers it. */
const issue = (imms: Immunization[] = [covidImmunization()], qrFormats: ('png' | 'svg')[] = ['svg']) =>
  issueHcert(h.ctx, {
    patient: patient(),
    immunizations: imms,
    now: NOW,
    validitySeconds: YEAR,
    requester: 'his-1',
    qrFormats,
  });
const statusOf = (v: { checks: { name: string; status: string }[] }, name: string) =>
  v.checks.find((c) => c.name === name)?.status;

/** Re-encodes an HC1 after changing its COSE bytes. */
function tamper(text: string, change: (cose: Uint8Array) => void): string {
  const cose = inflate(decodeBase45(text.slice(4)), 'zlib', 1 << 20);
  change(cose);
  return `HC1:${encodeBase45(deflate(cose, 'zlib'))}`;
}

describe('HCERT issuance', () => {
  test('when a COVID-19 immunization is issued, then the HCERT carries DDCC:VS and EU DCC payloads, kid, iat and exp', async () => {
    const r = await issue();
    const decoded = decodeHc1(r.hc1);
    const dscEnd = Math.floor(h.keys.dscs[0]!.certificate.notAfter.getTime() / 1000);
    expect(decoded.claims).toMatchObject({
      iss: 'XX',
      iat: NOW.getTime() / 1000,
      exp: Math.min(NOW.getTime() / 1000 + YEAR, dscEnd),
    });
    expect(Buffer.from(decoded.sign1.kid!).toString('base64')).toBe(r.kid);
    expect(decoded.payloads.euDcc).toEqual(JSON.parse(JSON.stringify(r.payload.euDcc)));
    expect((decoded.payloads.ddccVs as unknown[])[0]).toMatchObject({
      vaccination: { vaccine: { code: 'XM0GQ8' } },
      certificate: { kid: r.kid, hcid: { value: r.certificateId } },
    });
    expect(decoded.payloads.icvp).toBeUndefined();
    expect(r.certificateId).toMatch(/^URN:UVCI:01:XX:[0-9A-Z]{26}$/);
  });

  test("when the validity asked reaches past the signing DSC's end, then exp is the DSC's notAfter (else the chain fails first)", async () => {
    const dscEnd = Math.floor(h.keys.dscs[0]!.certificate.notAfter.getTime() / 1000);
    const long = await issueHcert(h.ctx, {
      patient: patient(),
      immunizations: [covidImmunization()],
      now: NOW,
      validitySeconds: 10 * YEAR,
      requester: 'x',
      qrFormats: [],
    });
    expect(long.exp).toBe(dscEnd);
    const short = await issueHcert(h.ctx, {
      patient: patient(),
      immunizations: [covidImmunization()],
      now: NOW,
      validitySeconds: 86_400,
      requester: 'x',
      qrFormats: [],
    });
    expect(short.exp).toBe(NOW.getTime() / 1000 + 86_400);
  });

  test('when issued without a QR image, then the DDCC document answered is the very one validated before signing', async () => {
    const validated: unknown[] = [];
    const validate = h.ctx.validate!;
    const ctx = {
      ...h.ctx,
      validate: (resource: unknown, profile: string) => {
        validated.push(resource);
        return validate(resource, profile);
      },
    };
    const r = await issueHcert(ctx, {
      patient: patient(),
      immunizations: [covidImmunization()],
      now: NOW,
      validitySeconds: YEAR,
      requester: 'x',
      qrFormats: [],
    });
    expect(validated).toHaveLength(1);
    expect(r.ddccDocument).toBe(validated[0]);
    expect(r.ddccDocument.entry!.map((e) => e.resource?.resourceType)).not.toContain('DocumentReference');
    const errors = (validate(r.ddccDocument, DDCC_PROFILE.vsDocument).issue ?? []).filter(
      (i) => i.severity === 'error' || i.severity === 'fatal',
    );
    expect(errors).toEqual([]);
  });

  test('when issued, then the QR comes as PNG and SVG with its version, and the DDCC document holds it', async () => {
    const r = await issue([covidImmunization()], ['png', 'svg']);
    expect(Buffer.from(r.qr.png!.subarray(1, 4)).toString('latin1')).toBe('PNG');
    expect(r.qr.svg).toContain('<svg');
    expect(r.qr.version).toBeGreaterThan(10);
    const docRef = r.ddccDocument.entry!.find((e) => e.resource?.resourceType === 'DocumentReference')!.resource as {
      content: { attachment: { data: string } }[];
    };
    expect(Buffer.from(docRef.content[1]!.attachment.data, 'base64').toString()).toBe(r.hc1);
    const out = hcertToParameters(r);
    expect(out.parameter!.map((x) => x.name)).toEqual([
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
    expect(out.parameter![5]!.valueAttachment).toEqual({
      contentType: 'image/png',
      data: Buffer.from(r.qr.png!).toString('base64'),
    });
  });

  test('when the DDCC document is validated against DDCCVSDocument with the real IG package, then it has no errors', async () => {
    const r = await issue();
    const errors = (h.validate(r.ddccDocument, DDCC_PROFILE.vsDocument).issue ?? []).filter(
      (i) => i.severity === 'error',
    );
    expect(errors).toEqual([]);
    expect(r.ddccDocument.entry!.map((e) => e.resource!.resourceType)).toEqual([
      'Composition',
      'Patient',
      'Organization',
      'Immunization',
      'DocumentReference',
    ]);
  });

  test('when no QR format is asked, then no image is rendered and the DDCC document, still valid, has no DocumentReference', async () => {
    const r = await issue([covidImmunization()], []);
    expect(r.qr).toEqual({});
    expect(r.ddccDocument.entry!.map((e) => e.resource!.resourceType)).toEqual([
      'Composition',
      'Patient',
      'Organization',
      'Immunization',
    ]);
    expect(
      (h.validate(r.ddccDocument, DDCC_PROFILE.vsDocument).issue ?? []).filter((i) => i.severity === 'error'),
    ).toEqual([]);
  });

  test('when a yellow-fever dose is issued, then the HCERT carries the ICVP payload and no EU DCC', async () => {
    const r = await issue([yellowFeverImmunization()]);
    const decoded = decodeHc1(r.hc1);
    expect(decoded.payloads.euDcc).toBeUndefined();
    expect((decoded.payloads.icvp as { v: { vp: string } }[])[0]!.v.vp).toBe(
      'YellowFeverProductd8a09f80301dc05e124f99ffe7711fc0',
    );
  });

  test('when credentials are issued, then each leaves a Provenance and they are listed for the patient', async () => {
    const r = await issue();
    const listed = await listCredentials(h.store, 'p1');
    const mine = listed.find((c) => c.provenanceId === r.provenanceId);
    expect(mine).toMatchObject({
      format: 'hcert',
      patientId: 'p1',
      sources: ['Immunization/imm1'],
      requester: 'his-1',
      kid: r.kid,
      credentialId: r.certificateId,
    });
    expect(mine!.expiresAt!.getTime()).toBe(r.exp * 1000);
  });

  test('when the signing DSC is in the trust list, then issuance carries no warning; when it is missing, then a warning says so', async () => {
    expect((await issue()).warnings).toEqual([]);
    const missing = await issueHcert(
      { ...h.ctx, trust: h.emptyTrust },
      {
        patient: patient(),
        immunizations: [covidImmunization()],
        now: NOW,
        validitySeconds: YEAR,
        requester: 'x',
        qrFormats: ['svg'],
      },
    );
    expect(missing.hc1.startsWith('HC1:')).toBe(true);
    expect(missing.warnings.map((w) => [w.severity, w.details?.coding?.[0]?.code, w.details?.text])).toEqual([
      [
        'warning',
        'ISSUER_DSC_NOT_IN_TRUST_LIST',
        `The signing DSC (kid ${missing.kid}) is not in the configured trust list: verifiers using it will reject this credential`,
      ],
    ]);
  });

  test('when a code cannot be mapped, then issuance fails with 422 MAPPING_CODE_UNMAPPED and records nothing', async () => {
    const before = (await listCredentials(h.store, 'p1')).length;
    const bad = covidImmunization({
      vaccineCode: { coding: [{ system: 'http://id.who.int/icd11/mms', code: 'XM3CT4' }] },
    });
    const err = await issue([bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeError);
    expect((err as OutcomeError).kind).toBe('unprocessable');
    expect((err as OutcomeError).outcome.issue![0]!.details?.coding?.[0]?.code).toBe('MAPPING_CODE_UNMAPPED');
    expect((await listCredentials(h.store, 'p1')).length).toBe(before);
  });

  test('when the Immunization misses what DDCCImmunization requires, then DDCC_DOCUMENT_INVALID lists the validator errors', async () => {
    const noCentre = covidImmunization({ location: undefined });
    const err = (await issue([noCentre]).catch((e: unknown) => e)) as OutcomeError;
    expect(err.outcome.issue![0]!.details?.coding?.[0]?.code).toBe('DDCC_DOCUMENT_INVALID');
    expect(err.kind).toBe('unprocessable');
    expect(
      err.outcome.issue!.slice(1).map((i) => [i.details?.coding?.[0]?.code, i.details?.text, i.expression?.[0]]),
    ).toEqual([
      ['CARDINALITY_MIN', 'Immunization.location: minimum required = 1, but only found 0', 'Bundle.entry[3].resource'],
    ]);
  });

  test('when an Immunization belongs to another patient, then MAPPING_PATIENT_MISMATCH is raised', async () => {
    const err = (await issue([covidImmunization({ patient: { reference: 'Patient/other' } })]).catch(
      (e: unknown) => e,
    )) as OutcomeError;
    expect(err.outcome.issue![0]!.details).toMatchObject({
      coding: [{ code: 'MAPPING_PATIENT_MISMATCH' }],
      text: 'Immunization imm1 belongs to Patient/other, not Patient/p1',
    });
  });
});

describe('HCERT verification', () => {
  test('when our HCERT is verified against a trust list with our DID document, then every check passes and the content is the DDCC document', async () => {
    const v = await verifyCredential(hc1, { validationTime: NOW, trust: h.trust, validate: h.validate });
    expect(v.valid).toBe(true);
    expect(v.format).toBe('hcert');
    expect(v.issuer).toBe('XX');
    expect(v.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(v.checks.map((c) => c.name)).toEqual([
      'unprefix',
      'base45',
      'decompress',
      'cbor',
      'cose',
      'signature',
      'trust-chain',
      'not-expired',
      'not-before',
      'payload-schema',
      'fhir-profile',
      'revocation',
    ]);
    const imm = v.content!.entry!.find((e) => e.resource?.resourceType === 'Immunization')!.resource as Immunization;
    expect(imm).toMatchObject({
      vaccineCode: { coding: [{ code: 'XM0GQ8' }] },
      occurrenceDateTime: '2021-05-06',
      lotNumber: 'LOT-123',
      location: { display: 'Vaccination Site Bern' },
    });
  });

  test('when one signature byte is flipped, then the signature check fails with signature-invalid', async () => {
    const bad = tamper(hc1, (cose) => void (cose[cose.length - 1] ^= 1));
    const v = await verifyCredential(bad, { validationTime: NOW, trust: h.trust });
    expect(v.valid).toBe(false);
    expect(failuresOf(v)).toEqual(['signature-invalid']);
    expect(v.outcome.issue![0]!.details?.text).toBe(
      'COSE: the signature does not verify with any of the 1 candidate keys',
    );
  });

  test('when the validation time is after exp, then not-expired fails with expired', async () => {
    const v = await verifyCredential(hc1, {
      validationTime: new Date(NOW.getTime() + (YEAR + 1) * 1000),
      trust: h.trust,
    });
    expect(failuresOf(v)).toEqual(expect.arrayContaining(['expired']));
    expect(statusOf(v, 'not-expired')).toBe('fail');
  });

  test('when the validation time is before iat, then not-before fails with not-yet-valid', async () => {
    const v = await verifyCredential(hc1, { validationTime: new Date(NOW.getTime() - 86_400_000), trust: h.trust });
    expect(failuresOf(v)).toContain('not-yet-valid');
  });

  test('when verified against another DSC given as trustedCertificate, then the signature fails with signature-invalid', async () => {
    const other = await makeKeys('YY');
    const v = await verifyCredential(hc1, {
      validationTime: NOW,
      trustedCertificates: [toPem(other.signer.certificate.der)],
    });
    expect(failuresOf(v)).toEqual(['signature-invalid']);
  });

  test('when our own DSC is given as trustedCertificate (PEM or base64 DER), then it verifies without any trust list', async () => {
    for (const cert of [toPem(h.keys.signer.certificate.der), h.keys.signer.certificate.der.toString('base64')]) {
      const v = await verifyCredential(hc1, { validationTime: NOW, trustedCertificates: [cert] });
      expect(v.valid).toBe(true);
      expect(v.checks.find((c) => c.name === 'trust-chain')?.message).toMatch(
        /^Signed by a certificate the caller trusts explicitly/,
      );
    }
  });

  test('when the kid is unknown to the trust list, then the signature check fails with key-unknown', async () => {
    const v = await verifyCredential(hc1, { validationTime: NOW, trust: h.emptyTrust });
    expect(failuresOf(v)).toEqual(['key-unknown']);
    expect(statusOf(v, 'trust-chain')).toBe('skipped');
  });

  test('when the DSC is listed without the CSCA it chains to, then trust-chain fails with untrusted-chain', async () => {
    const doc = buildDidDocument('did:web:tng.test:v2:trustlist:DCC:XX', [{ der: h.keys.signer.certificate.der }]);
    const orphan = trustLookupsFromList(buildTrustList({ documents: [doc], now: NOW }));
    const v = await verifyCredential(hc1, { validationTime: NOW, trust: orphan });
    expect(statusOf(v, 'signature')).toBe('pass');
    expect(failuresOf(v)).toEqual(['untrusted-chain']);
    expect(v.outcome.issue![0]!.details?.text).toMatch(
      /is not trusted: no CSCA in the trust list matches key identifier/,
    );
  });

  test('when the revocation source lists the certificate, then revocation fails with revoked', async () => {
    const v = await verifyCredential(hc1, {
      validationTime: NOW,
      trust: h.trust,
      isRevoked: async (q) => q.credentialId?.startsWith('URN:UVCI:') === true,
    });
    expect(failuresOf(v)).toEqual(['revoked']);
  });

  test('when the text is not a credential, a misread QR or a truncated one, then the failure codes tell them apart', async () => {
    const notCred = await verifyCredential('hello world', { validationTime: NOW });
    const misread = await verifyCredential(`HC1:${hc1.slice(4, 40)}%%%%${hc1.slice(44)}`, {
      validationTime: NOW,
      trust: h.trust,
    });
    const truncated = await verifyCredential(hc1.slice(0, 200), { validationTime: NOW, trust: h.trust });
    expect([failuresOf(notCred), failuresOf(misread), failuresOf(truncated)]).toEqual([
      ['not-a-credential'],
      ['decode-error'],
      ['decode-error'],
    ]);
    expect(notCred.outcome.issue![0]!.details?.coding?.[0]).toEqual({
      system: 'https://gdhcn-gateway.org/fhir/CodeSystem/verify-failure',
      code: 'not-a-credential',
    });
    expect(misread.checks.find((c) => c.status === 'fail')?.name).toBe('base45');
  });

  test('when a verdict is rendered, then the Parameters carry valid, format, issuer, kid, times, checks, content, payload and issues', async () => {
    const v = await verifyCredential(hc1, { validationTime: NOW, trust: h.trust, validate: h.validate });
    const p = verdictToParameters(v);
    const names = p.parameter!.map((x) => x.name);
    expect(names.slice(0, 6)).toEqual(['valid', 'format', 'issuer', 'kid', 'issuedAt', 'expiresAt']);
    expect(names.filter((n) => n === 'check')).toHaveLength(12);
    expect(names.slice(-3)).toEqual(['content', 'payload', 'issues']);
    expect(p.parameter![0]).toEqual({ name: 'valid', valueBoolean: true });
    const firstCheck = p.parameter!.find((x) => x.name === 'check')!;
    expect(firstCheck.part).toEqual([
      { name: 'name', valueCode: 'unprefix' },
      { name: 'status', valueCode: 'pass' },
    ]);
    expect(JSON.parse(p.parameter!.find((x) => x.name === 'payload')!.valueString!).euDcc.ver).toBe('1.3.0');
  });
});

describe('HCERT from the DDCC package examples', () => {
  test("when the IG's English Patient (given a structured name) and Immunization are issued and verified, then the round trip keeps the vaccination", async () => {
    const pkg = (await sharedPackages()).packages.find((p) => p.id === 'who.ddcc')!;
    const example = <T>(file: string): T => structuredClone(pkg.examples.find((e) => e.file === file)!.resource) as T;
    const p = example<Patient>('Patient-DDCCPatientEnglish.json');
    // The example holds only HumanName.text; we never split it, so the structured parts are stated here.
    p.name = [{ ...p.name![0]!, family: 'Agerius', given: ['Aulus'] }];
    const imm = example<Immunization>('Immunization-DDCCImmunizationEnglish.json');
    const r = await issueHcert(
      { ...h.ctx, organization: example<Organization>('Organization-DDCCOrganizationEnglish.json') },
      { patient: p, immunizations: [imm], now: NOW, validitySeconds: YEAR, requester: 'x', qrFormats: [] },
    );
    expect(r.payload.euDcc!.v[0]).toMatchObject({
      tg: '840539006',
      vp: '1119349007',
      mp: 'EU/1/20/1507',
      ma: 'TEST',
      dn: 1,
      sd: 2,
      dt: '2021-05-06',
      co: 'CH',
      is: 'Government Hospital',
    });
    expect(r.payload.euDcc!.nam).toEqual({ fn: 'Agerius', fnt: 'AGERIUS', gn: 'Aulus', gnt: 'AULUS' });
    const v = await verifyCredential(r.hc1, { validationTime: NOW, trust: h.trust, validate: h.validate });
    expect(v.valid).toBe(true);
    const back = v.content!.entry!.find((e) => e.resource?.resourceType === 'Immunization')!.resource as Immunization;
    expect(back).toMatchObject({
      vaccineCode: imm.vaccineCode,
      occurrenceDateTime: imm.occurrenceDateTime,
      lotNumber: imm.lotNumber,
      location: imm.location,
      protocolApplied: [
        { targetDisease: imm.protocolApplied![0]!.targetDisease, doseNumberPositiveInt: 1, seriesDosesPositiveInt: 2 },
      ],
    });
  });
});

describe('HCERT from a name held only as HumanName.text', () => {
  test("when the IG's English Patient is issued as it is, then DDCC:VS carries the text, the EU DCC payload is left out and a warning says why", async () => {
    const pkg = (await sharedPackages()).packages.find((p) => p.id === 'who.ddcc')!;
    const example = <T>(file: string): T => structuredClone(pkg.examples.find((e) => e.file === file)!.resource) as T;
    const p = example<Patient>('Patient-DDCCPatientEnglish.json');
    const r = await issueHcert(h.ctx, {
      patient: p,
      immunizations: [example<Immunization>('Immunization-DDCCImmunizationEnglish.json')],
      now: NOW,
      validitySeconds: YEAR,
      requester: 'x',
      qrFormats: [],
    });
    expect(r.payload.ddccVs.name).toBe(p.name![0]!.text);
    expect(r.payload.euDcc).toBeUndefined();
    expect(r.warnings[0]).toMatchObject({
      severity: 'warning',
      code: 'incomplete',
      details: { coding: [{ code: 'HCERT_EU_DCC_OMITTED_NAME_UNSTRUCTURED' }] },
      expression: ['Patient.name'],
    });
    // A structured name alongside the text brings the EU DCC payload back and the warning goes.
    p.name = [{ ...p.name![0]!, family: 'Agerius', given: ['Aulus'] }];
    const again = await issueHcert(h.ctx, {
      patient: p,
      immunizations: [example<Immunization>('Immunization-DDCCImmunizationEnglish.json')],
      now: NOW,
      validitySeconds: YEAR,
      requester: 'x',
      qrFormats: [],
    });
    expect(again.payload.euDcc!.nam.fn).toBe('Agerius');
    expect(again.warnings.map((w) => w.details?.coding?.[0]?.code)).not.toContain(
      'HCERT_EU_DCC_OMITTED_NAME_UNSTRUCTURED',
    );
  });
});

describe('HCERT trust: extended key usage', () => {
  test('when a DSC restricted to test certificates signs a vaccination HCERT, then trust-chain fails with untrusted-chain', async () => {
    const ca = await makeCa('XT');
    const dsc = await makeDsc(ca, { extKeyUsage: [HCERT_EKU.test] });
    const keys = await issuerKeysFromPem({
      cscaCertPem: toPem(ca.der),
      dscs: [{ certPem: toPem(dsc.der), keyPem: await privateKeyToPem(dsc.keys.privateKey) }],
      now: NOW,
    });
    const testOnly = await makeHarness({ keys });
    const r = await issueHcert(testOnly.ctx, {
      patient: patient(),
      immunizations: [covidImmunization()],
      now: NOW,
      validitySeconds: YEAR,
      requester: 'x',
      qrFormats: ['svg'],
    });
    const v = await verifyCredential(r.hc1, { validationTime: NOW, trust: testOnly.trust });
    expect(failuresOf(v)).toEqual(['untrusted-chain']);
    expect(v.checks.find((c) => c.name === 'trust-chain')?.message).toBe(
      `DSC ${r.kid} may sign test certificates, not vaccination (extended key usage)`,
    );
  });
});
