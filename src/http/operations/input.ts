/**
 * Operation input read as its OperationDefinition (profiles/) declares it: from a Parameters body, from the
 * URL query, or — for operations taking one `resource` — from a bare resource body. Undeclared parameters,
 * repeated single-valued ones and a missing required one are 400s naming the parameter.
 * https://hl7.org/fhir/R4/operations.html#request
 */
import { readFileSync } from 'node:fs';
import type { OperationDefinition, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import type { FhirRequest } from '../fhir-request.ts';

export type OperationInput = Map<string, ParametersParameter[]>;

/** Reads `profiles/OperationDefinition-<id>.json` (once per app: callers keep the result). */
export function loadOperationDefinition(id: string): OperationDefinition {
  const url = new URL(`../../../profiles/OperationDefinition-${id}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as OperationDefinition;
}

export function readOperationInput(def: OperationDefinition, req: FhirRequest): OperationInput {
  const declared = new Map((def.parameter ?? []).filter((p) => p.use === 'in').map((p) => [p.name as string, p]));
  const input: OperationInput = new Map();
  const add = (p: ParametersParameter, where: string) => {
    const spec = declared.get(p.name as string);
    if (!spec) fail('invalid', { code: 'invalid', id: 'OPERATION_PARAM_UNKNOWN', text: `$${def.code} has no input parameter "${p.name}"`, expression: where });
    input.set(spec.name as string, [...(input.get(spec.name as string) ?? []), p]);
  };
  for (const [name, value] of req.query) add({ name, valueString: value }, `${def.code}?${name}`);
  const body = req.body as Resource | undefined;
  if (body?.resourceType === 'Parameters') {
    (body.parameter ?? []).forEach((p, i) => add(p, `Parameters.parameter[${i}]`));
  } else if (body !== undefined) {
    if (!declared.has('resource')) fail('invalid', { code: 'invalid', id: 'OPERATION_BODY_NOT_PARAMETERS', text: `$${def.code} takes a Parameters body` });
    add({ name: 'resource', resource: body }, 'resource');
  }
  for (const [name, spec] of declared) {
    const count = input.get(name)?.length ?? 0;
    if (count < (spec.min ?? 0)) fail('invalid', { code: 'required', id: 'OPERATION_PARAM_MISSING', text: `$${def.code} needs the parameter "${name}"`, expression: name });
    if (spec.max !== '*' && count > Number(spec.max ?? '1')) {
      fail('invalid', { code: 'invalid', id: 'OPERATION_PARAM_REPEATED', text: `$${def.code} takes "${name}" at most ${spec.max} time(s)`, expression: name });
    }
  }
  return input;
}

/** The input back as one Parameters resource (query and body parameters together), for readers that take one. */
export function inputAsParameters(input: OperationInput): Parameters {
  return { resourceType: 'Parameters', parameter: [...input.values()].flat() };
}

/** The single string-like value of a parameter (valueString, valueUri, valueCanonical, valueCode…). */
export function stringParam(input: OperationInput, name: string): string | undefined {
  const p = input.get(name)?.[0];
  if (!p) return undefined;
  const value = p.valueString ?? p.valueUri ?? p.valueCanonical ?? p.valueCode ?? p.valueUrl;
  if (typeof value !== 'string') fail('invalid', { code: 'invalid', id: 'OPERATION_PARAM_TYPE', text: `The parameter "${name}" must be a string value`, expression: name });
  return value;
}
