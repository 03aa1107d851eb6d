/**
 * Operation input read as its OperationDefinition (profiles/) declares it: from a Parameters body, from the
 * URL query, or — for operations taking one `resource` — from a bare resource body. Undeclared parameters,
 * repeated single-valued ones and a missing required one are 400s naming the parameter. The typed getters
 * read a value as its declared type says (a query value is text, parsed to that type), so every operation
 * refuses bad input with the same message ids; `credentials/` then gets plain typed requests.
 * https://hl7.org/fhir/R4/operations.html#request
 */
import { readFileSync } from 'node:fs';
import type {
  Attachment,
  OperationDefinition,
  OperationDefinitionParameter,
  ParametersParameter,
  Resource,
} from '@medplum/fhirtypes';
import { fail } from '../../fhir/outcome.ts';
import type { FhirRequest } from '../fhir-request.ts';

/** Reads `profiles/OperationDefinition-<id>.json` (once per app: callers keep the result). */
export function loadOperationDefinition(id: string): OperationDefinition {
  const url = new URL(`../../../profiles/OperationDefinition-${id}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as OperationDefinition;
}

/** Declared types whose values are text (valueString, valueUri, valueCode…). */
const TEXT_TYPES = new Set(['string', 'uri', 'url', 'canonical', 'code', 'id', 'markdown', 'oid', 'uuid']);
/** FHIR dateTime: a year, year-month, date, or date and time with an offset. */
const DATE_TIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

const textOf = (p: ParametersParameter): unknown =>
  p.valueString ??
  p.valueUri ??
  p.valueCanonical ??
  p.valueCode ??
  p.valueUrl ??
  p.valueId ??
  p.valueMarkdown ??
  p.valueOid ??
  p.valueUuid;

/** The input of one request, read against its OperationDefinition: typed getters by parameter name. */
export class OperationInput {
  readonly #def: OperationDefinition;
  readonly #declared: Map<string, OperationDefinitionParameter>;
  readonly #values = new Map<string, ParametersParameter[]>();

  constructor(def: OperationDefinition, declared: Map<string, OperationDefinitionParameter>) {
    this.#def = def;
    this.#declared = declared;
  }

  /** @internal used by readOperationInput while reading. */
  add(p: ParametersParameter, where: string): void {
    const spec = this.#declared.get(p.name as string);
    if (!spec)
      fail('invalid', {
        code: 'invalid',
        id: 'OPERATION_PARAM_UNKNOWN',
        text: `$${this.#def.code} has no input parameter "${p.name}"`,
        expression: where,
      });
    this.#values.set(spec.name as string, [...(this.#values.get(spec.name as string) ?? []), p]);
  }

  has(name: string): boolean {
    return (this.#values.get(name)?.length ?? 0) > 0;
  }

  /** The parameters given under `name`, as sent (for parameters with parts). */
  all(name: string): ParametersParameter[] {
    return this.#values.get(name) ?? [];
  }

  /** Every value of a text parameter (string, uri, url, canonical, code…). */
  strings(name: string): string[] {
    this.#expect(name, (t) => TEXT_TYPES.has(t), 'text');
    return this.all(name).map((p) => {
      const value = textOf(p);
      if (typeof value !== 'string') this.#typeError(name, 'a text value');
      return value;
    });
  }

  /** The single value of a text parameter. */
  string(name: string): string | undefined {
    return this.strings(name)[0];
  }

  /** An integer (valueInteger, or a decimal from the query) within [min, max]: OPERATION_PARAM_RANGE otherwise. */
  integer(name: string, range: { min: number; max: number }): number | undefined {
    this.#expect(name, (t) => t === 'integer' || t === 'positiveInt' || t === 'unsignedInt', 'integer');
    const p = this.all(name)[0];
    if (!p) return undefined;
    const value =
      p.valueInteger ??
      (p.valueString !== undefined && /^-?\d+$/.test(p.valueString) ? Number(p.valueString) : undefined);
    if (value === undefined || !Number.isInteger(value) || value < range.min || value > range.max) {
      fail('invalid', {
        code: 'value',
        id: 'OPERATION_PARAM_RANGE',
        text: `The parameter "${name}" must be an integer from ${range.min} to ${range.max}`,
        expression: name,
      });
    }
    return value;
  }

  /** A boolean (valueBoolean, or "true"/"false" from the query). */
  boolean(name: string): boolean | undefined {
    this.#expect(name, (t) => t === 'boolean', 'boolean');
    const p = this.all(name)[0];
    if (!p) return undefined;
    const value = p.valueBoolean ?? (p.valueString === 'true' ? true : p.valueString === 'false' ? false : undefined);
    if (value === undefined) this.#typeError(name, 'a boolean');
    return value;
  }

  /** The text of a dateTime/instant, unparsed, for readers with their own stricter clock rule. */
  dateTimeText(name: string): string | undefined {
    this.#expect(name, (t) => t === 'dateTime' || t === 'instant' || t === 'date', 'dateTime');
    const p = this.all(name)[0];
    if (!p) return undefined;
    const raw = p.valueDateTime ?? p.valueInstant ?? p.valueDate ?? p.valueString;
    if (typeof raw !== 'string') this.#typeError(name, 'a FHIR dateTime');
    return raw;
  }

  /** A FHIR dateTime (a year, month, date, or date-time with an offset): PARAMETER_DATETIME_INVALID otherwise. */
  dateTime(name: string): Date | undefined {
    const raw = this.dateTimeText(name);
    if (raw === undefined) return undefined;
    const t = DATE_TIME.test(raw) ? Date.parse(raw) : NaN;
    if (Number.isNaN(t))
      fail('invalid', {
        code: 'value',
        id: 'PARAMETER_DATETIME_INVALID',
        text: `The parameter "${name}" must be a FHIR dateTime, got "${raw}"`,
        expression: name,
      });
    return new Date(t);
  }

  attachment(name: string): Attachment | undefined {
    this.#expect(name, (t) => t === 'Attachment', 'Attachment');
    const p = this.all(name)[0];
    if (!p) return undefined;
    if (typeof p.valueAttachment !== 'object' || p.valueAttachment === null) this.#typeError(name, 'an Attachment');
    return p.valueAttachment;
  }

  resource(name: string): Resource | undefined {
    this.#expect(name, (t) => t === 'Resource' || /^[A-Z]/.test(t), 'Resource');
    // As given: the operation checks what it got (a bare body that is no resource is its 400 to word).
    return this.all(name)[0]?.resource;
  }

  /** A getter that does not match the declaration is a bug in the operation, not in the request. */
  #expect(name: string, ok: (type: string) => boolean, getter: string): void {
    const spec = this.#declared.get(name);
    if (!spec || !ok(spec.type ?? ''))
      throw new Error(
        `$${this.#def.code}: parameter "${name}" is not declared as ${getter} in its OperationDefinition`,
      );
  }

  #typeError(name: string, what: string): never {
    return fail('invalid', {
      code: 'value',
      id: 'OPERATION_PARAM_TYPE',
      text: `The parameter "${name}" must be ${what}`,
      expression: name,
    });
  }
}

