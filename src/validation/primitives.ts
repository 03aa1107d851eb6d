/**
 * Checks of FHIR R4 primitive values: the JSON type and the regex each primitive type declares.
 * https://hl7.org/fhir/R4/datatypes.html#primitive and https://hl7.org/fhir/R4/json.html#primitive
 */

const DATE = /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$/;
const DATE_TIME =
  /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/;
const INSTANT =
  /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;

const BASE64_ALPHABET = /^[\s0-9a-zA-Z+/=]*$/;
const WHITESPACE_RUN = /\s+/;

/**
 * The base64Binary regex `^(\s*([0-9a-zA-Z+/=]){4}\s*)+$` without its backtracking: whitespace may only sit between
 * groups of four, so the value matches exactly when it uses only those characters and each whitespace-free run is
 * a multiple of four long, with at least one such run. The regex kept a backtrack entry per group: 65 MB of
 * memory for the 1 MB attachment of one R4 example (ADR 0067).
 */
export function isBase64Binary(value: string): boolean {
  if (!BASE64_ALPHABET.test(value)) return false;
  let any = false;
  for (const run of value.split(WHITESPACE_RUN)) {
    if (run.length % 4 !== 0) return false;
    if (run.length > 0) any = true;
  }
  return any;
}

/** The regexes of the R4 primitive type definitions (`ElementDefinition.type.extension[regex]`). */
const PATTERNS: Readonly<Record<string, { test(value: string): boolean }>> = {
  boolean: /^(true|false)$/,
  integer: /^-?([0]|([1-9][0-9]*))$/,
  decimal: /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/,
  unsignedInt: /^[0]|([1-9][0-9]*)$/,
  positiveInt: /^\+?[1-9][0-9]*$/,
  date: DATE,
  dateTime: DATE_TIME,
  instant: INSTANT,
  time: /^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?$/,
  // \s as in the Java regex the definitions were written for: no-break spaces are not whitespace.
  code: /^[^ \t\n\v\f\r]+([ \t\n\v\f\r][^ \t\n\v\f\r]+)*$/,
  id: /^[A-Za-z0-9\-.]{1,64}$/,
  oid: /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/,
  uuid: /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  uri: /^\S*$/,
  url: /^\S*$/,
  canonical: /^\S*$/,
  base64Binary: { test: isBase64Binary },
};

const NUMERIC = new Set(['integer', 'decimal', 'unsignedInt', 'positiveInt']);
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
/** An XML whitespace character: space, tab, line feed, carriage return (not a no-break space, which is content). */
const isXmlSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
/** Leading or trailing XML whitespace (String.trim would also strip no-break spaces); `value` is not empty. */
const hasEdgeSpace = (value: string): boolean =>
  isXmlSpace(value.charCodeAt(0)) || isXmlSpace(value.charCodeAt(value.length - 1));

export type PrimitiveProblem =
  | { id: 'PRIMITIVE_WRONG_JSON_TYPE'; text: string }
  | { id: 'PRIMITIVE_FORMAT'; text: string }
  | { id: 'PRIMITIVE_EMPTY'; text: string }
  | { id: 'CANONICAL_NOT_ABSOLUTE'; text: string };

/** The source text of a `JSON.rawJSON` number, when the value is one. */
const isRawJSON = (JSON as unknown as { isRawJSON?: (v: unknown) => boolean }).isRawJSON;
function rawNumberText(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !isRawJSON?.(value)) return undefined;
  return String((value as { rawJSON: unknown }).rawJSON);
}

function expectedJsonType(type: string): 'boolean' | 'number' | 'string' {
  if (type === 'string' || type === 'code' || type === 'uri') return 'string'; // the most frequent, decided first
  if (type === 'boolean') return 'boolean';
  return NUMERIC.has(type) ? 'number' : 'string';
}

function rangeProblem(type: string, n: number): string | undefined {
  if (type === 'decimal') return undefined;
  if (!Number.isInteger(n)) return `${n} is not an integer`;
  if (n > INT32_MAX || n < INT32_MIN) return `${n} is outside the 32-bit range of ${type}`;
  if (type === 'unsignedInt' && n < 0) return `${n} is negative`;
  if (type === 'positiveInt' && n < 1) return `${n} is not positive`;
  return undefined;
}

