/** Resource builders for the credential tests: a DDCC-shaped Patient, Immunization and issuing Organization. */
import type { Bundle, Immunization, Organization, Patient } from '@medplum/fhirtypes';

export const ISSUER_ORG: Organization = { resourceType: 'Organization', id: 'moh', name: 'Ministry of Health of Testland' };

export function patient(overrides: Partial<Patient> = {}): Patient {
  return {
    resourceType: 'Patient',
    id: 'p1',
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.2.4.6.3', value: 'ID-123456' }],
    name: [{ use: 'official', family: 'Müller-Lüdenscheidt', given: ['Anna', 'Maria'] }],
    gender: 'female',
    birthDate: '1980-02-29',
    ...overrides,
  };
}

/** A COVID-19 mRNA dose recorded as DDCC does (ICD-11 vaccine and brand, alpha-3 country). */
export function covidImmunization(overrides: Partial<Immunization> = {}): Immunization {
  return {
    resourceType: 'Immunization',
    id: 'imm1',
    extension: [
      { url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCEventBrand', valueCoding: { system: 'http://id.who.int/icd11/mms', code: 'XM3DT5' } },
      { url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCCountryOfEvent', valueCode: 'CHE' },
      { url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCVaccineMarketAuthorization', valueCoding: { system: 'https://spor.ema.europa.eu/v1/organisations', code: 'ORG-100031184' } },
    ],
    status: 'completed',
    vaccineCode: { coding: [{ system: 'http://id.who.int/icd11/mms', code: 'XM0GQ8' }] },
    patient: { reference: 'Patient/p1' },
    occurrenceDateTime: '2021-05-06',
    location: { display: 'Vaccination Site Bern' },
    lotNumber: 'LOT-123',
    performer: [{ actor: { reference: 'Organization/moh' } }],
    protocolApplied: [
      {
        authority: { reference: 'Organization/moh' },
        targetDisease: [{ coding: [{ system: 'http://id.who.int/icd11/mms', code: 'RA01' }] }],
        doseNumberPositiveInt: 2,
        seriesDosesPositiveInt: 2,
      },
    ],
    ...overrides,
  };
}

/** A yellow-fever dose with its WHO prequalified product id (ICVP-covered). */
export function yellowFeverImmunization(overrides: Partial<Immunization> = {}): Immunization {
  return covidImmunization({
    id: 'imm-yf',
    extension: [
      { url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCEventBrand', valueCoding: { system: 'http://smart.who.int/pcmt-vaxprequal/CodeSystem/PreQualProductIDs', code: 'YellowFeverProductd8a09f80301dc05e124f99ffe7711fc0' } },
      { url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCCountryOfEvent', valueCode: 'KEN' },
    ],
    vaccineCode: { coding: [{ system: 'http://id.who.int/icd11/mms', code: 'XM0N24' }] },
    occurrenceDateTime: '2024-03-01',
    protocolApplied: [
      { authority: { reference: 'Organization/moh' }, targetDisease: [{ coding: [{ system: 'http://id.who.int/icd11/mms', code: '1D47' }] }], doseNumberPositiveInt: 1, seriesDosesPositiveInt: 1 },
    ],
    ...overrides,
  });
}

/** A small IPS document: Composition (60591-5) + Patient + Immunization. */
export function ipsDocument(): Bundle {
  const p = patient();
  const imm = covidImmunization();
  return {
    resourceType: 'Bundle',
    id: 'ips1',
    identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:6e1fb74a-742b-4c7b-8487-171dacb88766' },
    type: 'document',
    timestamp: '2026-06-01T00:00:00Z',
    entry: [
      {
        fullUrl: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0',
        resource: {
          resourceType: 'Composition',
          status: 'final',
          type: { coding: [{ system: 'http://loinc.org', code: '60591-5' }] },
          subject: { reference: 'urn:uuid:7685713c-e29e-4a75-8a90-45be7ba3be94' },
          date: '2026-06-01T00:00:00Z',
          author: [{ reference: 'urn:uuid:7685713c-e29e-4a75-8a90-45be7ba3be94' }],
          title: 'Patient Summary',
          section: [
            { title: 'Immunizations', code: { coding: [{ system: 'http://loinc.org', code: '11369-6' }] }, entry: [{ reference: 'urn:uuid:c0d0cae4-5ebd-4ad5-9c5e-1a0b0f6b0a10' }] },
          ],
        },
      },
      { fullUrl: 'urn:uuid:7685713c-e29e-4a75-8a90-45be7ba3be94', resource: p },
      { fullUrl: 'urn:uuid:c0d0cae4-5ebd-4ad5-9c5e-1a0b0f6b0a10', resource: { ...imm, id: undefined, patient: { reference: 'urn:uuid:7685713c-e29e-4a75-8a90-45be7ba3be94' }, performer: undefined, protocolApplied: undefined } as Immunization },
    ],
  };
}
