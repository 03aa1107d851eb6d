/** The reference our direct search-path forms are compared with: @medplum/core's FHIRPath over the typed resource. */
import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { FhirPathAtom, TypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';

/** `atom` evaluated by Medplum on `resource`, with `%resource` bound as a search parameter's expression expects. */
export function medplumEval(atom: FhirPathAtom, resource: Resource): TypedValue[] {
  const typed = toTypedValue(resource);
  return evalFhirPathTyped(atom, [typed], { '%resource': typed });
}
