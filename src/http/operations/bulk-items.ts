/**
 * Which Immunizations a `$issue-hcert-bulk` job issues: those of the patients named (`patient`, or a Group's Patient
 * members), else every stored one, narrowed by `_typeFilter` searches (`Immunization?<search>`, OR-ed as Bulk
 * Data's are). The list is fixed at kick-off, so a resumed job works on exactly what was asked.
 * https://hl7.org/fhir/uv/bulkdata/export.html#_typefilter-query-parameter
 */
import type { Group } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import { parseSearchQuery } from '../../fhir/search/parse.ts';
import type { SearchFilter } from '../../fhir/search/query.ts';
import type { ResourceStore } from '../../storage/store.ts';
import { requireStored } from './records.ts';

/** Items one job may hold (its id list lives in the job record). */
export const BULK_MAX_ITEMS = 100_000;
const PAGE = 1000;
/** Patients per search (each is one OR-ed value of the `patient` criterion; the store bounds values per search). */
const PATIENTS_PER_SEARCH = 200;
const LOCAL_PATIENT = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;

async function idsMatching(store: ResourceStore, filters: SearchFilter[], into: Set<string>): Promise<void> {
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.search({
      resourceType: 'Immunization',
      filters,
      sort: [{ code: '_id', descending: false }],
      count: PAGE,
      offset,
      total: 'none',
      summaryCount: false,
      include: [],
      revinclude: [],
    });
    for (const r of page.resources) if (r.id) into.add(r.id);
    if (!page.hasMore || into.size > BULK_MAX_ITEMS) return;
  }
}

/** `Immunization?date=ge2021-06-01&…` → its search criteria; anything but a plain Immunization search is a 400. */
export function typeFilterCriteria(text: string): SearchFilter[] {
  const bad = (why: string): never =>
    fail('invalid', {
      code: 'value',
      id: 'BULK_TYPE_FILTER_INVALID',
      text: `_typeFilter "${text}" ${why}`,
      expression: '_typeFilter',
    });
  const q = text.indexOf('?');
  if (text.slice(0, q) !== 'Immunization') bad('must be an Immunization search: "Immunization?<parameters>"');
  const params = [...new URLSearchParams(text.slice(q + 1))];
  if (params.length === 0) bad('has no search parameter');
  // Only criteria: paging, sorting, includes and summaries say nothing about which records are issued.
  const result = params.find(([name]) => name.startsWith('_') && !/^_(id|lastUpdated)(:|$)/.test(name));
  if (result) bad(`uses ${result[0]}, which is not a criterion`);
  const { query, ignored } = parseSearchQuery('Immunization', params, { defaultCount: PAGE, maxCount: PAGE });
  if (ignored.length > 0) bad(`uses parameters Immunization has not: ${ignored.join(', ')}`);
  return query.filters;
}

/** The Patient ids a Group lists as active members (a member that is not a local Patient is a 422). */
export async function groupPatients(store: ResourceStore, groupId: string): Promise<string[]> {
  const group = await requireStored<Group>(store, 'Group', groupId, 'Group');
  const ids: string[] = [];
  for (const [i, m] of (group.member ?? []).entries()) {
    if (m.inactive) continue;
    const id = LOCAL_PATIENT.exec(m.entity?.reference ?? '')?.[1];
    if (!id)
      fail('unprocessable', {
        code: 'processing',
        id: 'BULK_GROUP_MEMBER_INVALID',
        text: `Group/${groupId} member ${i} is "${m.entity?.reference ?? ''}", not a Patient stored on this server`,
        expression: `Group.member[${i}].entity`,
      });
    ids.push(id);
  }
  return ids;
}

/** The ids of the stored Patients `patient` parameters name (a reference of another shape is a 400, unknown 404). */
export async function namedPatients(store: ResourceStore, refs: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const ref of refs) {
    const id = LOCAL_PATIENT.exec(ref)?.[1];
    if (!id)
      fail('invalid', {
        code: 'value',
        id: 'BULK_PATIENT_REFERENCE_INVALID',
        text: `patient must be a reference "Patient/<id>" to a stored Patient, got "${ref}"`,
        expression: 'patient',
      });
    await requireStored(store, 'Patient', id, 'patient');
    ids.push(id);
  }
  return ids;
}

/**
 * The Immunization ids of a job: of `patients` (all stored ones when undefined), matching any of `typeFilters`
 * (all when empty); stops once more than BULK_MAX_ITEMS are found (the caller refuses such a job).
 */
export async function bulkItems(
  store: ResourceStore,
  patients: string[] | undefined,
  typeFilters: SearchFilter[][],
): Promise<string[]> {
  const ids = new Set<string>();
  const criteria = typeFilters.length > 0 ? typeFilters : [[]];
  const chunks: (SearchFilter | undefined)[] = [];
  if (patients === undefined) chunks.push(undefined);
  for (let i = 0; patients && i < patients.length; i += PATIENTS_PER_SEARCH) {
    const values = patients
      .slice(i, i + PATIENTS_PER_SEARCH)
      .map((id) => ({ kind: 'reference' as const, resourceType: 'Patient', id }));
    chunks.push({ code: 'patient', type: 'reference', values });
  }
  for (const filters of criteria)
    for (const patient of chunks) {
      if (ids.size > BULK_MAX_ITEMS) break;
      await idsMatching(store, patient ? [patient, ...filters] : filters, ids);
    }
  return [...ids];
}
