/**
 * A DDCC:VS QuestionnaireResponse (the IG's core data set questionnaire) → the DDCC Patient and Immunization it
 * describes. A hand mapping of the IG's StructureMaps, field by field: QRespToVSCoreDataSet (first answer of each
 * top-level linkId → core data set) then CoreDataSetVSLibrary's DDCCToPatient / DDCCToImmunization (core data set →
 * resources). Two departures, both toward the IG's own profiles: the extension URLs are those the package defines
 * (DDCCEventBrand, DDCCCountryOfEvent; the map still names older ones), and `sex` becomes Patient.gender (the map
 * reads it into the core data set but never writes it out). The QR is checked against its Questionnaire before this
 * runs; the checks here only guard what the mapping itself needs.
 * http://smart.who.int/ddcc/StructureMap/QRespToVSCoreDataSet · http://smart.who.int/ddcc/StructureMap/CoreDataSetVSLibrary
 */
import type { Coding, Immunization, Patient, QuestionnaireResponse } from '@medplum/fhirtypes';
import { mappingError } from './mapping-error.ts';
import { DDCC, EXT_BRAND, EXT_COUNTRY, EXT_MA_HOLDER, EXT_VALID_FROM } from './vaccination.ts';

/** The canonical of the IG's DDCC:VS core data set Questionnaire. */
export const DDCC_VS_QUESTIONNAIRE = 'http://smart.who.int/ddcc/DDCCVSCoreDataSetQuestionnaire';
/**
 * The canonical WHO's reference mediator still sends (the IG's pre-release home). Same questionnaire, same
 * linkIds: accepted and read as DDCC_VS_QUESTIONNAIRE so clients of the mediator keep working.
 */
export const LEGACY_DDCC_VS_QUESTIONNAIRE =
  'http://worldhealthorganization.github.io/ddcc/DDCCVSCoreDataSetQuestionnaire';

/** The DDCC:VS core data set as QRespToVSCoreDataSet fills it (names as in DDCCCoreDataSetVS). */
export interface DdccVsAnswers {
  name: string;
  birthDate?: string;
  identifier?: string;
  sex?: string;
  vaccine: Coding;
  brand: Coding;
  manufacturer?: Coding;
  maHolder?: Coding;
  lot: string;
  date: string;
  validFrom?: string;
  dose: number;
  totalDoses?: number;
  country: Coding;
  centre: string;
  practitioner?: string;
  disease?: Coding;
  nextDose?: string;
  /** certificate.issuer.identifier.value */
  pha: string;
  /** certificate.hcid.value: the paper certificate (and DDCC Folder) identifier. */
  hcid: string;
  certificateValidFrom?: string;
  validUntil?: string;
}

type AnswerType = 'valueString' | 'valueDate' | 'valueCoding' | 'valueInteger';

/**
 * QRespToVSCoreDataSet, rule by rule: linkId → the answer type the map reads → the core data set element it sets
 * (`<group target>.<element path>`) → our field. Tested against the StructureMap in the package.
 */
export const DDCC_VS_ANSWER_MAP = [
  { linkId: 'name', type: 'valueString', target: 'ddcc.name', field: 'name', required: true },
  { linkId: 'birthDate', type: 'valueDate', target: 'ddcc.birthDate', field: 'birthDate' },
  { linkId: 'identifier', type: 'valueString', target: 'ddcc.identifier.value', field: 'identifier' },
  { linkId: 'sex', type: 'valueCoding', target: 'ddcc.sex', field: 'sex' },
  { linkId: 'vaccine', type: 'valueCoding', target: 'vaccination.vaccine', field: 'vaccine', required: true },
  { linkId: 'brand', type: 'valueCoding', target: 'vaccination.brand', field: 'brand', required: true },
  { linkId: 'manufacturer', type: 'valueCoding', target: 'vaccination.manufacturer', field: 'manufacturer' },
  { linkId: 'ma_holder', type: 'valueCoding', target: 'vaccination.maholder', field: 'maHolder' },
  { linkId: 'lot', type: 'valueString', target: 'vaccination.lot', field: 'lot', required: true },
  { linkId: 'date', type: 'valueDate', target: 'vaccination.date', field: 'date', required: true },
  { linkId: 'vaccine_valid', type: 'valueDate', target: 'vaccination.validFrom', field: 'validFrom' },
  { linkId: 'dose', type: 'valueInteger', target: 'vaccination.dose', field: 'dose', required: true },
  { linkId: 'total_doses', type: 'valueInteger', target: 'vaccination.totalDoses', field: 'totalDoses' },
  { linkId: 'country', type: 'valueCoding', target: 'vaccination.country', field: 'country', required: true },
  { linkId: 'centre', type: 'valueString', target: 'vaccination.centre', field: 'centre', required: true },
  { linkId: 'hw', type: 'valueString', target: 'vaccination.practitioner.value', field: 'practitioner' },
  { linkId: 'disease', type: 'valueCoding', target: 'vaccination.disease', field: 'disease' },
  { linkId: 'due_date', type: 'valueDate', target: 'vaccination.nextDose', field: 'nextDose' },
  { linkId: 'pha', type: 'valueString', target: 'certificate.issuer.identifier.value', field: 'pha', required: true },
  { linkId: 'hcid', type: 'valueString', target: 'certificate.hcid.value', field: 'hcid', required: true },
  { linkId: 'valid_from', type: 'valueDate', target: 'period.start', field: 'certificateValidFrom' },
  { linkId: 'valid_until', type: 'valueDate', target: 'period.end', field: 'validUntil' },
] as const satisfies ReadonlyArray<{
  linkId: string;
  type: AnswerType;
  target: string;
  field: keyof DdccVsAnswers;
  required?: boolean;
}>;

