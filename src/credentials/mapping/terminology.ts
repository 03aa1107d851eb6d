/**
 * The terminology a credential mapper needs, built once from the loaded packages: ConceptMaps and enumerated
 * ValueSets, plus the code-system and map canonicals the mappers use (all from who.ddcc#1.0.0 and
 * smart.who.int.icvp#0.1.0).
 */
import type { PackageSet } from '../../packages/types.ts';
import { conceptMapsFrom, type ConceptMaps } from './concept-maps.ts';
import { valueSetsFrom, type ValueSets } from './value-sets.ts';

export interface CredentialTerminology {
  maps: ConceptMaps;
  valueSets: ValueSets;
}

/**
 * Build once per package set (immutable).
 * @example const terminology = credentialTerminology(await loadPackages({ dirs: ['../shared/fhir-packages'] }))
 */
export function credentialTerminology(packages: PackageSet): CredentialTerminology {
  return { maps: conceptMapsFrom(packages), valueSets: valueSetsFrom(packages) };
}

export const SYSTEM = Object.freeze({
  snomed: 'http://snomed.info/sct',
  icd11: 'http://id.who.int/icd11/mms',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  euUnionRegister: 'https://ec.europa.eu/health/documents/community-register/html/',
  preQualProduct: 'http://smart.who.int/pcmt-vaxprequal/CodeSystem/PreQualProductIDs',
  iso3166: 'urn:iso:std:iso:3166',
} as const);

const CM = 'http://smart.who.int/ddcc/ConceptMap/';
export const CONCEPT_MAP = Object.freeze({
  icd11ToSctVaccine: `${CM}who-ddcc-map-icd11-sct-vaccines`,
  cvxToIcd11Vaccine: `${CM}who-ddcc-map-cvx-icd11-vaccines`,
  icd11ToSctDisease: `${CM}who-ddcc-map-icd11-sct-disease-targeted`,
  euRegisterToIcd11: `${CM}vaccine-covid19-euur-to-icd11`,
  snomedToIcd11Vaccine: `${CM}vaccine-covid19-snomed-to-icd11`,
} as const);

export const VALUE_SET = Object.freeze({
  covidVaccines: 'http://smart.who.int/ddcc/ValueSet/WHODDCCVaccinesCOVID19',
  covidDiseases: 'http://smart.who.int/ddcc/ValueSet/WHODDCCDiseaseTargetedCOVID19',
  icvpVaccines: 'http://smart.who.int/icvp/ValueSet/ICVPVaccineCodes',
  icvpDiseases: 'http://smart.who.int/icvp/ValueSet/ICVPDiseaseTargeted',
  icvpProducts: 'http://smart.who.int/icvp/ValueSet/ICVPProductIds',
} as const);

/** SNOMED CT 840539006 "COVID-19": the only disease the EU DCC certifies. */
export const SCT_COVID19 = '840539006';
