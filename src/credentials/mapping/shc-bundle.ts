/**
 * Patient + Immunizations → the SMART Health Card FHIR Bundle (before minification): a `collection` with the
 * patient's identity claims (name, birthDate — or only those `includeIdentityClaim` names) and each Immunization
 * reduced to what the SHC vaccination data model carries (status, vaccineCode, patient, occurrence, performer
 * display, lotNumber). https://spec.smarthealth.cards/#health-cards-are-small · https://build.fhir.org/ig/HL7/fhir-shc-vaccination-ig/
 */
import type { Bundle, Immunization, Patient } from '@medplum/fhirtypes';

export interface ShcBundleResult {
  bundle: Bundle;
  /** `resource:N` → `Immunization/id`, for the operation's resourceLink output. */
  links: { bundledResource: string; hostedResource: string }[];
}

function identity(patient: Patient, claims: readonly string[] | undefined): Patient {
  const want = (element: string): boolean =>
    claims === undefined || claims.includes(`Patient.${element}`) || claims.includes(element);
  const out: Patient = { resourceType: 'Patient' };
  if (want('name'))
    out.name = (patient.name ?? [])
      .filter((n) => n.use !== 'old')
      .map((n) => ({
        ...(n.family ? { family: n.family } : {}),
        ...(n.given ? { given: n.given } : {}),
        ...(!n.family && !n.given && n.text ? { text: n.text } : {}),
      }));
  if (want('birthDate') && patient.birthDate) out.birthDate = patient.birthDate;
  return out;
}

function immunization(imm: Immunization, patientUrl: string): Immunization {
  const out: Immunization = {
    resourceType: 'Immunization',
    status: imm.status,
    vaccineCode: { coding: imm.vaccineCode?.coding ?? [] },
    patient: { reference: patientUrl },
  };
  if (imm.occurrenceDateTime) out.occurrenceDateTime = imm.occurrenceDateTime;
  const performer = imm.performer?.map((p) => p.actor.display).find(Boolean) ?? imm.location?.display;
  if (performer) out.performer = [{ actor: { display: performer } }];
  if (imm.lotNumber) out.lotNumber = imm.lotNumber;
  return out;
}

/**
 * Build the SHC bundle (un-minified; `minifyBundle` of formats/shc does the rest).
 * @example toShcBundle(patient, [imm]).bundle.entry.length // 2
 * @see https://spec.smarthealth.cards/#health-cards-are-small
 */
export function toShcBundle(
  patient: Patient,
  immunizations: readonly Immunization[],
  options: { identityClaims?: readonly string[] } = {},
): ShcBundleResult {
  const patientUrl = 'resource:0';
  const entry: NonNullable<Bundle['entry']> = [
    { fullUrl: patientUrl, resource: identity(patient, options.identityClaims) },
  ];
  const links: ShcBundleResult['links'] = [];
  immunizations.forEach((imm, i) => {
    const url = `resource:${i + 1}`;
    entry.push({ fullUrl: url, resource: immunization(imm, patientUrl) });
    if (imm.id) links.push({ bundledResource: url, hostedResource: `Immunization/${imm.id}` });
  });
  return { bundle: { resourceType: 'Bundle', type: 'collection', entry }, links };
}
