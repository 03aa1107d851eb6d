/**
 * $validate at type and instance level. https://hl7.org/fhir/R4/resource-operation-validate.html
 * 200 + OperationOutcome whatever the verdict (an "All OK" information issue when there is nothing to say);
 * 4xx only when the request cannot be used: no resource, a resource of another type, a bad mode.
 */
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { toPlainJson } from '../../fhir/json.ts';
import { fail, issue, outcome } from '../../fhir/outcome.ts';
import { assertResource } from '../../fhir/structure.ts';
import type { Validator } from '../../validation/validator.ts';
import type { FhirResponse, RestContext } from '../fhir-request.ts';
import type { OperationRoute } from '../routes.ts';
import { requireStored } from './records.ts';
import { defineOperation } from './define.ts';

const MODES = new Set(['create', 'update', 'delete', 'profile']);

/** Validates large resources in a worker thread (validation-pool.ts): undefined means "do it inline". */
export type OffThreadValidate = (
  resource: unknown,
  options: { profile?: string },
) => Promise<OperationOutcome> | undefined;

export function validateOperation(validator: () => Validator, offThread?: OffThreadValidate): OperationRoute {
  return defineOperation('validate', {
    scope: OPERATION_SCOPES.validate,
    handle: async (ctx, _req, target, input) => {
      const mode = input.string('mode');
      if (mode !== undefined && !MODES.has(mode)) {
        fail('invalid', {
          code: 'code-invalid',
          id: 'VALIDATE_MODE_UNKNOWN',
          text: `mode must be create, update, delete or profile, got "${mode}"`,
          expression: 'mode',
        });
      }
      const type = target.type as string;
      if (mode === 'delete') return deleteMode(ctx, type, target.id);
      const resource = input.resource('resource') ?? (target.id ? await stored(ctx, type, target.id) : undefined);
      if (!resource)
        fail('invalid', {
          code: 'required',
          id: 'VALIDATE_RESOURCE_MISSING',
          text: `$validate needs the ${type} to validate, as the body or the "resource" parameter`,
        });
      checkTarget(resource, type, target.id);
      const profile = input.string('profile');
      const plain = toPlainJson(resource);
      const away = offThread?.(plain, profile ? { profile } : {});
      return {
        status: 200,
        resource: away
          ? await away
          : validator().validate(plain, profile ? { profile, budget: ctx.budget } : { budget: ctx.budget }),
      };
    },
  });
}

function checkTarget(resource: Resource, type: string, id: string | undefined): void {
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

const stored = (ctx: RestContext, type: string, id: string): Promise<Resource> =>
  requireStored(ctx.store, type as Resource['resourceType'], id);

/** mode=delete: this server has no rule against deleting, so the answer is whether there is something to delete. */
async function deleteMode(ctx: RestContext, type: string, id: string | undefined): Promise<FhirResponse> {
  if (!id)
    fail('invalid', {
      code: 'invalid',
      id: 'VALIDATE_DELETE_NEEDS_ID',
      text: 'mode=delete is asked at instance level: [type]/[id]/$validate',
    });
  await stored(ctx, type, id);
  return {
    status: 200,
    resource: outcome([
      issue({
        severity: 'information',
        code: 'informational',
        id: 'VALIDATION_OK',
        text: `${type}/${id} may be deleted`,
      }),
    ]),
  };
}
