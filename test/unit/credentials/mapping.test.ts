/** Mapping Patient + Immunization to DDCC:VS, EU DCC and ICVP through the ConceptMaps of the loaded packages. */
import type { Patient } from '@medplum/fhirtypes';
import { OutcomeError } from '../../../src/fhir/outcome.ts';
import { toDdccVs } from '../../../src/credentials/mapping/ddcc-vs.ts';
import { isCovid19Vaccination, toEuDcc } from '../../../src/credentials/mapping/eu-dcc.ts';
import { isIcvpCovered, toIcvp } from '../../../src/credentials/mapping/icvp.ts';
import { EN_REPRESENTATION_URL, icaoTransliterate, personName } from '../../../src/credentials/mapping/names.ts';
import { countryAlpha2, countryAlpha3 } from '../../../src/credentials/mapping/iso3166.ts';
import { credentialTerminology, type CredentialTerminology } from '../../../src/credentials/mapping/terminology.ts';
import { vaccinationFacts } from '../../../src/credentials/mapping/vaccination.ts';
import { sharedPackages } from '../validation/shared-packages.ts';
import { covidImmunization, patient, yellowFeverImmunization } from './fixtures.ts';

let terminology: CredentialTerminology;
beforeAll(async () => {
  terminology = credentialTerminology(await sharedPackages());
});

const ctx = () => ({ terminology, issuerName: 'Ministry of Health of Testland', certificateId: 'URN:UVCI:01:XX:TEST' });

/** Runs `fn`, expecting a 422 OutcomeError; returns its first issue. */
function rejection(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OutcomeError);
    const err = e as OutcomeError;
    expect(err.kind).toBe('unprocessable');
    const first = err.outcome.issue![0]!;
    return { id: first.details?.coding?.[0]?.code, text: first.details?.text, expression: first.expression?.[0] };
  }
  throw new Error('expected a rejection');
}

