/**
 * `minValue[x]`, `maxValue[x]` and `maxLength` of an element (https://hl7.org/fhir/R4/elementdefinition.html): a
 * number against a number, a date/time against a date/time, a Quantity against a Quantity (converted with UCUM when
 * the units differ, as the HL7 validator does). A limit of another type than the value (a Duration on a `date`) is
 * not comparable and is left alone, as the HL7 validator leaves it.
 */
import type { IssueSink } from './issues.ts';
import type { ElementNode, ValueLimit } from './model.ts';
import { UCUM_SYSTEM, ucumConvert } from './ucum.ts';

const NUMBER_CODES = new Set(['integer', 'decimal', 'positiveInt', 'unsignedInt', 'integer64']);
const NUMBER_LIMITS = new Set(['Integer', 'Decimal', 'PositiveInt', 'UnsignedInt', 'Integer64']);
const TEMPORAL_CODES = new Set(['date', 'dateTime', 'instant', 'time']);
const TEMPORAL_LIMITS = new Set(['Date', 'DateTime', 'Instant', 'Time']);

/**
 * Compares two date/time texts over the precision both carry (a year against a full date compares the year), after
 * bringing a time zone offset to UTC where both have a time.
 */
function compareTemporal(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  if (n > 10 && a.includes('T') && b.includes('T')) {
    const ta = Date.parse(a);
    const tb = Date.parse(b);
    if (!Number.isNaN(ta) && !Number.isNaN(tb)) return Math.sign(ta - tb);
  }
  const x = a.slice(0, n);
  const y = b.slice(0, n);
  return x < y ? -1 : x > y ? 1 : 0;
}

function compare(code: string, value: unknown, limit: ValueLimit): number | undefined {
  if (NUMBER_CODES.has(code) && NUMBER_LIMITS.has(limit.type) && typeof value === 'number') {
    const l = Number(limit.value);
    return Number.isNaN(l) ? undefined : Math.sign(value - l);
  }
  if (TEMPORAL_CODES.has(code) && TEMPORAL_LIMITS.has(limit.type) && typeof value === 'string') {
    if ((code === 'time') !== (limit.type === 'Time') || typeof limit.value !== 'string') return undefined;
    return compareTemporal(value, limit.value);
  }
  return undefined;
}

/** Checks a primitive value against the element's minValue, maxValue and maxLength. */
export function checkPrimitiveLimits(
  sink: IssueSink,
  node: ElementNode,
  code: string,
  value: unknown,
  path: string,
): void {
  if (node.minValue) {
    const c = compare(code, value, node.minValue);
    if (c !== undefined && c < 0)
      sink.add(
        'VALUE_BELOW_MIN',
        path,
        `The value ${String(value)} is less than the permitted minimum value ${String(node.minValue.value)}`,
      );
  }
  if (node.maxValue) {
    const c = compare(code, value, node.maxValue);
    if (c !== undefined && c > 0)
      sink.add(
        'VALUE_ABOVE_MAX',
        path,
        `The value ${String(value)} is greater than the permitted maximum value ${String(node.maxValue.value)}`,
      );
  }
  if (node.maxLength !== undefined && typeof value === 'string' && [...value].length > node.maxLength)
    sink.add(
      'VALUE_TOO_LONG',
      path,
      `The value is ${[...value].length} characters long, more than the maxLength ${node.maxLength}`,
    );
}

interface Quantity {
  value?: unknown;
  code?: unknown;
  system?: unknown;
  unit?: unknown;
}

/** The instance quantity's value in the limit's units, or undefined when they cannot be compared. */
function inLimitUnits(q: Quantity, limit: Quantity): number | undefined {
  if (typeof q.value !== 'number' || typeof limit.value !== 'number') return undefined;
  if (q.system === limit.system && q.code === limit.code) return q.value;
  if (q.system !== UCUM_SYSTEM || limit.system !== UCUM_SYSTEM) return undefined;
  if (typeof q.code !== 'string' || typeof limit.code !== 'string') return undefined;
  return ucumConvert(q.code, q.value, limit.code);
}

const QUANTITY_LIMITS = new Set(['Quantity', 'Age', 'Duration', 'Distance', 'Count', 'SimpleQuantity']);
const label = (q: Quantity) => `${String(q.value)} ${String(q.code ?? q.unit ?? '')}`.trim();

/** Checks a Quantity (or Age, Duration, ...) against Quantity limits of its element. */
export function checkQuantityLimits(sink: IssueSink, node: ElementNode, q: Quantity, path: string): void {
  for (const [limit, sign] of [
    [node.minValue, -1],
    [node.maxValue, 1],
  ] as const) {
    if (!limit || !QUANTITY_LIMITS.has(limit.type) || typeof limit.value !== 'object' || limit.value === null) continue;
    const l = limit.value as Quantity;
    const v = inLimitUnits(q, l);
    if (v === undefined || typeof l.value !== 'number' || Math.sign(v - l.value) !== sign) continue;
    if (sign < 0)
      sink.add(
        'VALUE_BELOW_MIN',
        path,
        `The value in the instance (${label(q)}) is less than the specified minValue (${label(l)})`,
      );
    else
      sink.add(
        'VALUE_ABOVE_MAX',
        path,
        `The value in the instance (${label(q)}) is greater than the specified maxValue (${label(l)})`,
      );
  }
}
