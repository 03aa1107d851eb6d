/**
 * The facts of one vaccination as DDCC records them on an Immunization (DDCCImmunization profile): vaccine,
 * brand (DDCCEventBrand), market-authorisation holder, country of event (DDCCCountryOfEvent), dose numbers from
 * protocolApplied, lot, date, centre. Every payload mapper reads these instead of walking the resource itself.
 * http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization
 */
import type { Coding, Immunization, ImmunizationProtocolApplied } from '@medplum/fhirtypes';
import { mappingError } from './mapping-error.ts';

export const DDCC = 'http://smart.who.int/ddcc/StructureDefinition/';
export const EXT_BRAND = `${DDCC}DDCCEventBrand`;
export const EXT_COUNTRY = `${DDCC}DDCCCountryOfEvent`;
export const EXT_MA_HOLDER = `${DDCC}DDCCVaccineMarketAuthorization`;
export const EXT_VALID_FROM = `${DDCC}DDCCVaccineValidFrom`;

export interface VaccinationFacts {
  immunization: Immunization;
  /** `Immunization[i]` path prefix for error expressions. */
  path: string;
  vaccine: Coding;
  brand: Coding | undefined;
  manufacturer: Coding | undefined;
  maHolder: Coding | undefined;
  lot: string | undefined;
  /** occurrenceDateTime as recorded. */
  date: string;
  validFrom: string | undefined;
  dose: number | undefined;
  totalDoses: number | undefined;
  /** DDCCCountryOfEvent code (ISO 3166-1 alpha-3 per the profile; alpha-2 tolerated). */
  country: string | undefined;
  centre: string | undefined;
  diseases: Coding[];
}

function ext(imm: Immunization, url: string) {
  return imm.extension?.find((e) => e.url === url);
}

function positive(p: ImmunizationProtocolApplied | undefined, field: 'dose' | 'series'): number | undefined {
  if (!p) return undefined;
  const n = field === 'dose' ? p.doseNumberPositiveInt : p.seriesDosesPositiveInt;
  if (n !== undefined) return n;
  const s = field === 'dose' ? p.doseNumberString : p.seriesDosesString;
  return s !== undefined && /^[1-9]\d*$/.test(s) ? Number(s) : undefined;
}

function manufacturerCoding(imm: Immunization): Coding | undefined {
  const id = imm.manufacturer?.identifier;
  if (id?.value) return { system: id.system, code: id.value, display: imm.manufacturer?.display };
  return undefined;
}

/**
 * Reads the vaccination facts of an Immunization; throws 422 MAPPING_VALUE_MISSING when there is no vaccine coding
 * or no date (nothing can be certified without them).
 * @example vaccinationFacts(immunization, 0).vaccine.code // 'XM0GQ8'
 */
export function vaccinationFacts(imm: Immunization, index = 0): VaccinationFacts {
  const path = 'Immunization';
  const vaccine = imm.vaccineCode?.coding?.find((c) => c.system && c.code);
  if (!vaccine)
    throw mappingError(
      'MAPPING_VALUE_MISSING',
      `Immunization ${imm.id ?? index} has no coded vaccine (system and code)`,
      `${path}.vaccineCode.coding`,
    );
  if (!imm.occurrenceDateTime)
    throw mappingError(
      'MAPPING_VALUE_MISSING',
      `Immunization ${imm.id ?? index} has no occurrenceDateTime`,
      `${path}.occurrence`,
    );
  const protocol = imm.protocolApplied?.[0];
  return {
    immunization: imm,
    path,
    vaccine,
    brand: ext(imm, EXT_BRAND)?.valueCoding,
    manufacturer: manufacturerCoding(imm),
    maHolder: ext(imm, EXT_MA_HOLDER)?.valueCoding,
    lot: imm.lotNumber,
    date: imm.occurrenceDateTime,
    validFrom: ext(imm, EXT_VALID_FROM)?.valueDate,
    dose: positive(protocol, 'dose'),
    totalDoses: positive(protocol, 'series'),
    country: ext(imm, EXT_COUNTRY)?.valueCode ?? ext(imm, EXT_COUNTRY)?.valueCoding?.code,
    centre: imm.location?.display,
    diseases: (imm.protocolApplied ?? []).flatMap((p) => (p.targetDisease ?? []).flatMap((cc) => cc.coding ?? [])),
  };
}
