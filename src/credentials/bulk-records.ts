/**
 * Batched reads for a bulk issuance batch: one `_id` search for the batch's Immunizations and one for the Patients
 * they name, instead of two store reads per credential (each a trip through the store queue and its metrics).
 * The result is a read-through view of the store: the per-item `records()` runs unchanged on it, so every rule it
 * applies (404/410 for a missing or deleted record, 422 for a patient reference it cannot resolve) stays the one
 * rule; whatever the prefetch did not find (deleted, never stored, a reference of another shape) is read as before.
 */
import type { Immunization, Resource } from '@medplum/fhirtypes';
import { parseSearchQuery } from '../fhir/search/parse.ts';
import type { ReadResult, ResourceStore } from '../storage/store.ts';

/** Values per `_id` criterion (the search layer's cap on OR-ed values is 512). */
const CHUNK = 500;

/** `Patient/<id>` at the end of a reference, absolute or relative: only a hint of what to prefetch. */
const PATIENT_TAIL = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/;

/** A FHIR id (R4 `id` datatype): anything else is left to the per-item read, which refuses it as it always did. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

async function byId(store: ResourceStore, type: string, ids: readonly string[], into: Map<string, Resource>) {
  const unique = [...new Set(ids)].filter((id) => FHIR_ID.test(id));
  for (let i = 0; i < unique.length; i += CHUNK) {
    const part = unique.slice(i, i + CHUNK);
    // Sorted by id, so that SQLite looks each id up in the (type, id) index; in row order it scans every row of the
    // type and tests the list against each (EXPLAIN QUERY PLAN), a cost that grows with the store.
    const criteria: Array<[string, string]> = [
      ['_id', part.join(',')],
      ['_sort', '_id'],
    ];
    const { query } = parseSearchQuery(type, criteria, {
      defaultCount: part.length,
      maxCount: part.length,
    });
    const page = await store.search(query);
    for (const r of page.resources) if (r.resourceType === type && r.id) into.set(`${type}/${r.id}`, r);
  }
}

/**
 * A view of `store` whose `read` answers the batch's Immunizations and their Patients from two searches.
 * @example const view = await prefetchRecords(store, ['imm-1', 'imm-2']); await records(view, 'imm-1')
 */
export async function prefetchRecords(
  store: ResourceStore,
  immunizationIds: readonly string[],
): Promise<ResourceStore> {
  const found = new Map<string, Resource>();
  await byId(store, 'Immunization', immunizationIds, found);
  const patients: string[] = [];
  for (const r of found.values()) {
    const m = PATIENT_TAIL.exec((r as Immunization).patient?.reference ?? '');
    if (m) patients.push(m[1] as string);
  }
  await byId(store, 'Patient', patients, found);
  const read = (type: string, id: string): Promise<ReadResult> => {
    const hit = found.get(`${type}/${id}`);
    return hit ? Promise.resolve({ status: 'found', resource: hit }) : store.read(type, id);
  };
  // Only `read` differs; every other operation is the store's own.
  return new Proxy(store, { get: (target, prop) => (prop === 'read' ? read : Reflect.get(target, prop)) });
}
