/**
 * Patient + Immunization → the EU DCC vaccination payload (hcert claim -260, key 1): `ver`, `nam`, `dob`, `v[]`
 * with tg/vp/mp/ma/dn/sd/dt/co/is/ci. Codes go through the DDCC ConceptMaps; anything without a mapping the IG
 * states is a 422 MAPPING_CODE_UNMAPPED naming the element, never a guessed code.
 * https://github.com/ehn-dcc-development/eu-dcc-schema · http://smart.who.int/ddcc/StructureDefinition/HCertDCC
 */
import type { Coding, Patient } from '@medplum/fhirtypes';
import { canonicalSystem } from './concept-maps.ts';
import { countryAlpha2 } from './iso3166.ts';
import { mappingError } from './mapping-error.ts';
import { personName } from './names.ts';
import { CONCEPT_MAP, SCT_COVID19, SYSTEM, VALUE_SET, type CredentialTerminology } from './terminology.ts';
import { EXT_BRAND, EXT_COUNTRY, type VaccinationFacts } from './vaccination.ts';

export const EU_DCC_VERSION = '1.3.0';

export interface EuDccVaccination {
  tg: string;
  vp: string;
  mp: string;
  ma: string;
  dn: number;
  sd: number;
  dt: string;
  co: string;
  is: string;
  ci: string;
}

export interface EuDccPayload {
  ver: string;
  nam: { fn?: string; fnt: string; gn?: string; gnt?: string };
  dob: string;
  v: EuDccVaccination[];
}

export interface EuDccContext {
  terminology: CredentialTerminology;
  /** Certificate issuer, organisation name (`v.is`). */
  issuerName: string;
  /** Unique certificate identifier (UVCI). */
  certificateId: string;
}

const unique = (list: { code: string }[]): string | undefined => {
  const codes = [...new Set(list.map((t) => t.code))];
  return codes.length === 1 ? codes[0] : undefined;
};

const exact = (ts: { code: string; equivalence: string }[]) =>
  ts.filter((t) => t.equivalence === 'equivalent' || t.equivalence === 'equal');

function unmapped(what: string, coding: Coding | undefined, expression: string): never {
  throw mappingError(
    'MAPPING_CODE_UNMAPPED',
    `${what}: ${coding ? `${coding.system}|${coding.code}` : 'no code'} has no mapping to the EU DCC value set in the loaded ConceptMaps`,
    expression,
  );
}

/**
 * True when the vaccination is about COVID-19 (the only thing an EU DCC certifies), judged by the IG's value sets.
 * @example isCovid19Vaccination(vaccinationFacts(immunization), terminology) // true for ICD-11 XM0GQ8
 */
export function isCovid19Vaccination(facts: VaccinationFacts, t: CredentialTerminology): boolean {
  const sys = canonicalSystem(facts.vaccine.system ?? '');
  if (t.valueSets.contains(VALUE_SET.covidVaccines, sys, facts.vaccine.code ?? '')) return true;
  if (
    sys === SYSTEM.snomed &&
    t.maps.translate(CONCEPT_MAP.snomedToIcd11Vaccine, sys, facts.vaccine.code ?? '').length > 0
  )
    return true;
  return facts.diseases.some(
    (d) =>
      (canonicalSystem(d.system ?? '') === SYSTEM.snomed && d.code === SCT_COVID19) ||
      t.valueSets.contains(VALUE_SET.covidDiseases, d.system ?? '', d.code ?? ''),
  );
}

/** vp: SNOMED CT vaccine type; ICD-11 and CVX codes go through the DDCC maps. */
function vaccineProphylaxis(f: VaccinationFacts, t: CredentialTerminology): string {
  const sys = canonicalSystem(f.vaccine.system ?? '');
  const code = f.vaccine.code ?? '';
  const expression = `${f.path}.vaccineCode.coding[0]`;
  if (sys === SYSTEM.snomed) return code;
  let icd11 = sys === SYSTEM.icd11 ? code : undefined;
  if (sys === SYSTEM.cvx) icd11 = unique(exact(t.maps.translate(CONCEPT_MAP.cvxToIcd11Vaccine, sys, code)));
  const sct =
    icd11 === undefined
      ? undefined
      : unique(exact(t.maps.translate(CONCEPT_MAP.icd11ToSctVaccine, SYSTEM.icd11, icd11)));
  return sct ?? unmapped('Vaccine (v.vp)', f.vaccine, expression);
}