describe('EU DCC mapping', () => {
  test('when a DDCC COVID-19 immunization (ICD-11 codes) is mapped, then tg, vp and mp come from the DDCC ConceptMaps', () => {
    const dcc = toEuDcc(patient(), [vaccinationFacts(covidImmunization())], ctx());
    expect(dcc).toEqual({
      ver: '1.3.0',
      nam: { fn: 'Müller-Lüdenscheidt', fnt: 'MUELLER<LUEDENSCHEIDT', gn: 'Anna Maria', gnt: 'ANNA<MARIA' },
      dob: '1980-02-29',
      v: [
        {
          tg: '840539006',
          vp: '1119349007',
          mp: 'EU/1/20/1507',
          ma: 'ORG-100031184',
          dn: 2,
          sd: 2,
          dt: '2021-05-06',
          co: 'CH',
          is: 'Ministry of Health of Testland',
          ci: 'URN:UVCI:01:XX:TEST',
        },
      ],
    });
  });

  test('when the vaccine is a CVX code, then it goes CVX → ICD-11 → SNOMED CT through two ConceptMaps', () => {
    const imm = covidImmunization({
      vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '208' }] },
    });
    expect(toEuDcc(patient(), [vaccinationFacts(imm)], ctx()).v[0]!.vp).toBe('1119349007');
  });

  test('when the vaccine code has no mapping, then MAPPING_CODE_UNMAPPED names the vaccineCode element', () => {
    const imm = covidImmunization({
      vaccineCode: { coding: [{ system: 'http://id.who.int/icd11/mms', code: 'XM3CT4' }] },
    });
    expect(rejection(() => toEuDcc(patient(), [vaccinationFacts(imm)], ctx()))).toEqual({
      id: 'MAPPING_CODE_UNMAPPED',
      text: 'Vaccine (v.vp): http://id.who.int/icd11/mms|XM3CT4 has no mapping to the EU DCC value set in the loaded ConceptMaps',
      expression: 'Immunization.vaccineCode.coding[0]',
    });
  });

  test('when the ICD-11 brand maps back to several EU products, then it is refused rather than guessed', () => {
    const imm = covidImmunization();
    imm.extension![0]!.valueCoding = { system: 'http://id.who.int/icd11/mms', code: 'XM4YL8' }; // EU/1/21/1529, R-COVI and AZD2816
    expect(rejection(() => toEuDcc(patient(), [vaccinationFacts(imm)], ctx()))).toMatchObject({
      id: 'MAPPING_CODE_UNMAPPED',
      expression: "Immunization.extension('http://smart.who.int/ddcc/StructureDefinition/DDCCEventBrand').value",
    });
  });

  test('when the country of event is not an ISO 3166 code, then MAPPING_CODE_UNMAPPED names the extension', () => {
    const imm = covidImmunization();
    imm.extension![1]!.valueCode = 'XYZ';
    expect(rejection(() => toEuDcc(patient(), [vaccinationFacts(imm)], ctx()))).toEqual({
      id: 'MAPPING_CODE_UNMAPPED',
      text: 'Country of vaccination (v.co): "XYZ" is not an ISO 3166-1 country code',
      expression: "Immunization.extension('http://smart.who.int/ddcc/StructureDefinition/DDCCCountryOfEvent').value",
    });
  });

  test('when the series total is missing, then MAPPING_VALUE_MISSING asks for seriesDoses', () => {
    const imm = covidImmunization();
    delete imm.protocolApplied![0]!.seriesDosesPositiveInt;
    expect(rejection(() => toEuDcc(patient(), [vaccinationFacts(imm)], ctx()))).toEqual({
      id: 'MAPPING_VALUE_MISSING',
      text: 'The EU DCC needs the total doses of the series (v.sd)',
      expression: 'Immunization.protocolApplied[0].seriesDoses',
    });
  });

  test('when several doses are given, then the certificate states the latest one', () => {
    const first = vaccinationFacts(
      covidImmunization({
        occurrenceDateTime: '2021-03-01',
        protocolApplied: [{ ...covidImmunization().protocolApplied![0]!, doseNumberPositiveInt: 1 }],
      }),
    );
    const second = vaccinationFacts(covidImmunization());
    expect(toEuDcc(patient(), [first, second], ctx()).v).toHaveLength(1);
    expect(toEuDcc(patient(), [first, second], ctx()).v[0]).toMatchObject({ dn: 2, dt: '2021-05-06' });
  });

  test('when the vaccination is yellow fever, then it is not a COVID-19 vaccination but is covered by the ICVP', () => {
    const facts = vaccinationFacts(yellowFeverImmunization());
    expect(isCovid19Vaccination(facts, terminology)).toBe(false);
    expect(isIcvpCovered(facts, terminology)).toBe(true);
    expect(isIcvpCovered(vaccinationFacts(covidImmunization()), terminology)).toBe(false);
  });
});

