/**
 * Patient + Immunization → the WHO DDCC:VS core data set (logical model DDCCCoreDataSetVS; hcert claim -260 key 3),
 * in the FHIR JSON form of the logical model. Codes are kept in the system the record uses (the model's vaccine
 * binding is `preferred`), so nothing is translated that does not need to be.
 * http://smart.who.int/ddcc/StructureDefinition/DDCCCoreDataSetVS
 */
import type { Coding, Patient } from '@medplum/fhirtypes';
import { countryAlpha3 } from './iso3166.ts';
import { mappingError } from './mapping-error.ts';
import { SYSTEM } from './terminology.ts';
import type { VaccinationFacts } from './vaccination.ts';

export interface DdccVsCertificate {
  issuer: { identifier?: { system?: string; value: string }; display?: string };
  kid?: string;
  hcid: { system?: string; value: string };
  /** The DDCC identifier of this one certificate, when the HCID names a paper certificate shared by several. */
  ddccid?: { system?: string; value: string };
  version: string;
  period?: { start?: string; end?: string };
}

export interface DdccVsCoreDataSet {
  resourceType: 'DDCCCoreDataSetVS';
  name: string;
  birthDate?: string;
  identifier?: { system?: string; value: string };
  certificate: DdccVsCertificate;
  vaccination: {
    vaccine: Coding;
    brand: Coding;
    manufacturer?: Coding;
    maholder?: Coding;
    lot: string;
    date: string;
    validFrom?: string;
    dose: number;
    totalDoses?: number;
    country: Coding;
    centre?: string;
    disease?: Coding;
  };
}

const bare = (c: Coding): Coding => {
  const out: Coding = {};
  if (c.system) out.system = c.system;
  if (c.code) out.code = c.code;
  if (c.display) out.display = c.display;
  return out;
};

function required<T>(value: T | undefined, text: string, expression: string): T {
  if (value === undefined || value === null || value === '')
    throw mappingError('MAPPING_VALUE_MISSING', text, expression);
  return value;
}

/**
 * Map one vaccination to the DDCC:VS core data set. Throws 422 MAPPING_VALUE_MISSING / MAPPING_CODE_UNMAPPED.
 * @example toDdccVs(patient, vaccinationFacts(imm), { issuer: { display: 'MoH' }, hcid: { value: 'HCID-1' }, version: 'RC-2.0.0' })
 * @see http://smart.who.int/ddcc/StructureDefinition/DDCCCoreDataSetVS
 */
export function toDdccVs(patient: Patient, f: VaccinationFacts, certificate: DdccVsCertificate): DdccVsCoreDataSet {
  const official = patient.name?.find((n) => n.use === 'official') ?? patient.name?.[0];
  const name = official?.text ?? [...(official?.given ?? []), official?.family].filter(Boolean).join(' ');
  const country = countryAlpha3(
    required(f.country, 'DDCC:VS needs the country of vaccination (DDCCCountryOfEvent)', `${f.path}.extension`),
  );
  if (!country)
    throw mappingError(
      'MAPPING_CODE_UNMAPPED',
      `Country of vaccination "${f.country}" is not an ISO 3166-1 code`,
      `${f.path}.extension`,
    );
  const vaccination: DdccVsCoreDataSet['vaccination'] = {
    vaccine: bare(f.vaccine),
    brand: bare(required(f.brand, 'DDCC:VS needs the vaccine brand (DDCCEventBrand)', `${f.path}.extension`)),
    lot: required(f.lot, 'DDCC:VS needs the vaccine lot number', `${f.path}.lotNumber`),
    date: f.date,
    dose: required(f.dose, 'DDCC:VS needs the dose number', `${f.path}.protocolApplied[0].doseNumber`),
    country: { system: SYSTEM.iso3166, code: country },
  };
  if (f.manufacturer) vaccination.manufacturer = bare(f.manufacturer);
  if (f.maHolder) vaccination.maholder = bare(f.maHolder);
  if (f.validFrom) vaccination.validFrom = f.validFrom;
  if (f.totalDoses !== undefined) vaccination.totalDoses = f.totalDoses;
  if (f.centre) vaccination.centre = f.centre;
  if (f.diseases[0]) vaccination.disease = bare(f.diseases[0]);
  const out: DdccVsCoreDataSet = {
    resourceType: 'DDCCCoreDataSetVS',
    name: required(name || undefined, 'DDCC:VS needs the patient name', 'Patient.name'),
    certificate,
    vaccination,
  };
  if (patient.birthDate) out.birthDate = patient.birthDate;
  const id = patient.identifier?.find((i) => i.value);
  if (id?.value) out.identifier = id.system ? { system: id.system, value: id.value } : { value: id.value };
  return out;
}
