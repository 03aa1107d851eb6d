/**
 * Strict JSON reading for FHIR bodies. JSON.parse alone accepts duplicate keys (last one wins, silently)
 * and turns `1.50` into `1.5`; FHIR decimals must keep their text (https://hl7.org/fhir/R4/json.html#primitive).
 * A single scan enforces the structural rules, then JSON.parse (native, fast) builds the value, keeping the
 * source text of any number that would not round-trip as `JSON.rawJSON`, which JSON.stringify writes back verbatim.
 */
import { describeJsonProblem, diagnoseJson5 } from './json-diagnostics.ts';
import { fail, issue, OutcomeError } from './outcome.ts';

export interface JsonLimits {
  maxDepth: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 64 };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

interface RawJsonApi {
  rawJSON(text: string): unknown;
  isRawJSON(value: unknown): boolean;
}
const rawJson = JSON as unknown as RawJsonApi;

/** Parses a request body; throws OutcomeError('invalid') with a stable id on every rule it breaks. */
export function parseStrictJson(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): unknown {
  scanStructure(text, limits);
  try {
    // The reviver (~3x the parse) only where a number may lose its text: most bodies ($verify's credential) hold none.
    return JSON.parse(text, mayHoldInexactNumber(text) ? keepDecimalText : undefined);
  } catch (err) {
    // Comments and unquoted names/values, when they are the only faults, are each reported where they are.
    const problems = diagnoseJson5(text);
    if (problems.length > 0) {
      throw new OutcomeError(
        'invalid',
        problems.map((p) =>
          issue({
            code: 'structure',
            id: p.kind === 'comment' ? 'JSON_COMMENT' : 'JSON_UNQUOTED',
            text: describeJsonProblem(p),
          }),
        ),
      );
    }
    return fail('invalid', {
      code: 'structure',
      id: 'JSON_SYNTAX',
      text: `The body is not valid JSON: ${(err as Error).message}`,
    });
  }
}

function keepDecimalText(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && context?.source !== undefined && String(value) !== context.source) {
    return rawJson.rawJSON(context.source);
  }
  return value;
}

/**
 * Every number token, in full (JSON number grammar): after `:`, `,` or `[`, and ended by what may follow a number in
 * JSON. The ending matters: in `"2026-12-03T07:01:02.123Z"` (every stored meta.lastUpdated) `:01` and `:02.123` are
 * followed by `:` and `Z`, so they are not taken for numbers; an earlier test without it ran the reviver on every
 * stored resource. A real number always matches; a match inside a string only adds a token to test.
 */
const NUMBER_TOKEN = /[:,[]\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=[\s,}\]]|$)/g;

/**
 * Whether the reviver could keep any number's text: a token that String(Number(text)) does not give back (`1.50`,
 * `1e2`, `-0`, 17+ significant digits). Plain decimals such as `0.3` or `12.5` round-trip, so a stored Immunization
 * with a doseQuantity does not pay for the reviver.
 */
function mayKeepNumberText(text: string): boolean {
  NUMBER_TOKEN.lastIndex = 0;
  for (let m = NUMBER_TOKEN.exec(text); m !== null; m = NUMBER_TOKEN.exec(text)) {
    const token = m[1] as string;
    if (String(Number(token)) !== token) return true;
  }
  return false;
}

/** A body that is not an object or an array may be a bare number, which no token test sees (it follows nothing). */
function mayHoldInexactNumber(text: string): boolean {
  const first = text.trimStart().charCodeAt(0);
  return (first !== 0x7b /* { */ && first !== 0x5b) /* [ */ || mayKeepNumberText(text);
}

/**
 * Parses JSON this server wrote itself (a stored resource), keeping decimal texts as parseStrictJson does.
 * No structural checks: the text passed them on its way in. The reviver is slow, so it runs only on text that
 * may hold a number whose text it would keep.
 */
export function parseStoredJson<T>(text: string): T {
  return JSON.parse(
    text,
    mayKeepNumberText(text) ? (keepDecimalText as (k: string, v: unknown) => unknown) : undefined,
  ) as T;
}

/** True for a number kept as its source text by parseStrictJson. */
export function isRawNumber(value: unknown): value is { rawJSON: string } {
  return typeof value === 'object' && value !== null && rawJson.isRawJSON(value);
}

/**
 * A copy in which kept decimal texts are plain numbers again, for code that computes on values
 * (FHIRPath, indexing, validation). Returns the input itself when it holds no kept text.
 */
export function toPlainJson<T>(value: T): T {
  return containsRawNumber(value) ? (plainCopy(value) as T) : value;
}

function containsRawNumber(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (rawJson.isRawJSON(value)) return true;
  if (Array.isArray(value)) return value.some(containsRawNumber);
  for (const k in value) if (containsRawNumber((value as Record<string, unknown>)[k])) return true;
  return false;
}

function plainCopy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (rawJson.isRawJSON(value)) return Number((value as { rawJSON: string }).rawJSON);
  if (Array.isArray(value)) return value.map(plainCopy);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = plainCopy(v);
  return out;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * One pass over the text: nesting depth, duplicate and forbidden keys. Syntax errors are left to JSON.parse,
 * so the scan only needs to be right on well-formed input and must merely terminate on anything else.
 */
function scanStructure(text: string, limits: JsonLimits): void {
  const keyStack: Array<Set<string> | null> = [];
  const pathStack: string[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = keyStack[keyStack.length - 1];
      if (expectKey && top) {
        const key = decodeKey(text, i, end);
        checkKey(key, top, pathStack);
        pathStack[pathStack.length - 1] = key;
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      keyStack.push(c === 0x7b ? new Set() : null);
      pathStack.push('');
      if (keyStack.length > limits.maxDepth) {
        fail('invalid', {
          code: 'too-costly',
          id: 'JSON_TOO_DEEP',
          text: `The JSON nests deeper than ${limits.maxDepth} levels`,
          expression: pathOf(pathStack),
        });
      }
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      keyStack.pop();
      pathStack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = keyStack[keyStack.length - 1] instanceof Set;
    }
  }
}

/**
 * The closing quote of the string opening at `start`: the next quote preceded by an even run of backslashes.
 * Native `indexOf` jumps over the text (a character loop took ~50 ms over an 8 MB string value); each backslash is
 * looked at once more at most, so the scan stays linear.
 */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    let slashes = 0;
    while (quote - slashes - 1 > start && text.charCodeAt(quote - slashes - 1) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

function decodeKey(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(text.slice(start, end + 1)) as string;
  } catch {
    return raw; // malformed escape: JSON.parse will report the syntax error
  }
}

function checkKey(key: string, seen: Set<string>, pathStack: string[]): void {
  if (FORBIDDEN_KEYS.has(key)) {
    fail('invalid', {
      code: 'security',
      id: 'JSON_FORBIDDEN_KEY',
      text: `The property name "${key}" is not allowed`,
      expression: pathOf([...pathStack.slice(0, -1), key]),
    });
  }
  if (seen.has(key)) {
    fail('invalid', {
      code: 'structure',
      id: 'JSON_DUPLICATE_KEY',
      text: `The property "${key}" appears more than once in the same object`,
      expression: pathOf([...pathStack.slice(0, -1), key]),
    });
  }
  seen.add(key);
}

/** A best-effort location for the error (array positions are not tracked by the scan). */
function pathOf(parts: string[]): string {
  const named = parts.filter((p) => p !== '');
  return named.length ? named.join('.') : '$';
}