describe('names and transliteration (ICAO 9303)', () => {
  test.each([
    ['Müller-Lüdenscheidt', 'MUELLER<LUEDENSCHEIDT'],
    ['Di Caprio', 'DI<CAPRIO'],
    ["O'Brien", 'OBRIEN'],
    ['Ærøskøbing', 'AEROESKOEBING'],
    ['Çelik Ñúñez', 'CELIK<NUNEZ'],
    ['Straße', 'STRASSE'],
    ['Иванова', 'IVANOVA'],
    ['Щукин', 'SHCHUKIN'],
  ])('when %s is transliterated, then it reads %s', (input, expected) => {
    expect(icaoTransliterate(input)).toBe(expected);
  });

  test('when a character has no Latin form, then transliteration gives up instead of dropping it', () => {
    expect(icaoTransliterate('奥卢斯')).toBeUndefined();
  });

  test('when the patient has only HumanName.text, then the name is never split on spaces and MAPPING_NAME_UNSTRUCTURED is raised', () => {
    const p = patient({ name: [{ use: 'official', text: 'Aulus Agerius' }] });
    expect(rejection(() => personName(p))).toEqual({
      id: 'MAPPING_NAME_UNSTRUCTURED',
      text: 'The patient has no structured name (family and given); a full name in HumanName.text is never split on spaces',
      expression: 'Patient.name',
    });
  });

  test('when a Chinese name has an alphabetic (ABC) representation, then fn/gn keep the script and fnt/gnt come from the ABC name', () => {
    const p: Patient = patient({
      name: [
        {
          use: 'official',
          family: '阿杰里乌斯',
          given: ['奥卢斯'],
          extension: [{ url: EN_REPRESENTATION_URL, valueCode: 'IDE' }],
        },
        {
          use: 'official',
          family: 'Agerius',
          given: ['Aulus'],
          extension: [{ url: EN_REPRESENTATION_URL, valueCode: 'ABC' }],
        },
      ],
    });
    expect(personName(p)).toMatchObject({
      family: '阿杰里乌斯',
      given: '奥卢斯',
      familyIcao: 'AGERIUS',
      givenIcao: 'AULUS',
    });
  });

  test('when a non-Latin name has no ABC representation, then MAPPING_NAME_NOT_TRANSLITERABLE is raised', () => {
    const p = patient({ name: [{ use: 'official', family: '阿杰里乌斯', given: ['奥卢斯'] }] });
    expect(rejection(() => personName(p))).toEqual({
      id: 'MAPPING_NAME_NOT_TRANSLITERABLE',
      text: 'The name "阿杰里乌斯" has characters without an ICAO 9303 transliteration and no alphabetic (ABC) representation is given',
      expression: 'Patient.name',
    });
  });

  test('when a Cyrillic structured name is given, then it is transliterated by the ICAO Cyrillic table', () => {
    const p = patient({ name: [{ use: 'official', family: 'Агерий', given: ['Авл'] }] });
    expect(personName(p)).toMatchObject({ familyIcao: 'AGERII', givenIcao: 'AVL' });
  });
});

describe('DDCC:VS and ICVP payloads', () => {
  test('when a DDCC immunization is mapped, then the core data set keeps its codes and alpha-3 country', () => {
    const cds = toDdccVs(patient(), vaccinationFacts(covidImmunization()), {
      issuer: { display: 'MoH' },
      hcid: { value: 'H1' },
      version: 'RC-2.0.0',
    });
    expect(cds).toMatchObject({
      name: 'Anna Maria Müller-Lüdenscheidt',
      birthDate: '1980-02-29',
      vaccination: {
        vaccine: { code: 'XM0GQ8' },
        brand: { code: 'XM3DT5' },
        lot: 'LOT-123',
        date: '2021-05-06',
        dose: 2,
        totalDoses: 2,
        country: { system: 'urn:iso:std:iso:3166', code: 'CHE' },
        disease: { code: 'RA01' },
      },
    });
  });

  test('when the lot number is missing, then DDCC:VS refuses with MAPPING_VALUE_MISSING at lotNumber', () => {
    const imm = covidImmunization({ lotNumber: undefined });
    expect(
      rejection(() => toDdccVs(patient(), vaccinationFacts(imm), { issuer: {}, hcid: { value: 'H' }, version: 'v' })),
    ).toEqual({
      id: 'MAPPING_VALUE_MISSING',
      text: 'DDCC:VS needs the vaccine lot number',
      expression: 'Immunization.lotNumber',
    });
  });

  test('when a yellow-fever dose with a prequalified product is mapped, then the ICVP payload carries product, date and batch', () => {
    expect(toIcvp(patient(), vaccinationFacts(yellowFeverImmunization()), { issuerId: 'XX' })).toEqual({
      n: 'Anna Maria Müller-Lüdenscheidt',
      dob: '1980-02-29',
      s: 'female',
      v: { vp: 'YellowFeverProductd8a09f80301dc05e124f99ffe7711fc0', dt: '2024-03-01', bo: 'LOT-123', is: 'XX' },
    });
  });

  test('when ISO 3166 codes are converted, then alpha-3 and alpha-2 map both ways', () => {
    expect([countryAlpha2('CHE'), countryAlpha2('ch'), countryAlpha3('KE'), countryAlpha2('XYZ')]).toEqual([
      'CH',
      'CH',
      'KEN',
      undefined,
    ]);
  });
});
