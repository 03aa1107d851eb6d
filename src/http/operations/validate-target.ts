/**
 * What `$validate` checks of the resource it was given before validating it: a resource, of the URL's type, with
 * the URL's id if it has one. Shared by the operation and the validation worker (large bodies, validation-pool.ts).
 */
import type { Resource } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import { assertResource } from '../../fhir/structure.ts';

export function checkValidateTarget(resource: Resource, type: string, id: string | undefined): void {
  if (
    typeof resource !== 'object' ||
    resource === null ||
    (resource as { resourceType?: unknown }).resourceType === undefined
  )
    assertResource(resource);
  if (resource.resourceType !== type) {
    fail('invalid', {
      code: 'invalid',
      id: 'RESOURCE_TYPE_MISMATCH',
      text: `Expected a ${type} but the resource is a ${resource.resourceType}`,
      expression: 'resource',
    });
  }
  if (id !== undefined && resource.id !== undefined && resource.id !== id) {
    fail('invalid', {
      code: 'invalid',
      id: 'VALIDATE_ID_MISMATCH',
      text: `The resource's id "${resource.id}" differs from the URL's "${id}"`,
      expression: `${type}.id`,
    });
  }
}
