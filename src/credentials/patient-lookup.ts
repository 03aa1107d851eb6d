/** Finding stored Patients by one identifier, for `$summary?identifier=` and `$generate-vhl?sourceIdentifier=`. */
import type { Patient } from '@medplum/fhirtypes';
import type { ResourceStore } from '../storage/store.ts';

/**
 * Up to two stored Patients carrying `code` in `system` (any system when undefined): enough to tell none, one and
 * "more than one" apart without reading every match.
 * @example const found = await patientsWithIdentifier(store, 'urn:oid:1.2.3', 'P1') // found.length 0, 1 or 2
 */
export async function patientsWithIdentifier(
  store: ResourceStore,
  system: string | undefined,
  code: string,
): Promise<Patient[]> {
  const result = await store.search({
    resourceType: 'Patient',
    filters: [
      {
        code: 'identifier',
        type: 'token',
        values: [{ kind: 'token', ...(system !== undefined ? { system } : {}), code }],
      },
    ],
    sort: [],
    count: 2,
    offset: 0,
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
  });
  return result.resources as Patient[];
}
