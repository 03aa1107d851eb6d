/**
 * The DDCC document copies each record before it goes into the Bundle (references rewritten to the Bundle's
 * fullUrls). The copy is a plain loop (issue 18: it runs on every `$verify` and issuance): it keeps every own
 * property in its order, leaves the caller's record untouched and keeps a `__proto__` key as data.
 */
import type { Immunization, Organization, Patient } from '@medplum/fhirtypes';
import { buildDdccDocument } from '../../../src/credentials/mapping/ddcc-document.ts';
import { covidImmunization, ISSUER_ORG, patient } from './fixtures.ts';

function build(p: Patient, imm: Immunization, org: Organization = ISSUER_ORG) {
  let n = 0;
  return buildDdccDocument({
    patient: p,
    immunization: imm,
    organization: org,
    hcid: { system: 'urn:HCID', value: 'URN:UVCI:01:XX:COPY' },
    now: new Date('2026-01-01T00:00:00Z'),
    newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  });
}

describe('the records copied into a DDCC document', () => {
  test('when a record is copied, then its properties keep their order and the record is unchanged', () => {
    const imm = covidImmunization();
    const before = JSON.stringify(imm);
    const doc = build(patient(), imm);
    expect(JSON.stringify(imm)).toBe(before);
    const copied = doc.entry![3]!.resource as Immunization;
    const { id: _id, meta: _meta, text: _text, ...rest } = imm as Immunization & { text?: unknown };
    // Same keys in the same order, apart from meta (set last) and the references rewritten to the Bundle.
    expect(Object.keys(copied).filter((k) => k !== 'meta')).toEqual(Object.keys(rest));
    expect(copied.patient).toEqual({ reference: doc.entry![1]!.fullUrl });
    expect(copied.vaccineCode).toEqual(imm.vaccineCode);
    expect(copied.vaccineCode).not.toBe(imm.vaccineCode);
  });

  test('when a record carries a __proto__ key, then the copy holds it as data and no prototype changes', () => {
    const org = JSON.parse(
      '{"resourceType":"Organization","name":"Org","__proto__":{"polluted":true}}',
    ) as Organization;
    const copied = build(patient(), covidImmunization(), org).entry![2]!.resource as unknown as Record<string, unknown>;
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(Object.keys(copied)).toContain('__proto__');
    expect(Object.getOwnPropertyDescriptor(copied, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
