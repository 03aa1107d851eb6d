/** Resource builders for the credential tests: a DDCC-shaped Patient, Immunization and issuing Organization. */
import type { Bundle, Immunization, Organization, Patient } from '@medplum/fhirtypes';
import { ipsMinimalBundle } from '../../helpers/shared-packages.ts';

export const ISSUER_ORG: Organization = {
  resourceType: 'Organization',
  id: 'moh',
  name: 'Ministry of Health of Testland',
};

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
      {
        url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCEventBrand',
        valueCoding: { system: 'http://id.who.int/icd11/mms', code: 'XM3DT5' },
      },
      { url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCCountryOfEvent', valueCode: 'CHE' },
      {
        url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCVaccineMarketAuthorization',
        valueCoding: { system: 'https://spor.ema.europa.eu/v1/organisations', code: 'ORG-100031184' },
      },
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
      {
        url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCEventBrand',
        valueCoding: {
          system: 'http://smart.who.int/pcmt-vaxprequal/CodeSystem/PreQualProductIDs',
          code: 'YellowFeverProductd8a09f80301dc05e124f99ffe7711fc0',
        },
      },
      { url: 'http://smart.who.int/ddcc/StructureDefinition/DDCCCountryOfEvent', valueCode: 'KEN' },
    ],
    vaccineCode: { coding: [{ system: 'http://id.who.int/icd11/mms', code: 'XM0N24' }] },
    occurrenceDateTime: '2024-03-01',
    protocolApplied: [
      {
        authority: { reference: 'Organization/moh' },
        targetDisease: [{ coding: [{ system: 'http://id.who.int/icd11/mms', code: '1D47' }] }],
        doseNumberPositiveInt: 1,
        seriesDosesPositiveInt: 1,
      },
    ],
    ...overrides,
  });
}

/** The IPS document of the HL7 IPS package's examples (bundle-minimal): read from ../shared/fhir-packages, never copied. */
export const ipsDocument = (): Bundle => ipsMinimalBundle() as unknown as Bundle;
