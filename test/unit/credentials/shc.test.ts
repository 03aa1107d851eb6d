/** SMART Health Cards: $health-cards-issue semantics, then verification with the trust list or a given JWKS. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Immunization } from '@medplum/fhirtypes';
import { decodeShc } from '../../../src/formats/shc/jws.ts';
import { issueShc, SHC_TYPE } from '../../../src/credentials/issue-shc.ts';
import { failuresOf } from '../../../src/credentials/verdict.ts';
import { verifyCredential } from '../../../src/credentials/verify.ts';
import { makeHarness, NOW, type Harness } from './harness.ts';
import { covidImmunization, patient, yellowFeverImmunization } from './fixtures.ts';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});

const withUpdated = (imm: Immunization, lastUpdated: string): Immunization => ({ ...imm, meta: { lastUpdated } });
const issue = (credentialTypes: string[], extra: Partial<Parameters<typeof issueShc>[1]> = {}) =>
  issueShc(h.ctx, {
    patient: patient(),
    immunizations: [covidImmunization()],
    credentialTypes,
    now: NOW,
    requester: 'wallet',
    ...extra,
  });

describe('SMART Health Card issuance', () => {
  test('when an Immunization card is requested, then one minified card of type health-card, immunization and covid19 is signed', async () => {
    const r = await issue(['Immunization']);
    expect(r.verifiableCredential).toHaveLength(1);
    const { header, payload } = decodeShc(r.verifiableCredential[0]!);
    expect(header).toEqual({ zip: 'DEF', alg: 'ES256', kid: h.keys.shc!.kid });
    expect(payload.iss).toBe('https://issuer.test');
    expect(payload.nbf).toBe(NOW.getTime() / 1000);
    expect(payload.vc.type).toEqual([SHC_TYPE.healthCard, SHC_TYPE.immunization, SHC_TYPE.covid19]);
    const bundle = payload.vc.credentialSubject.fhirBundle as {
      type: string;
      entry: { fullUrl: string; resource: Record<string, unknown> }[];
    };
    expect(bundle.type).toBe('collection');
    expect(bundle.entry.map((e) => e.fullUrl)).toEqual(['resource:0', 'resource:1']);
    expect(bundle.entry[0]!.resource).toEqual({
      resourceType: 'Patient',
      name: [{ family: 'Müller-Lüdenscheidt', given: ['Anna', 'Maria'] }],
      birthDate: '1980-02-29',
    });
    expect(bundle.entry[1]!.resource).toMatchObject({
      resourceType: 'Immunization',
      patient: { reference: 'resource:0' },
      lotNumber: 'LOT-123',
    });
    expect(bundle.entry[1]!.resource.id).toBeUndefined();
    expect(r.resourceLink).toEqual([
      { vcIndex: 0, bundledResource: 'resource:1', hostedResource: 'Immunization/imm1' },
    ]);
  });

  test('when the card is encoded for QR, then the shc:/ chunks decode back to the JWS', async () => {
    const r = await issue([SHC_TYPE.immunization]);
    expect(r.qr[0]![0]).toMatch(/^shc:\/\d+$/);
    const v = await verifyCredential(r.qr[0]!.join('\n'), { validationTime: NOW, trust: h.trust });
    expect(v.valid).toBe(true);
  });

  test('when a type the immunizations cannot satisfy is requested, then no card is issued', async () => {
    expect((await issue(['https://smarthealth.cards#laboratory'])).verifiableCredential).toEqual([]);
    const yf = await issueShc(h.ctx, {
      patient: patient(),
      immunizations: [yellowFeverImmunization()],
      credentialTypes: [SHC_TYPE.covid19],
      now: NOW,
      requester: 'w',
    });
    expect(yf.verifiableCredential).toEqual([]);
  });

  test('when _since is given, then only immunizations updated since then are carried', async () => {
    const old = withUpdated(covidImmunization({ id: 'old' }), '2025-01-01T00:00:00Z');
    const fresh = withUpdated(covidImmunization({ id: 'new' }), '2026-05-01T00:00:00Z');
    const r = await issueShc(h.ctx, {
      patient: patient(),
      immunizations: [old, fresh],
      credentialTypes: ['Immunization'],
      since: new Date('2026-01-01T00:00:00Z'),
      now: NOW,
      requester: 'w',
    });
    expect(r.resourceLink.map((l) => l.hostedResource)).toEqual(['Immunization/new']);
    const none = await issueShc(h.ctx, {
      patient: patient(),
      immunizations: [old],
      credentialTypes: ['Immunization'],
      since: new Date('2026-01-01T00:00:00Z'),
      now: NOW,
      requester: 'w',
    });
    expect(none.verifiableCredential).toEqual([]);
  });

  test('when includeIdentityClaim names only Patient.name, then the birth date is left out', async () => {
    const r = await issue(['Immunization'], { identityClaims: ['Patient.name'] });
    const bundle = decodeShc(r.verifiableCredential[0]!).payload.vc.credentialSubject.fhirBundle as {
      entry: { resource: Record<string, unknown> }[];
    };
    expect(bundle.entry[0]!.resource.birthDate).toBeUndefined();
  });
});

describe('SMART Health Card verification', () => {
  test('when our card is verified with the trust configuration, then every check passes and the content is the card bundle', async () => {
    const jws = (await issue(['Immunization'])).verifiableCredential[0]!;
    const v = await verifyCredential(jws, { validationTime: NOW, trust: h.trust, validate: h.validate });
    expect(v.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(v).toMatchObject({
      valid: true,
      format: 'shc',
      issuer: 'https://issuer.test',
      kid: h.keys.shc!.kid,
      issuedAt: NOW.toISOString(),
    });
    expect(v.checks.map((c) => c.name)).toEqual([
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
    expect(v.content?.entry).toHaveLength(2);
  });

  test('when the issuer is not in the trust configuration, then the signature check fails with key-unknown', async () => {
    const jws = (await issue(['Immunization'])).verifiableCredential[0]!;
    const v = await verifyCredential(jws, { validationTime: NOW, trust: h.emptyTrust });
    expect(failuresOf(v)).toEqual(['key-unknown']);
    expect(v.outcome.issue![0]!.details?.text).toBe(
      `SHC: no key is known for kid ${h.keys.shc!.kid} of https://issuer.test`,
    );
  });

  test("when the payload is swapped for another card's, then the signature check fails with signature-invalid", async () => {
    const a = (await issue(['Immunization'])).verifiableCredential[0]!.split('.');
    const b = (await issue(['Immunization'], { identityClaims: ['Patient.name'] })).verifiableCredential[0]!.split('.');
    const v = await verifyCredential(`${a[0]}.${b[1]}.${a[2]}`, { validationTime: NOW, trust: h.trust });
    expect(failuresOf(v)).toEqual(['signature-invalid']);
  });

  test('when a card with exp is checked after it, then not-expired fails with expired', async () => {
    const jws = (await issue(['Immunization'], { validitySeconds: 60 })).verifiableCredential[0]!;
    const v = await verifyCredential(jws, { validationTime: new Date(NOW.getTime() + 61_000), trust: h.trust });
    expect(failuresOf(v)).toEqual(['expired']);
  });

  test('when the SMART Health Cards spec examples are verified with their issuer JWKS, then they pass (no age limit)', async () => {
    const corpus = JSON.parse(
      readFileSync(join(process.cwd(), '..', 'shared', 'corpus', 'shc-examples.json'), 'utf8'),
    ) as { cases: { id: string; jws: string; numericQr: string[]; issuerJwks: unknown }[] };
    for (const c of corpus.cases) {
      const viaJws = await verifyCredential(c.jws, { validationTime: NOW, issuerJwks: c.issuerJwks });
      const viaQr = await verifyCredential(c.numericQr.join(' '), {
        validationTime: NOW,
        issuerJwks: JSON.stringify(c.issuerJwks),
      });
      expect([c.id, viaJws.valid, viaQr.valid]).toEqual([c.id, true, true]);
    }
  });

  test('when a shc:/ text has an odd digit count, then unprefix fails with decode-error (a misread QR)', async () => {
    const v = await verifyCredential('shc:/567629095243206', { validationTime: NOW, trust: h.trust });
    expect(failuresOf(v)).toEqual(['decode-error']);
    expect(v.checks[0]).toMatchObject({ name: 'unprefix', status: 'fail', message: 'SHC QR: odd number of digits' });
  });
});
