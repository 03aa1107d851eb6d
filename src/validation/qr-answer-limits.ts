/**
 * The limits a Questionnaire item puts on an answer's value: min/max value and length, decimal places, units and
 * quantity bounds, MIME types, reference targets and UUID form (as the HL7 Java validator's QuestionnaireValidator).
 * https://hl7.org/fhir/R4/extensions-list.html
 */
import type { WalkContext } from './context.ts';
import { compare, EXT, type Json, extensions, extValue } from './qr-item-extensions.ts';
import { isResourceType } from './walker.ts';

function decimalPlaces(n: number): number {
  const s = String(n);
  if (/e/i.test(s)) return 0;
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

export function checkAnswerLimits(ctx: WalkContext, q: Json, v: { type: string; value: unknown }, path: string): void {
  const sink = ctx.sink;
  const value = v.value;
  const min = extValue(q, EXT.minValue);
  const max = extValue(q, EXT.maxValue);
  if (min !== undefined && (compare(value, min) ?? 0) < 0)
    sink.add(
      'QR_ANSWER_BELOW_MIN',
      path,
      `The value ${String(value)} is less than the allowed minimum of ${String(min)}`,
    );
  if (max !== undefined && (compare(value, max) ?? 0) > 0)
    sink.add(
      'QR_ANSWER_ABOVE_MAX',
      path,
      `The value ${String(value)} is greater than the allowed maximum of ${String(max)}`,
    );
  if (typeof value === 'string') {
    const minLength = extValue(q, EXT.minLength);
    if (typeof minLength === 'number' && [...value].length < minLength)
      sink.add(
        'QR_ANSWER_TOO_SHORT',
        path,
        `The answer '${value}' is shorter than the required minimum length of ${minLength}`,
      );
    if (typeof q.maxLength === 'number' && [...value].length > q.maxLength)
      sink.add(
        'QR_ANSWER_TOO_LONG',
        path,
        `The answer '${value}' is longer than the allowed maximum length of ${q.maxLength}`,
      );
  }
  const places = extValue(q, EXT.maxDecimalPlaces);
  const number = v.type === 'decimal' ? value : v.type === 'Quantity' ? (value as Json).value : undefined;
  if (typeof places === 'number' && typeof number === 'number' && decimalPlaces(number) > places) {
    sink.add('QR_ANSWER_DECIMAL_PLACES', path, `The value ${number} has too many decimal places (limit = ${places})`);
  }
  if (v.type === 'Quantity') checkQuantity(ctx, q, value as Json, path);
  if (v.type === 'Attachment') {
    const types = extensions(q, EXT.mimeType).map((e) => e.valueCode);
    const ct = (value as Json).contentType;
    if (types.length > 0 && typeof ct === 'string' && !types.includes(ct)) {
      sink.add(
        'QR_ANSWER_MIME_TYPE',
        path,
        `The MIME type ${ct} is not allowed for this answer (allowed: ${types.join(', ')})`,
      );
    }
  }
  if (v.type === 'Reference') checkReferenceAnswer(ctx, q, value as Json, path);
  if (
    v.type === 'uri' &&
    typeof value === 'string' &&
    value.startsWith('urn:uuid:') &&
    !/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)
  ) {
    sink.add('QR_ANSWER_UUID', path, `UUIDs must be valid and lowercase (${value.slice(9)})`);
  }
}

const formalUnit = (qty: Json): string | undefined =>
  typeof qty.system === 'string' && typeof qty.code === 'string' ? `${qty.system}|${qty.code}` : undefined;

function checkQuantity(ctx: WalkContext, q: Json, qty: Json, path: string): void {
  const sink = ctx.sink;
  const units = extensions(q, EXT.unitOption)
    .map((e) => e.valueCoding as Json | undefined)
    .filter((c): c is Json => c !== undefined);
  if (units.length > 0 && !units.some((u) => u.system === qty.system && u.code === qty.code)) {
    sink.add(
      'QR_ANSWER_UNIT',
      path,
      `The unit ${String(qty.system)}#${String(qty.code)} is not one of the allowed units (${units.map((u) => `${String(u.system)}#${String(u.code)}`).join(', ')})`,
    );
  }
  for (const [url, word, below] of [
    [EXT.minQuantity, 'minimum', true],
    [EXT.maxQuantity, 'maximum', false],
  ] as const) {
    const limit = extValue(q, url) as Json | undefined;
    if (limit === undefined || typeof limit !== 'object') continue;
    const a = formalUnit(qty);
    const b = formalUnit(limit);
    if (a === undefined || b === undefined || a !== b) {
      // Different formal units need a UCUM conversion, which this engine does not do: reported as not comparable.
      sink.add(
        'QR_ANSWER_QUANTITY_INCOMPARABLE',
        path,
        `The quantity ${String(qty.value)} ${String(qty.code ?? qty.unit ?? '')} cannot be compared to the allowed ${word} of ${String(limit.value)} ${String(limit.code ?? limit.unit ?? '')}`,
      );
      continue;
    }
    const d = compare(qty.value, limit.value);
    if (d !== undefined && (below ? d < 0 : d > 0)) {
      sink.add(
        below ? 'QR_ANSWER_BELOW_MIN' : 'QR_ANSWER_ABOVE_MAX',
        path,
        `The quantity ${String(qty.value)} is ${below ? 'less' : 'greater'} than the allowed ${word} of ${String(limit.value)}`,
      );
    }
  }
}

function checkReferenceAnswer(ctx: WalkContext, q: Json, ref: Json, path: string): void {
  const sink = ctx.sink;
  const reference = ref.reference;
  if (typeof reference !== 'string' || reference.startsWith('#') || reference.startsWith('urn:')) return;
  if (/\s/.test(reference))
    sink.add('QR_REFERENCE_INVALID', path, `The reference '${reference}' is not a valid reference`);
  const parts = reference.split('/_history/')[0].split('/');
  const type = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  if (type === undefined) return;
  if (!isResourceType(ctx, type)) {
    sink.add('QR_REFERENCE_TYPE_UNKNOWN', path, `The resource type ${type} in the reference ${reference} is not valid`);
    return;
  }
  const allowed = extensions(q, EXT.referenceResource).map((e) => e.valueCode);
  if (allowed.length > 0 && !allowed.includes(type)) {
    sink.add(
      'QR_REFERENCE_TYPE_NOT_ALLOWED',
      path,
      `The resource type '${type}' in the reference ${reference} is not allowed (allowed: ${allowed.join(', ')})`,
    );
  }
}