/** tg: SNOMED CT disease; ICD-11 via the DDCC map. It must be COVID-19. */
function targetDisease(f: VaccinationFacts, t: CredentialTerminology): string {
  const expression = `${f.path}.protocolApplied[0].targetDisease`;
  const disease = f.diseases[0];
  if (!disease)
    throw mappingError(
      'MAPPING_VALUE_MISSING',
      'The EU DCC needs the disease targeted (v.tg); protocolApplied.targetDisease is empty',
      expression,
    );
  const sys = canonicalSystem(disease.system ?? '');
  const sct =
    sys === SYSTEM.snomed
      ? disease.code
      : unique(exact(t.maps.translate(CONCEPT_MAP.icd11ToSctDisease, sys, disease.code ?? '')));
  if (sct !== SCT_COVID19) return unmapped('Disease targeted (v.tg)', disease, expression);
  return sct;
}

/** mp: EU Union Register product; an ICD-11 brand maps back through the register→ICD-11 map when unambiguous. */
function medicinalProduct(f: VaccinationFacts, t: CredentialTerminology): string {
  const expression = `${f.path}.extension('${EXT_BRAND}').value`;
  const brand = f.brand;
  if (!brand?.code)
    throw mappingError(
      'MAPPING_VALUE_MISSING',
      'The EU DCC needs the vaccine product (v.mp); the DDCCEventBrand extension is missing',
      expression,
    );
  const sys = canonicalSystem(brand.system ?? '');
  if (sys === SYSTEM.euUnionRegister) return brand.code;
  const back =
    sys === SYSTEM.icd11 ? unique(exact(t.maps.reverse(CONCEPT_MAP.euRegisterToIcd11, sys, brand.code))) : undefined;
  return back ?? unmapped('Vaccine product (v.mp)', brand, expression);
}

function authorisationHolder(f: VaccinationFacts): string {
  const code = f.maHolder?.code ?? f.manufacturer?.code;
  if (!code) {
    throw mappingError(
      'MAPPING_VALUE_MISSING',
      'The EU DCC needs the marketing authorisation holder (v.ma): DDCCVaccineMarketAuthorization or manufacturer.identifier',
      `${f.path}.manufacturer`,
    );
  }
  return code;
}

function vaccinationEntry(f: VaccinationFacts, ctx: EuDccContext, ci: string): EuDccVaccination {
  const t = ctx.terminology;
  if (f.dose === undefined)
    throw mappingError(
      'MAPPING_VALUE_MISSING',
      'The EU DCC needs the dose number (v.dn)',
      `${f.path}.protocolApplied[0].doseNumber`,
    );
  if (f.totalDoses === undefined)
    throw mappingError(
      'MAPPING_VALUE_MISSING',
      'The EU DCC needs the total doses of the series (v.sd)',
      `${f.path}.protocolApplied[0].seriesDoses`,
    );
  const co = f.country === undefined ? undefined : countryAlpha2(f.country);
  if (co === undefined) {
    throw mappingError(
      'MAPPING_CODE_UNMAPPED',
      `Country of vaccination (v.co): "${f.country ?? ''}" is not an ISO 3166-1 country code`,
      `${f.path}.extension('${EXT_COUNTRY}').value`,
    );
  }
  return {
    tg: targetDisease(f, t),
    vp: vaccineProphylaxis(f, t),
    mp: medicinalProduct(f, t),
    ma: authorisationHolder(f),
    dn: f.dose,
    sd: f.totalDoses,
    dt: f.date.slice(0, 10),
    co,
    is: ctx.issuerName,
    ci,
  };
}

/**
 * Map a patient and their COVID-19 vaccinations to the EU DCC payload (the latest dose: one event per certificate). Throws 422 OutcomeErrors
 * (MAPPING_CODE_UNMAPPED, MAPPING_VALUE_MISSING, MAPPING_NAME_*).
 * @example toEuDcc(patient, [vaccinationFacts(imm)], { terminology, issuerName: 'Ministry of Health', certificateId: 'URN:UVCI:01:XX:ABC' })
 * @see https://ec.europa.eu/health/sites/default/files/ehealth/docs/covid-certificate_json_specification_en.pdf
 */
export function toEuDcc(patient: Patient, vaccinations: readonly VaccinationFacts[], ctx: EuDccContext): EuDccPayload {
  const name = personName(patient);
  if (!patient.birthDate)
    throw mappingError('MAPPING_VALUE_MISSING', 'The EU DCC needs the date of birth (dob)', 'Patient.birthDate');
  const nam: EuDccPayload['nam'] = { fn: name.family, fnt: name.familyIcao };
  if (name.given !== undefined) nam.gn = name.given;
  if (name.givenIcao !== undefined) nam.gnt = name.givenIcao;
  // One certificate states one event (EU DCC schema: exactly one of v/t/r with one entry): the latest dose.
  const latest = [...vaccinations].sort((a, b) => b.date.localeCompare(a.date))[0];
  if (!latest) throw mappingError('MAPPING_NOT_APPLICABLE', 'The EU DCC needs a COVID-19 vaccination', 'Immunization');
  return { ver: EU_DCC_VERSION, nam, dob: patient.birthDate, v: [vaccinationEntry(latest, ctx, ctx.certificateId)] };
}
