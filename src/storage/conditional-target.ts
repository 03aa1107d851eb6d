/**
 * The decision every adapter makes for a conditional update once it knows which resources the search matched
 * (at most two ids are asked for): the id to update, or undefined to create.
 * https://hl7.org/fhir/R4/http.html#cond-update
 */
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../fhir/outcome.ts';
import type { UpdateOptions } from './store.ts';

export function conditionalTarget(
  resource: Resource,
  ids: readonly string[],
  options: UpdateOptions,
): string | undefined {
  const type = resource.resourceType;
  if (ids.length > 1) {
    fail('precondition-failed', {
      code: 'multiple-matches',
      id: 'STORE_CONDITIONAL_UPDATE_MULTIPLE',
      text: `The conditional update's search matched ${ids.length} or more ${type} resources`,
    });
  }
  const found = ids[0];
  if (found !== undefined) {
    if (resource.id !== undefined && resource.id !== found) {
      fail('invalid', {
        code: 'invalid',
        id: 'STORE_CONDITIONAL_UPDATE_ID_MISMATCH',
        text: `The body's id "${resource.id}" is not the id of the ${type} the search matched ("${found}")`,
        expression: `${type}.id`,
      });
    }
    return found;
  }
  if (options.ifMatch !== undefined) {
    fail('precondition-failed', {
      code: 'conflict',
      id: 'STORE_VERSION_MISMATCH',
      text: `No ${type} matches the conditional update's search; If-Match '${options.ifMatch}' cannot match`,
    });
  }
  // No match: update-as-create under the client's id when it sent one, else a server-assigned id.
  return resource.id;
}
