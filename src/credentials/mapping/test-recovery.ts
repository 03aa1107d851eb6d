/**
 * EU DCC test (`t`) and recovery (`r`) entries, and DDCC:TR core data sets, as FHIR resources for `$verify`'s
 * content. A test result is an Observation shaped like DDCCObservation (category laboratory, code = the test type,
 * effective = the sample collection time, value = the result, performer = the testing facility, device = the RAT
 * device). A recovery certificate attests a first positive result on `fr`: an Observation of that result, and a
 * resolved Condition of the targeted disease with that onset, whose evidence is the Observation; the certificate's
 * validity window (`df`..`du`) is stated in a note, as FHIR Condition has no element for it.
 * https://github.com/ehn-dcc-development/eu-dcc-schema (DCC.Types, test_entry, recovery_entry) ·
 * http://smart.who.int/ddcc/StructureDefinition/DDCCObservation · …/DDCCCoreDataSetTR
 */
import type { Condition, Observation } from '@medplum/fhirtypes';
import { SYSTEM } from './terminology.ts';

const LOINC = 'http://loinc.org';
/** EU Common list of rapid antigen tests, as the DCC value set `covid-19-lab-test-manufacturer-and-name` names them. */
const JRC_DEVICES = 'https://covid-19-diagnostics.jrc.ec.europa.eu/devices';
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
/** SNOMED CT qualifier values the DCC value set `covid-19-lab-result` uses. */
const DETECTED = '260373001';

export interface EuTestEntry {
  tg?: string;
  tt?: string;
  nm?: string;
  ma?: string;
  sc?: string;
  tr?: string;
  tc?: string;
  co?: string;
  is?: string;
  ci?: string;
}

export interface EuRecoveryEntry {
  tg?: string;
  fr?: string;
  co?: string;
  is?: string;
  df?: string;
  du?: string;
  ci?: string;
}

const uvci = (ci: string | undefined) => (ci ? { identifier: [{ system: 'urn:UVCI', value: ci }] } : {});

/**
 * One EU DCC test entry → a laboratory Observation of the subject.
 * @example euTestObservation({ tt: 'LP6464-4', sc: '2021-06-01T10:00:00Z', tr: '260415000', tc: 'Test centre' }, 'urn:uuid:…').valueCodeableConcept
 */
export function euTestObservation(t: EuTestEntry, subject: string): Observation {
  const obs: Observation = {
    resourceType: 'Observation',
    ...uvci(t.ci),
    status: 'final',
    category: [LAB],
    code: {
      coding: [{ system: LOINC, code: t.tt ?? 'unknown' }],
      ...(t.tg ? { text: `Test for the disease or agent ${t.tg} (SNOMED CT)` } : {}),
    },
    subject: { reference: subject },
    ...(t.sc ? { effectiveDateTime: t.sc } : {}),
    valueCodeableConcept: { coding: [{ system: SYSTEM.snomed, code: t.tr ?? 'unknown' }] },
  };
  if (t.tc || t.is)
    obs.performer = [{ display: [t.tc, t.co ? `(${t.co})` : undefined].filter(Boolean).join(' ') || t.is! }];
  if (t.ma || t.nm)
    obs.device = {
      ...(t.ma ? { identifier: { system: JRC_DEVICES, value: t.ma } } : {}),
      ...(t.nm ? { display: t.nm } : {}),
    };
  return obs;
}

/**
 * One EU DCC recovery entry → the first positive result (Observation) and the resolved disease (Condition).
 * @example const { observation, condition } = euRecoveryResources(r, 'urn:uuid:p', 'urn:uuid:o')
 */
export function euRecoveryResources(
  r: EuRecoveryEntry,
  subject: string,
  observationUrl: string,
): { observation: Observation; condition: Condition } {
  const disease = { coding: [{ system: SYSTEM.snomed, code: r.tg ?? 'unknown' }] };
  const observation: Observation = {
    resourceType: 'Observation',
    status: 'final',
    category: [LAB],
    code: { ...disease, text: 'First positive test result for the targeted disease or agent' },
    subject: { reference: subject },
    ...(r.fr ? { effectiveDateTime: r.fr } : {}),
    valueCodeableConcept: { coding: [{ system: SYSTEM.snomed, code: DETECTED }] },
  };
  const validity = r.df || r.du ? `Certificate of recovery valid from ${r.df ?? '?'} until ${r.du ?? '?'}` : undefined;
  const issuer = r.is ? `issued by ${r.is}${r.co ? ` (${r.co})` : ''}` : undefined;
  const condition: Condition = {
    resourceType: 'Condition',
    ...uvci(r.ci),
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }],
    },
    verificationStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
    },
    code: disease,
    subject: { reference: subject },
    ...(r.fr ? { onsetDateTime: r.fr } : {}),
    evidence: [{ detail: [{ reference: observationUrl }] }],
    ...(validity || issuer ? { note: [{ text: [validity, issuer].filter(Boolean).join(', ') }] } : {}),
  };
  return { observation, condition };
}

interface CodingLike {
  system?: string;
  code?: string;
  display?: string;
}

/** The DDCC:TR core data set (logical model DDCCCoreDataSetTR). */
export interface DdccTrCoreDataSet {
  name?: string;
  birthDate?: string;
  identifier?: { system?: string; value?: string };
  test?: {
    pathogen?: CodingLike;
    type?: CodingLike;
    brand?: CodingLike;
    manufacturer?: CodingLike;
    origin?: CodingLike;
    date?: string;
    result?: CodingLike;
    centre?: CodingLike;
    country?: CodingLike;
  };
  certificate?: { hcid?: { value?: string } };
}

/**
 * A DDCC:TR core data set's test → an Observation shaped like DDCCObservation (method = sample origin).
 * @example ddccTrObservation(payloads.ddccTr, 'urn:uuid:…').code
 */
export function ddccTrObservation(cds: DdccTrCoreDataSet, subject: string): Observation {
  const t = cds.test ?? {};
  const obs: Observation = {
    resourceType: 'Observation',
    ...(cds.certificate?.hcid?.value
      ? { identifier: [{ system: 'urn:HCID', value: cds.certificate.hcid.value }] }
      : {}),
    status: 'final',
    category: [LAB],
    code: {
      coding: [t.type ?? { code: 'unknown' }],
      ...(t.pathogen?.code ? { text: `Test for ${t.pathogen.display ?? t.pathogen.code}` } : {}),
    },
    subject: { reference: subject },
    ...(t.date ? { effectiveDateTime: t.date } : {}),
    valueCodeableConcept: { coding: [t.result ?? { code: 'unknown' }] },
  };
  if (t.origin) obs.method = { coding: [t.origin] };
  if (t.centre) obs.performer = [{ display: t.centre.display ?? t.centre.code ?? 'unknown' }];
  if (t.brand || t.manufacturer)
    obs.device = {
      display: [t.brand?.display ?? t.brand?.code, t.manufacturer?.display ?? t.manufacturer?.code]
        .filter(Boolean)
        .join(', '),
    };
  return obs;
}
