/**
 * The documents a VHL folder holds for a `sourceIdentifier` (ITI-YY3 "locates the Patient … assembles a folder of
 * available health documents"): the IPS document Bundles stored for the patient (their Composition's subject is a
 * Patient entry carrying the identifier), newest first; and the stored Patient, when there is one, so the caller can
 * make its `$summary` when no document is stored. Stored documents are Bundles, not split into resources, so they
 * are found by reading the newest document Bundles (at most MAX_SCANNED), a bound a later search index could lift.
 */
import { patientsWithIdentifier } from './patient-lookup.ts';
import type { Bundle, Identifier, Patient } from '@medplum/fhirtypes';
import { fail } from '../fhir/outcome.ts';
import type { ResourceStore } from '../storage/store.ts';

/** Newest stored document Bundles looked at per request. */
export const MAX_SCANNED = 200;
/** Documents put in one folder. */
export const MAX_DOCUMENTS = 10;

export interface PatientDocuments {
  patient?: Patient;
  documents: Bundle[];
}

const hasIdentifier = (ids: Identifier[] | undefined, system: string, value: string): boolean =>
  (ids ?? []).some((i) => i.system === system && i.value === value);

/** The Patient a document is about: the entry its Composition's subject names. */
function documentPatient(bundle: Bundle): Patient | undefined {
  const composition = bundle.entry?.[0]?.resource;
  if (composition?.resourceType !== 'Composition') return undefined;
  const ref = composition.subject?.reference;
  const entry = bundle.entry?.find(
    (e) =>
      e.resource?.resourceType === 'Patient' &&
      (e.fullUrl === ref || (e.resource.id !== undefined && ref === `Patient/${e.resource.id}`)),
  );
  return entry?.resource as Patient | undefined;
}

async function storedPatient(store: ResourceStore, system: string, value: string): Promise<Patient | undefined> {
  const found = await patientsWithIdentifier(store, system, value);
  if (found.length > 1)
    fail('unprocessable', {
      code: 'multiple-matches',
      id: 'VHL_PATIENT_NOT_FOUND',
      text: 'More than one stored Patient carries this sourceIdentifier; no folder was made',
      expression: 'sourceIdentifier',
    });
  return found[0];
}

/**
 * The stored Patient and IPS documents for `system|value`.
 * @example const { patient, documents } = await patientDocuments(store, 'urn:oid:1.2', 'P1')
 */
export async function patientDocuments(store: ResourceStore, system: string, value: string): Promise<PatientDocuments> {
  const patient = await storedPatient(store, system, value);
  const result = await store.search({
    resourceType: 'Bundle',
    filters: [{ code: 'type', type: 'token', values: [{ kind: 'token', code: 'document' }] }],
    sort: [{ code: '_lastUpdated', descending: true }],
    count: MAX_SCANNED,
    offset: 0,
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
  });
  const documents = (result.resources as Bundle[])
    .filter((b) => hasIdentifier(documentPatient(b)?.identifier, system, value))
    .slice(0, MAX_DOCUMENTS);
  return patient ? { patient, documents } : { documents };
}
