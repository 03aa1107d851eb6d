/** Input parameters shared by the issuance operations. */
import { fail } from '../../fhir/outcome.ts';
import type { OperationInput } from './input.ts';

export type QrFormat = 'png' | 'svg';

/** `qrFormat` (png | svg | none, repeatable): which QR images to render; default both. */
export function qrFormatsParam(input: OperationInput): QrFormat[] {
  const given = (input.get('qrFormat') ?? []).map((p) => p.valueCode ?? p.valueString);
  if (given.length === 0) return ['png', 'svg'];
  const formats = new Set<QrFormat>();
  for (const f of given) {
    if (f === 'png' || f === 'svg') formats.add(f);
    else if (f !== 'none') fail('invalid', { code: 'code-invalid', id: 'QR_FORMAT_UNKNOWN', text: `qrFormat must be png, svg or none, got "${String(f)}"`, expression: 'qrFormat' });
  }
  return [...formats];
}

/** An integer parameter (valueInteger, or a decimal string from the query) within [min, max]. */
export function intParam(input: OperationInput, name: string, min: number, max: number): number | undefined {
  const p = input.get(name)?.[0];
  if (!p) return undefined;
  const value = p.valueInteger ?? (p.valueString !== undefined && /^-?\d+$/.test(p.valueString) ? Number(p.valueString) : undefined);
  if (value === undefined || !Number.isInteger(value) || value < min || value > max) {
    fail('invalid', { code: 'value', id: 'OPERATION_PARAM_RANGE', text: `The parameter "${name}" must be an integer from ${min} to ${max}`, expression: name });
  }
  return value;
}

/** A boolean parameter (valueBoolean, or "true"/"false" from the query). */
export function boolParam(input: OperationInput, name: string): boolean | undefined {
  const p = input.get(name)?.[0];
  if (!p) return undefined;
  const value = p.valueBoolean ?? (p.valueString === 'true' ? true : p.valueString === 'false' ? false : undefined);
  if (value === undefined) fail('invalid', { code: 'value', id: 'OPERATION_PARAM_TYPE', text: `The parameter "${name}" must be a boolean`, expression: name });
  return value;
}

/** A dateTime parameter (valueDateTime/valueInstant, or text from the query). */
export function dateParam(input: OperationInput, name: string): Date | undefined {
  const p = input.get(name)?.[0];
  if (!p) return undefined;
  const raw = p.valueDateTime ?? p.valueInstant ?? p.valueString;
  const t = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(t)) fail('invalid', { code: 'value', id: 'PARAMETER_DATETIME_INVALID', text: `The parameter "${name}" must be a FHIR dateTime`, expression: name });
  return new Date(t);
}
