/**
 * $validate at type and instance level. https://hl7.org/fhir/R4/resource-operation-validate.html
 * 200 + OperationOutcome whatever the verdict (an "All OK" information issue when there is nothing to say);
 * 4xx only when the request cannot be used: no resource, a resource of another type, a bad mode.
 */
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { EncodedOutcome } from '../../fhir/encoded-outcome.ts';
import { toPlainJson } from '../../fhir/json.ts';
import { fail, issue, outcome } from '../../fhir/outcome.ts';
import type { Validator } from '../../validation/validator.ts';
import type { WorkBudget } from '../../fhir/work-budget.ts';
import type { FhirResponse, RestContext } from '../fhir-request.ts';
import type { OperationRoute } from '../routes.ts';
import { requireStored } from './records.ts';
import { defineOperation } from './define.ts';
import { DeferredJson } from '../body.ts';
import { checkValidateTarget } from './validate-target.ts';

const MODES = new Set(['create', 'update', 'delete', 'profile']);

/** Validates large resources in a worker thread (validation-pool.ts): undefined means "do it inline". */
export interface OffThreadValidate {
  resource(
    resource: unknown,
    options: { profile?: string; budget?: WorkBudget },
  ): Promise<OperationOutcome> | undefined;
  /**
   * A large body left unparsed by the HTTP shell (DeferredJson): parsed, checked and validated in a worker, which
   * also serializes the outcome (a large outcome is as costly to clone back and serialize as to compute). Resolves to undefined for a body the operation must read itself; undefined at once when no worker is ready.
   */
  body(
    deferred: DeferredJson,
    target: { type: string; id?: string; profile?: string },
    budget?: WorkBudget,
  ): Promise<EncodedOutcome | undefined> | undefined;
}

export function validateOperation(validator: () => Validator, offThread?: OffThreadValidate): OperationRoute {
  return defineOperation('validate', {
    scope: OPERATION_SCOPES.validate,
    handle: async (ctx, req, target, given, read) => {
      let input = given;
      const body = req.body;
      if (body instanceof DeferredJson) {
        // Authorized by now (the router checked the scope): the worker does the parsing and the validation.
        const profile = input.string('profile');
        const away = offThread?.body(
          body,
          { type: target.type as string, ...(target.id ? { id: target.id } : {}), ...(profile ? { profile } : {}) },
          ctx.budget,
        );
        const done = away ? await away : undefined;
        if (done) return { status: 200, resource: done.verdict, encoded: done.json };
        input = read({ query: req.query, body: body.parse() });
      }
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
      checkValidateTarget(resource, type, target.id);
      const profile = input.string('profile');
      const plain = toPlainJson(resource);
      const away = offThread?.resource(plain, profile ? { profile, budget: ctx.budget } : { budget: ctx.budget });
      return {
        status: 200,
        resource: away
          ? await away
          : validator().validate(plain, profile ? { profile, budget: ctx.budget } : { budget: ctx.budget }),
      };
    },
  });
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
