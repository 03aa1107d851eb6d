/**
 * The stored records an issuance starts from: a Patient with their Immunizations, or one Immunization with its
 * Patient. Only what this server holds is used (a reference elsewhere is a 422, never fetched).
 */
import type { Immunization, Patient, Resource } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import type { ResourceStore } from '../../storage/store.ts';

/** Enough for any vaccination history; the certificate is made from the latest completed dose. */
const MAX_IMMUNIZATIONS = 1000;

export interface PatientRecords {
  patient: Patient;
  immunizations: Immunization[];
}

/**
 * Read or fail, the one rule for every operation that starts from a stored resource: never stored is 404
 * RESOURCE_NOT_FOUND, deleted is 410 RESOURCE_DELETED, as a FHIR read answers (https://hl7.org/fhir/R4/http.html#read).
 */
export async function requireStored<T extends Resource>(
  store: ResourceStore,
  type: T['resourceType'],
  id: string,
  expression: string = type,
): Promise<T> {
  const found = await store.read(type, id);
  if (found.status === 'found') return found.resource as T;
  const gone = found.status === 'deleted';
  return fail(gone ? 'gone' : 'not-found', {
    code: gone ? 'deleted' : 'not-found',
    id: gone ? 'RESOURCE_DELETED' : 'RESOURCE_NOT_FOUND',
    text: `${type}/${id} is ${gone ? 'deleted' : 'not known'}`,
    expression,
  });
}

export async function patientImmunizations(store: ResourceStore, patientId: string): Promise<Immunization[]> {
  const result = await store.search({
    resourceType: 'Immunization',
    filters: [
      { code: 'patient', type: 'reference', values: [{ kind: 'reference', resourceType: 'Patient', id: patientId }] },
    ],
    sort: [],
    count: MAX_IMMUNIZATIONS,
    offset: 0,
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
  });
  return result.resources as Immunization[];
}

/** `Patient/{id}`: the patient and all their stored immunizations. */
export async function recordsOfPatient(store: ResourceStore, patientId: string): Promise<PatientRecords> {
  const patient = await requireStored<Patient>(store, 'Patient', patientId, 'Patient');
  return { patient, immunizations: await patientImmunizations(store, patientId) };
}

/** `Immunization/{id}`: that immunization and the stored Patient it names. */
export async function recordsOfImmunization(
  store: ResourceStore,
  immunizationId: string,
  baseUrl: string,
): Promise<PatientRecords> {
  const immunization = await requireStored<Immunization>(store, 'Immunization', immunizationId, 'Immunization');
  const ref = immunization.patient?.reference ?? '';
  const local = ref.startsWith(`${baseUrl}/`) ? ref.slice(baseUrl.length + 1) : ref;
  const m = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(local);
  const unresolved = (): never =>
    fail('unprocessable', {
      code: 'processing',
      id: 'IMMUNIZATION_PATIENT_UNRESOLVED',
      text: `Immunization/${immunizationId} names its patient as "${ref}", which is not a Patient stored on this server`,
      expression: 'Immunization.patient',
    });
  if (!m) return unresolved();
  // The operation's target exists: a patient it names that this server does not hold is a 422, not a 404.
  const found = await store.read('Patient', m[1]);
  if (found.status !== 'found') return unresolved();
  return { patient: found.resource as Patient, immunizations: [immunization] };
}