/**
 * QRespToVSCoreDataSet: the first answer of each top-level linkId, of the type the map reads (`sex` keeps the
 * code of its Coding, as the map does). Throws 422 MAPPING_VALUE_MISSING when an answer the certificate cannot do
 * without is absent.
 * @example ddccVsAnswers(qr).hcid // '1234567890'
 */
export function ddccVsAnswers(qr: QuestionnaireResponse): DdccVsAnswers {
  const out: Record<string, unknown> = {};
  const items = qr.item ?? [];
  for (const link of DDCC_VS_ANSWER_MAP) {
    const answer = items.find((i) => i.linkId === link.linkId)?.answer?.[0] as Record<string, unknown> | undefined;
    let value = answer?.[link.type];
    if (link.field === 'sex') value = (value as Coding | undefined)?.code;
    if (value === undefined || value === '') {
      if ('required' in link)
        throw mappingError(
          'MAPPING_VALUE_MISSING',
          `The DDCC:VS core data set needs an answer to "${link.linkId}"`,
          `QuestionnaireResponse.item.where(linkId='${link.linkId}').answer.${link.type}`,
        );
      continue;
    }
    out[link.field] = value;
  }
  return out as unknown as DdccVsAnswers;
}

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);

const GENDERS = new Set(['male', 'female', 'other', 'unknown']);

/**
 * DDCCToPatient: name as text only (a full name is never split), birthDate, identifier; plus gender from `sex`.
 * @example ddccPatient(answers, 'p1').name // [{ text: 'Aulus Agerius' }]
 */
export function ddccPatient(a: DdccVsAnswers, id: string): Patient {
  return {
    resourceType: 'Patient',
    id,
    meta: { profile: [`${DDCC}DDCCPatient`] },
    ...(a.identifier ? { identifier: [{ value: a.identifier }] } : {}),
    name: [{ text: a.name }],
    ...(a.sex && GENDERS.has(a.sex) ? { gender: a.sex as Patient['gender'] } : {}),
    ...optional('birthDate', a.birthDate),
  };
}

/**
 * DDCCToImmunization: brand / MA holder / country / valid-from extensions, vaccine, patient, manufacturer
 * identifier, lot, date, centre as location display, health worker as performer identifier, and protocolApplied
 * (authority = the PHA identifier, target disease, dose, series).
 * @example ddccImmunization(answers, { id: 'i1', patientId: 'p1' }).lotNumber // 'ER8732'
 */
export function ddccImmunization(a: DdccVsAnswers, ids: { id: string; patientId: string }): Immunization {
  const country = a.country.code;
  return {
    resourceType: 'Immunization',
    id: ids.id,
    meta: { profile: [`${DDCC}DDCCImmunization`] },
    extension: [
      { url: EXT_BRAND, valueCoding: a.brand },
      ...(a.maHolder ? [{ url: EXT_MA_HOLDER, valueCoding: a.maHolder }] : []),
      ...(country ? [{ url: EXT_COUNTRY, valueCode: country }] : []),
      ...(a.validFrom ? [{ url: EXT_VALID_FROM, valueDate: a.validFrom }] : []),
    ],
    status: 'completed',
    vaccineCode: { coding: [a.vaccine] },
    patient: { reference: `Patient/${ids.patientId}` },
    ...(a.manufacturer?.code
      ? {
          manufacturer: {
            identifier: { ...optional('system', a.manufacturer.system), value: a.manufacturer.code },
          },
        }
      : {}),
    lotNumber: a.lot,
    occurrenceDateTime: a.date,
    location: { display: a.centre },
    ...(a.practitioner
      ? { performer: [{ actor: { type: 'Practitioner', identifier: { value: a.practitioner } } }] }
      : {}),
    protocolApplied: [
      {
        authority: { type: 'Organization', identifier: { value: a.pha } },
        ...(a.disease ? { targetDisease: [{ coding: [a.disease] }] } : {}),
        doseNumberPositiveInt: a.dose,
        ...optional('seriesDosesPositiveInt', a.totalDoses),
      },
    ],
  };
}
