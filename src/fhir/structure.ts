/**
 * Basic structural checks run on every write, before anything is stored: the body is a known R4 resource,
 * its id has the FHIR format, and every element has the JSON type the R4 definitions give it.
 * Profile validation (WHO SMART, IPS) is the validation engine's job; this is the floor under it.
 */
import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { knownResourceType, loadBaseDefinitions } from './base-definitions.ts';
import { issue, OutcomeError } from './outcome.ts';
import { toPlainJson } from './json.ts';

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** Throws OutcomeError('invalid') unless `body` is a structurally valid R4 resource (of `expectedType`, when given). */
export function assertResource(body: unknown, expectedType?: string): asserts body is Resource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OutcomeError(
      'invalid',
      issue({
        code: 'structure',
        id: 'BODY_NOT_RESOURCE',
        text: 'The body must be a JSON object holding a FHIR resource',
      }),
    );
  }
  const type = (body as { resourceType?: unknown }).resourceType;
  if (typeof type !== 'string' || !knownResourceType(type)) {
    const text = typeof type === 'string' ? `Unknown resource type "${type}"` : 'The body has no resourceType';
    throw new OutcomeError(
      'invalid',
      issue({ code: 'structure', id: 'RESOURCE_TYPE_UNKNOWN', text, expression: 'resourceType' }),
    );
  }
  if (expectedType !== undefined && type !== expectedType) {
    throw new OutcomeError(
      'invalid',
      issue({
        code: 'invalid',
        id: 'RESOURCE_TYPE_MISMATCH',
        text: `Expected a ${expectedType} but the body is a ${type}`,
        expression: `${type}.resourceType`,
      }),
    );
  }
  const id = (body as { id?: unknown }).id;
  if (id !== undefined && (typeof id !== 'string' || !isValidId(id))) {
    throw new OutcomeError(
      'invalid',
      issue({
        code: 'value',
        id: 'ID_INVALID',
        text: 'The id must be 1-64 characters of A-Z, a-z, 0-9, "-" and "."',
        expression: `${type}.id`,
      }),
    );
  }
  const issues = structuralIssues(body as Resource);
  if (issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) throw new OutcomeError('invalid', issues);
}

function structuralIssues(resource: Resource): OperationOutcomeIssue[] {
  loadBaseDefinitions();
  try {
    return validateResource(toPlainJson(resource)).map(relabel);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return (err.outcome.issue ?? []).map(relabel);
    throw err;
  }
}

/** Gives medplum's issues our stable message id so every issue on the wire carries one. */
function relabel(i: OperationOutcomeIssue): OperationOutcomeIssue {
  const text = i.details?.text ?? i.diagnostics ?? 'Structural error';
  return issue({ severity: i.severity, code: i.code, id: 'STRUCTURE_INVALID', text, expression: i.expression });
}