/** What a check of one primitive type reads, worked out once per type (see `primitiveChecker`). */
interface PrimitiveRule {
  readonly type: string;
  readonly expected: 'boolean' | 'number' | 'string';
  readonly pattern: { test(value: string): boolean } | undefined;
  /** Leading or trailing whitespace is an error (all but string, markdown and xhtml). */
  readonly edges: boolean;
}

/** The rules met so far, by type code: checkPrimitive (the $verify slot checks call it per value) reads one here
 * rather than making it again. Type codes come from the loaded definitions, so the map stays small. */
const RULES = new Map<string, PrimitiveRule>();

function ruleOf(type: string): PrimitiveRule {
  let rule = RULES.get(type);
  if (rule === undefined) {
    rule = {
      type,
      expected: expectedJsonType(type),
      pattern: PATTERNS[type],
      edges: type !== 'string' && type !== 'markdown' && type !== 'xhtml',
    };
    RULES.set(type, rule);
  }
  return rule;
}

/**
 * Checks one primitive JSON value against its FHIR type; returns undefined when valid.
 * @example checkPrimitive('date', '2021-13-01') // → { id: 'PRIMITIVE_FORMAT', ... }
 */
export function checkPrimitive(type: string, input: unknown): PrimitiveProblem | undefined {
  return checkAgainst(ruleOf(type), input);
}

/**
 * The check of one primitive type, with its JSON type, pattern and whitespace rule looked up once: the walk keeps it
 * in the element's plan and calls it for every value (checkPrimitive looked them up again each time).
 * @example primitiveChecker('code')('a b') // undefined
 */
export function primitiveChecker(type: string): (input: unknown) => PrimitiveProblem | undefined {
  const rule = ruleOf(type);
  return (input) => checkAgainst(rule, input);
}

function checkAgainst(rule: PrimitiveRule, input: unknown): PrimitiveProblem | undefined {
  const { type, expected } = rule;
  const raw = rawNumberText(input);
  if (raw !== undefined) {
    // A decimal kept verbatim by the strict JSON reader (JSON.rawJSON, docs/decisions/0002): check its source text.
    if (expected !== 'number')
      return {
        id: 'PRIMITIVE_WRONG_JSON_TYPE',
        text: `Error parsing JSON: the primitive value must be a ${expected} (is number)`,
      };
    const re = rule.pattern;
    return re && !re.test(raw)
      ? { id: 'PRIMITIVE_FORMAT', text: `The value '${raw}' is not a valid ${type}` }
      : undefined;
  }
  const value = input;
  if (typeof value !== expected) {
    return {
      id: 'PRIMITIVE_WRONG_JSON_TYPE',
      text: `Error parsing JSON: the primitive value must be a ${expected} (is ${Array.isArray(value) ? 'an array' : typeof value})`,
    };
  }
  if (typeof value === 'number') {
    const problem = rangeProblem(type, value);
    return problem
      ? { id: 'PRIMITIVE_FORMAT', text: `The value '${value}' is not a valid ${type}: ${problem}` }
      : undefined;
  }
  if (typeof value !== 'string') return undefined;
  if (value.length === 0) return { id: 'PRIMITIVE_EMPTY', text: '@value cannot be empty' };
  if (rule.edges && hasEdgeSpace(value)) {
    return {
      id: 'PRIMITIVE_FORMAT',
      text: `The value '${value}' is not a valid ${type}: leading or trailing whitespace`,
    };
  }
  const re = rule.pattern;
  if (re && !re.test(value)) return { id: 'PRIMITIVE_FORMAT', text: `The value '${value}' is not a valid ${type}` };
  // A canonical names a definition by its absolute URL, or a contained one by `#id` (https://hl7.org/fhir/R4/references.html#canonical).
  if (type === 'canonical' && value[0] !== '#' && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value))
    return {
      id: 'CANONICAL_NOT_ABSOLUTE',
      text: `Canonical URLs must be absolute URLs if they are not fragment references (${value})`,
    };
  if (type === 'xhtml' && !/^<div[\s>]/.test(value))
    return { id: 'PRIMITIVE_FORMAT', text: 'The narrative must be an XHTML <div> element' };
  return undefined;
}