/**
 * The parameter a bare resource body stands for: `resource` when declared, else the only input parameter when it
 * takes a resource (the DDCC IG's `response`, `bundle`), as FHIR allows for an operation with one resource input.
 */
function bareBodyParameter(declared: Map<string, OperationDefinitionParameter>): string | undefined {
  if (declared.has('resource')) return 'resource';
  const only = declared.size === 1 ? [...declared.values()][0] : undefined;
  return only && /^[A-Z]/.test(only.type ?? '') ? (only.name as string) : undefined;
}

export function readOperationInput(def: OperationDefinition, req: Pick<FhirRequest, 'query' | 'body'>): OperationInput {
  const declared = new Map((def.parameter ?? []).filter((p) => p.use === 'in').map((p) => [p.name as string, p]));
  const input = new OperationInput(def, declared);
  for (const [name, value] of req.query) input.add({ name, valueString: value }, `${def.code}?${name}`);
  const body = req.body as Resource | undefined;
  if (body?.resourceType === 'Parameters') {
    (body.parameter ?? []).forEach((p, i) => input.add(p, `Parameters.parameter[${i}]`));
  } else if (body !== undefined) {
    const name = bareBodyParameter(declared);
    if (!name)
      fail('invalid', {
        code: 'invalid',
        id: 'OPERATION_BODY_NOT_PARAMETERS',
        text: `$${def.code} takes a Parameters body`,
      });
    input.add({ name, resource: body }, name);
  }
  for (const [name, spec] of declared) {
    const count = input.all(name).length;
    if (count < (spec.min ?? 0))
      fail('invalid', {
        code: 'required',
        id: 'OPERATION_PARAM_MISSING',
        text: `$${def.code} needs the parameter "${name}"`,
        expression: name,
      });
    if (spec.max !== '*' && count > Number(spec.max ?? '1')) {
      fail('invalid', {
        code: 'invalid',
        id: 'OPERATION_PARAM_REPEATED',
        text: `$${def.code} takes "${name}" at most ${spec.max} time(s)`,
        expression: name,
      });
    }
  }
  return input;
}
