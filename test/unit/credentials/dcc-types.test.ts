/**
 * Every EU DCC certificate type in `$verify`'s content (issue 14): vaccination → Immunization, test → a laboratory
 * Observation (type, sample time, result, facility, device), recovery → the first positive Observation and a
 * resolved Condition; DDCC:TR → Observation. Vectors of ../shared/corpus (kind hcert) are verified end to end with
 * their own DSC; the payload schema is read by the version each payload declares (eu-dcc-schema).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Condition, Observation } from '@medplum/fhirtypes';
import { verifyCredential } from '../../../src/credentials/verify.ts';
import { euDccProblems, hcertPayloadProblems } from '../../../src/credentials/hcert-payload-schema.ts';
import { ddccTrToBundle, euDccToBundle } from '../../../src/credentials/mapping/hcert-content.ts';
import { parseClock } from '../../../src/formats/clock.ts';

interface Vector {
  id: string;
  qr: string;
  certificateDerBase64: string;
  validationClock: string;
}
const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');
const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as {
  files: { kind: string; file: string }[];
};
const vectors = manifest.files
  .filter((f) => f.kind === 'hcert')
  .flatMap((f) => (JSON.parse(readFileSync(join(CORPUS, f.file), 'utf8')) as { cases: Vector[] }).cases);

async function verifyVector(id: string) {
  const v = vectors.find((x) => x.id === id)!;
  const clock = parseClock(v.validationClock);
  if (!clock.ok) throw new Error(clock.message);
  return verifyCredential(v.qr, { validationTime: clock.date, trustedCertificates: [v.certificateDerBase64] });
}
const resources = <T>(b: Bundle | undefined, type: string): T[] =>
  (b?.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === type) as T[];

describe('EU DCC test and recovery certificates as FHIR', () => {
  test('when the AE test certificate (RAT, schema 1.3.0) is verified, then its content holds the test result as a laboratory Observation', async () => {
    const v = await verifyVector('AE:2DCode:raw:test');
    expect(v.checks.find((c) => c.name === 'payload-schema')!.status).toBe('pass');
    const [obs] = resources<Observation>(v.content, 'Observation');
    expect(obs).toMatchObject({
      status: 'final',
      category: [{ coding: [{ code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: 'LP6464-4' }] },
      effectiveDateTime: '2021-10-09T12:03:12Z',
      valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '260415000' }] },
      performer: [{ display: 'Alhosn One Day Surgery (AE)' }],
      identifier: [{ system: 'urn:UVCI', value: 'URN:UVCI:V1:AE:8KST0RH057HI8XKW3M8K2NAD06' }],
    });
    expect(obs!.subject!.reference).toBe(v.content!.entry![0]!.fullUrl);
  });

  test('when the BG recovery certificate is verified, then its content holds the first positive Observation and a resolved Condition citing it', async () => {
    const v = await verifyVector('BG:2DCode:raw:4');
    const [obs] = resources<Observation>(v.content, 'Observation');
    const [condition] = resources<Condition>(v.content, 'Condition');
    expect(obs).toMatchObject({
      effectiveDateTime: '2021-02-02',
      valueCodeableConcept: { coding: [{ code: '260373001' }] },
      code: { coding: [{ code: '840539006' }] },
    });
    expect(condition).toMatchObject({
      clinicalStatus: { coding: [{ code: 'resolved' }] },
      code: { coding: [{ system: 'http://snomed.info/sct', code: '840539006' }] },
      onsetDateTime: '2021-02-02',
      note: [
        { text: 'Certificate of recovery valid from 2021-02-16 until 2021-08-01, issued by Ministry of Health (BG)' },
      ],
    });
    const obsUrl = v.content!.entry!.find((e) => e.resource === obs)!.fullUrl;
    expect(condition!.evidence).toEqual([{ detail: [{ reference: obsUrl }] }]);
  });

  test('when a test entry names a RAT device, then the Observation carries it; the mapping is deterministic per credential text', () => {
    const dcc = {
      ver: '1.3.0',
      nam: { fnt: 'DOE' },
      dob: '1990',
      t: [
        {
          tg: '840539006',
          tt: 'LP217198-3',
          ma: '1232',
          nm: 'Rapid test',
          sc: '2021-06-01T10:00:00Z',
          tr: '260373001',
          tc: 'Centre',
          co: 'DE',
          is: 'RKI',
          ci: 'URN:UVCI:01:DE:X',
        },
      ],
    };
    const a = euDccToBundle(dcc, 'HC1:x');
    expect(resources<Observation>(a, 'Observation')[0]!.device).toEqual({
      identifier: { system: 'https://covid-19-diagnostics.jrc.ec.europa.eu/devices', value: '1232' },
      display: 'Rapid test',
    });
    expect(euDccToBundle(dcc, 'HC1:x')).toEqual(a);
  });

  test('when a DDCC:TR core data set is carried, then it is schema-checked and becomes Patient + Observation', () => {
    const tr = {
      name: 'Aulus Agerius',
      birthDate: '1905-08-23',
      test: {
        pathogen: { system: 'http://id.who.int/icd/release/11/mms', code: 'XN109' },
        type: { system: 'http://loinc.org', code: '94500-6' },
        origin: { code: 'nasopharyngeal' },
        date: '2021-06-01T10:00:00Z',
        result: { system: 'http://snomed.info/sct', code: '260415000' },
        centre: { display: 'Lab A' },
        country: { code: 'XXA' },
      },
      certificate: { hcid: { value: 'HCID-1' } },
    };
    expect(hcertPayloadProblems({ ddccTr: tr } as never)).toEqual([]);
    expect(hcertPayloadProblems({ ddccTr: { ...tr, test: { ...tr.test, type: undefined } } } as never)).toEqual([
      'ddccTr[0].test.type needs a code',
    ]);
    const b = ddccTrToBundle(tr, 'HC1:tr');
    expect(resources<Observation>(b, 'Observation')[0]).toMatchObject({
      code: { coding: [{ code: '94500-6' }] },
      method: { coding: [{ code: 'nasopharyngeal' }] },
      effectiveDateTime: '2021-06-01T10:00:00Z',
      performer: [{ display: 'Lab A' }],
      identifier: [{ value: 'HCID-1' }],
    });
    expect(resources(b, 'Patient')).toEqual([
      { resourceType: 'Patient', name: [{ use: 'official', text: 'Aulus Agerius' }], birthDate: '1905-08-23' },
    ]);
  });
});

describe('EU DCC payload schema by the version the payload declares', () => {
  const base = (ver: string, over: Record<string, unknown> = {}) => ({
    ver,
    nam: { fnt: 'DOE', gnt: 'JOHN' },
    dob: '1979-04-14',
    v: [
      {
        tg: '840539006',
        vp: 'J07BX03',
        mp: 'EU/1/20/1528',
        ma: 'ORG-100030215',
        dn: 2,
        sd: 2,
        dt: '2021-05-01',
        co: 'DE',
        is: 'RKI',
        ci: 'URN:UVCI:01:DE:X',
      },
    ],
    ...over,
  });

  // eu-dcc-schema 1.3.0: dob "ISO 8601 date format restricted to range 1900-2099 or empty", pattern ^((19|20)\d\d(-\d\d){0,2}){0,1}$
  test.each(['1979-04-14', '1950', '1901-08', '', '2099-12-31'])(
    'when a 1.3.0 payload has dob "%s", then it conforms',
    (dob) => {
      expect(euDccProblems(base('1.3.0', { dob }))).toEqual([]);
    },
  );

  test.each(['1899-12-31', '2100', '79-04-14', '1979-04-14T00:00:00', '1979/04/14'])(
    'when a 1.3.0 payload has dob "%s", then it is refused with the 1.3.0 rule',
    (dob) => {
      expect(euDccProblems(base('1.3.0', { dob }))).toEqual([
        'dob must be YYYY, YYYY-MM or YYYY-MM-DD in 1900-2099, or empty (schema 1.3.0)',
      ]);
    },
  );

  test('when a 1.0.0 payload writes dob as a date-time, then it conforms (1.0.x declared format: date, an annotation only)', () => {
    expect(euDccProblems(base('1.0.0', { dob: '1978-01-26T00:00:00' }))).toEqual([]);
    expect(euDccProblems(base('1.3.0', { dob: '1978-01-26T00:00:00' }))).toHaveLength(1);
  });

  test('when 1.3.0 text fields pass 80 characters or doses pass 9, then each is named; 1.0.0 sets no such limit', () => {
    const long = 'A'.repeat(81);
    const over = { nam: { fnt: 'DOE', fn: long }, v: [{ ...base('1.3.0').v[0], ci: long, is: long, dn: 10 }] };
    expect(euDccProblems(base('1.3.0', over))).toEqual([
      'nam.fn must be text of at most 80 characters',
      'v[0].ci must be at most 80 characters',
      'v[0].is must be at most 80 characters',
      'v[0].dn must be at most 9 (schema 1.3 dose_posint)',
    ]);
    expect(euDccProblems(base('1.0.0', over))).toEqual([]);
  });

  test('when a required field is an empty string or the schema version is not 1.x, then it is refused', () => {
    expect(euDccProblems(base('1.3.0', { v: [{ ...base('1.3.0').v[0], ci: '' }] }))).toEqual(['v[0].ci is required']);
    expect(euDccProblems(base('2.0.0'))).toEqual(['schema version 2.0.0 is not one this verifier knows (1.x)']);
  });

  test('when a 1.3.0 recovery entry gives fr as a date-time, then it is refused (iso8601 date)', () => {
    const r = {
      tg: '840539006',
      fr: '2021-02-02T00:00:00',
      co: 'DE',
      is: 'RKI',
      df: '2021-02-16',
      du: '2021-08-01',
      ci: 'URN:UVCI:01:DE:R',
    };
    expect(euDccProblems({ ver: '1.3.0', nam: { fnt: 'DOE' }, dob: '1990', r: [r] })).toEqual([
      'r[0].fr must be a date (YYYY-MM-DD)',
    ]);
    expect(euDccProblems({ ver: '1.0.0', nam: { fnt: 'DOE' }, dob: '1990', r: [r] })).toEqual([]);
  });
});
