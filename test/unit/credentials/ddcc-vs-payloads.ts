/**
 * DDCC:VS core data sets for the plan-equality tests (ADR 0073): a valid one as the server issues it, and thousands
 * of variants with slots changed to valid, edge and invalid values (wrong codes and systems, missing fields, bad and
 * future dates, wrong JSON types, extra keys, long and blank strings), drawn by a seeded generator so every run
 * checks the same set.
 */
import type { DdccVsCoreDataSet } from '../../../src/credentials/mapping/ddcc-vs.ts';

export function validDdccVs(): DdccVsCoreDataSet {
  return {
    resourceType: 'DDCCCoreDataSetVS',
    name: 'Anna Maria Müller-Lüdenscheidt',
    birthDate: '1980-02-29',
    identifier: { system: 'urn:oid:2.16.840.1.113883.2.4.6.3', value: 'ID-123456' },
    certificate: {
      issuer: { display: 'Ministry of Health of Testland', identifier: { value: 'moh' } },
      kid: 'AbCdEf12',
      hcid: { value: 'URN:UVCI:01:XX:ABCDEF123' },
      version: 'RC-2.0.0',
      period: { start: '2026-06-01T00:00:00.000Z', end: '2027-06-01T00:00:00.000Z' },
    },
    vaccination: {
      vaccine: { system: 'http://id.who.int/icd11/mms', code: 'XM0GQ8' },
      brand: { system: 'http://id.who.int/icd11/mms', code: 'XM3DT5' },
      maholder: { system: 'https://spor.ema.europa.eu/v1/organisations', code: 'ORG-100031184' },
      lot: 'PT123F',
      date: '2026-05-01',
      dose: 1,
      totalDoses: 2,
      country: { system: 'urn:iso:std:iso:3166', code: 'CHE' },
      centre: 'Vaccination Site',
      disease: { system: 'http://id.who.int/icd11/mms', code: 'RA01' },
    },
  };
}

const LONG = 'x'.repeat(5000);
const TEXTS: unknown[] = [
  'Ana',
  'Ωμέγα Σ',
  '',
  ' lead',
  'trail ',
  'a  b',
  'a\nb',
  '\t',
  'a\u0000b',
  LONG,
  7,
  null,
  {},
  ['a'],
];
const DATES: unknown[] = [
  '1905-08-23',
  '2021',
  '2021-02',
  '2021-02-30',
  '2021-13-01',
  '20210101',
  '2999-01-01',
  '0001-01-01',
  '2021-01-01T00:00:00Z',
  ' 2021-01-01',
  '',
  2021,
];
const DATETIMES: unknown[] = [
  '2021-04-20',
  '2021-04-20T10:00:00Z',
  '2021-04-20T10:00:00+02:00',
  '2021-04-20T10:00:00',
  '2021-04-20T25:00:00Z',
  '2099-12-31',
  'yesterday',
  '2021-04',
  '',
];
const INTS: unknown[] = [1, 2, 3, 9, 0, -1, 1.5, '1', 2147483648, null];
const CODINGS: unknown[] = [
  { system: 'http://id.who.int/icd11/mms', code: 'XM0GQ8' },
  { system: 'http://id.who.int/icd/release/11/mms', code: 'XM68M6' },
  { system: 'http://id.who.int/icd/release/11/mms', code: 'XM1AG7', display: 'COVID-19 vaccine, inactivated virus' },
  { system: 'http://id.who.int/icd11/mms', code: 'RA01.0' },
  { system: 'http://id.who.int/icd11/mms', code: 'NOT-A-CODE' },
  { system: 'http://snomed.info/sct', code: '1119349007' },
  { system: 'http://snomed.info/sct', code: '1119349008' },
  { system: 'http://snomed.info/sct', code: '840539006', display: 'Wrong display' },
  { system: 'http://loinc.org', code: '11369-6' },
  { system: 'http://unitsofmeasure.org', code: 'mg/zz[' },
  { system: 'http://smart.who.int/ddcc/CodeSystem/DDCCCompositionCategoryCodeSystem', code: 'nope' },
  { system: 'http://smart.who.int/ddcc/ValueSet/WHODDCCVaccinesCOVID19', code: 'XM0GQ8' },
  { system: 'https://example.org/codes', code: 'A' },
  { system: 'relative/system', code: 'A' },
  { system: 'urn:oid:1.2.3', code: 'A', display: 'A' },
  { code: 'XM0GQ8' },
  { system: 'http://id.who.int/icd11/mms' },
  { system: 'http://id.who.int/icd11/mms', code: ' XM0GQ8' },
  { system: 'http://id.who.int/icd11/mms', code: 'XM0GQ8', extra: true },
  { system: 'http://id.who.int/icd11/mms', code: 'XM0GQ8', reference: 'Organization/x' },
  { system: 7, code: 'XM0GQ8' },
  {},
  'XM0GQ8',
];
const COUNTRIES: unknown[] = ['CHE', 'USA', 'XXX', 'us', '', ' USA', 7];
const IDENTIFIERS: unknown[] = [
  undefined,
  { value: '123' },
  { system: 'https://id.example.net/patients', value: '1' },
  { system: 'not a uri', value: '1' },
  { system: 'urn:oid:1.2.3', value: '' },
  { value: '1', type: { text: 'passport' } },
  { value: '1', assigner: { reference: 'Organization/1' } },
  { value: 1 },
];
const HCIDS: unknown[] = ['URN:UVCI:01:XX:BENCHABC', 'HC 1 with spaces', '', 'x'.repeat(300)];

/** A seeded generator (mulberry32): the same sequence on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Obj = Record<string, unknown>;

/**
 * Variant `i` of the valid data set: each slot kept with probability `keep`, else set to a value of its pool or
 * removed; the holder name and HCID are always distinct, as in the bench's set.
 */
export function ddccVsVariant(random: () => number, i: number, keep = 0.8): DdccVsCoreDataSet {
  const cds = validDdccVs() as unknown as Obj;
  const v = cds.vaccination as Obj;
  const cert = cds.certificate as Obj;
  const pick = (pool: unknown[]) => pool[Math.floor(random() * pool.length)];
  const maybe = (obj: Obj, key: string, pool: unknown[], optional: boolean) => {
    if (random() < keep) return;
    const value = optional && random() < 0.2 ? undefined : pick(pool);
    if (value === undefined) delete obj[key];
    else obj[key] = structuredClone(value);
  };
  cds.name = `Holder ${i}`;
  (cert.hcid as Obj).value = `URN:UVCI:01:XX:V${i}`;
  maybe(cds, 'name', TEXTS, false);
  maybe(cds, 'birthDate', DATES, true);
  maybe(cds, 'identifier', IDENTIFIERS, true);
  maybe(cert.hcid as Obj, 'value', HCIDS, false);
  maybe(cert.issuer as Obj, 'display', TEXTS, true);
  for (const k of ['vaccine', 'brand', 'maholder', 'disease', 'manufacturer'])
    maybe(v, k, CODINGS, k !== 'vaccine' && k !== 'brand');
  maybe(v, 'lot', TEXTS, false);
  maybe(v, 'centre', TEXTS, true);
  maybe(v, 'date', DATETIMES, false);
  maybe(v, 'validFrom', DATES, true);
  maybe(v, 'dose', INTS, false);
  maybe(v, 'totalDoses', INTS, true);
  if (random() >= keep) v.country = { system: 'urn:iso:std:iso:3166', code: pick(COUNTRIES) };
  return cds as unknown as DdccVsCoreDataSet;
}
