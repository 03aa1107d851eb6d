/**
 * The patient-compartment key `pk` stored on resource and history documents: the field a sharded deployment
 * hashes on (docs/scaling.md). A Patient's key is its own id; a resource that refers to exactly one Patient
 * through its `patient` (else `subject`) search parameter takes that patient's id, so a patient's records share
 * a key; anything else keys on itself, which spreads it evenly.
 * https://hl7.org/fhir/R4/compartmentdefinition-patient.html
 */
import type { ResourceIndex } from '../../fhir/search/index-values.ts';

function singlePatient(index: ResourceIndex, param: string): string | undefined {
  const ids = new Set(index.reference.filter((r) => r.param === param && r.type === 'Patient').map((r) => r.id));
  return ids.size === 1 ? [...ids][0] : undefined;
}

/** The patient-compartment key of a resource version. */
export function patientKey(resourceType: string, id: string, index: ResourceIndex): string {
  if (resourceType === 'Patient') return `Patient/${id}`;
  const patient = singlePatient(index, 'patient') ?? singlePatient(index, 'subject');
  return patient !== undefined ? `Patient/${patient}` : `${resourceType}/${id}`;
}
