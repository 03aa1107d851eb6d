/**
 * Invariant groups: the invariants the R4 definitions put on every ElementDefinition (eld-2 … eld-22) and on each of
 * its types (eld-4, eld-17), answered together from one read of the element's keys. Answered one by one, each of the
 * fourteen root invariants read the element's keys again to find its guard element absent; over the R4 examples that
 * was about a sixth of all validation time (ElementDefinitions are most of what a StructureDefinition holds).
 *
 * A group answers only for the plain shape and leaves the rest to the member's own form (shortcut, simple compiler or
 * FHIRPath): any `_name` key, a null, an empty string or a value of another JSON type makes the members that read it
 * UNSURE. A name counts as absent only when no key can hold it (its choice keys included); a key whose value is
 * null or an empty list still counts as there, which only ever makes an answer UNSURE. A member is known by its
 * expression text, exactly as the R4 definitions write it, so a profile that changes an expression loses nothing but
 * this speed. invariant-groups.test.ts holds every sure answer against the FHIRPath engine.
 */
import { isObject, type Json } from './shortcut-shape.ts';

export const FAILS = 0;
export const HOLDS = 1;
export const UNSURE = 2;

export interface InvariantGroup {
  readonly name: string;
  /** The member expressions; a member's slot is its index. */
  readonly expressions: readonly string[];
  /** Fills `out[slot]` with HOLDS, FAILS or UNSURE for every member, for one value; true when every member HOLDS. */
  readonly answer: (value: unknown, out: Uint8Array) => boolean;
}

const verdict = (holds: boolean): number => (holds ? HOLDS : FAILS);
const plainString = (s: unknown): s is string => typeof s === 'string' && s !== '';

// Which of the names the members read has a key in the element (bits).
const MIN = 1 << 0;
const MAX = 1 << 1;
const CONTENT_REFERENCE = 1 << 2;
const TYPE = 1 << 3;
const DEFAULT_VALUE = 1 << 4;
const FIXED = 1 << 5;
const PATTERN = 1 << 6;
const EXAMPLE = 1 << 7;
const MIN_VALUE = 1 << 8;
const MAX_VALUE = 1 << 9;
const MAX_LENGTH = 1 << 10;
const BINDING = 1 << 11;
const MEANING_WHEN_MISSING = 1 << 12;
const SLICE_NAME = 1 << 13;
const SLICE_IS_CONSTRAINING = 1 << 14;
const IS_MODIFIER = 1 << 15;
const IS_MODIFIER_REASON = 1 << 16;
/** A `_name` key: a primitive extension whose element FHIRPath may see; every member is left to its own form. */
const TWIN = 1 << 30;

const isUpper = (c: number): boolean => c >= 65 && c <= 90;
/** Whether `key` may hold the choice element `stem`: a choice key (`fixedString` of `fixed`), or the stem itself. */
const choiceOf = (key: string, stem: string): boolean =>
  key.startsWith(stem) && (key.length === stem.length || isUpper(key.charCodeAt(stem.length)));

/**
 * The values the members read, taken in the same pass over the keys: a named read of a parsed JSON object costs
 * ~40 ns where the objects have hundreds of key orders (a megamorphic load), and the pass reads each value by its key
 * for far less. One record, refilled for each element (answers are synchronous and never nested).
 */
const read = {
  min: undefined as unknown,
  max: undefined as unknown,
  type: undefined as unknown,
  constraint: undefined as unknown,
  path: undefined as unknown,
  sliceName: undefined as unknown,
  sliceIsConstraining: undefined as unknown,
  isModifier: undefined as unknown,
  isModifierReason: undefined as unknown,
};

/** The names of the members' reads that have a key in `o`, as bits (their values in `read`); TWIN when a `_name`
 * key is there. */
function elementKeys(o: Json): number {
  read.min = read.max = read.type = read.constraint = read.path = undefined;
  read.sliceName = read.sliceIsConstraining = read.isModifier = read.isModifierReason = undefined;
  let seen = 0;
  for (const key in o) {
    switch (key) {
      case 'min':
        seen |= MIN;
        read.min = o[key];
        break;
      case 'max':
        seen |= MAX;
        read.max = o[key];
        break;
      case 'contentReference':
        seen |= CONTENT_REFERENCE;
        break;
      case 'type':
        seen |= TYPE;
        read.type = o[key];
        break;
      case 'example':
        seen |= EXAMPLE;
        break;
      case 'maxLength':
        seen |= MAX_LENGTH;
        break;
      case 'binding':
        seen |= BINDING;
        break;
      case 'meaningWhenMissing':
        seen |= MEANING_WHEN_MISSING;
        break;
      case 'sliceName':
        seen |= SLICE_NAME;
        read.sliceName = o[key];
        break;
      case 'sliceIsConstraining':
        seen |= SLICE_IS_CONSTRAINING;
        read.sliceIsConstraining = o[key];
        break;
      case 'isModifier':
        seen |= IS_MODIFIER;
        read.isModifier = o[key];
        break;
      case 'isModifierReason':
        seen |= IS_MODIFIER_REASON;
        read.isModifierReason = o[key];
        break;
      case 'path':
        read.path = o[key];
        break;
      case 'constraint':
        read.constraint = o[key];
        break;
      // The usual keys no member reads, named so that they skip the choice tests below.
      case 'id':
      case 'short':
      case 'definition':
      case 'comment':
      case 'requirements':
      case 'alias':
      case 'base':
      case 'mapping':
      case 'mustSupport':
      case 'isSummary':
      case 'extension':
      case 'code':
      case 'slicing':
      case 'label':
      case 'condition':
        break;
      default:
        if (key.charCodeAt(0) === 95) return TWIN;
        if (choiceOf(key, 'fixed')) seen |= FIXED;
        else if (choiceOf(key, 'pattern')) seen |= PATTERN;
        else if (choiceOf(key, 'defaultValue')) seen |= DEFAULT_VALUE;
        else if (choiceOf(key, 'minValue')) seen |= MIN_VALUE;
        else if (choiceOf(key, 'maxValue')) seen |= MAX_VALUE;
    }
  }
  return seen;
}

/** `list.count()` when `list` is absent or a list of objects (what FHIRPath counts), else -1. */
function plainCount(list: unknown): number {
  if (list === undefined) return 0;
  if (!Array.isArray(list)) return -1;
  for (const item of list) if (!isObject(item)) return -1;
  return list.length;
}

/** The strings met so far by `distinct` (reused: lists are short, and answers never nest). */
const met: string[] = [];

/** `list.select(field).isDistinct()` over a list of objects whose field is absent or a plain string. Each item's
 * keys are read in one pass (see `read`), and the few earlier values are compared in place rather than put in a set.
 * Also the eld-13/eld-14 shortcuts' answer when the group as a whole is unsure (invariant-shortcuts.ts). */
export function distinct(list: unknown, field: string, fieldTwin: string): number {
  if (list === undefined) return HOLDS;
  if (!Array.isArray(list)) return UNSURE;
  let verdict = HOLDS;
  let count = 0;
  for (const item of list) {
    if (!isObject(item)) return UNSURE;
    let s: unknown;
    for (const key in item) {
      if (key === field) s = item[key];
      else if (key === fieldTwin) return UNSURE;
    }
    if (s === undefined) continue;
    if (!plainString(s)) return UNSURE;
    for (let j = 0; j < count && verdict === HOLDS; j++) if (met[j] === s) verdict = FAILS;
    met[count++] = s;
  }
  return verdict;
}

/** eld-2: min ≤ max, read as FHIRPath reads a number and a string. */
function minWithinMax(min: unknown, max: unknown, seen: number): number {
  if (!(seen & MIN) || !(seen & MAX)) return HOLDS;
  if (typeof min !== 'number' || !plainString(max)) return UNSURE;
  if (max === '*') return HOLDS;
  return /^[0-9]+$/.test(max) ? verdict(min <= Number(max)) : UNSURE;
}

/** eld-6 / eld-7: a fixed (pattern) value needs at most one type. */
function oneTypeIfSet(seen: number, bit: number, typeCount: number): number {
  if (!(seen & bit)) return HOLDS;
  return typeCount >= 0 && typeCount <= 1 ? HOLDS : UNSURE;
}

/** eld-11: a binding needs a type (any type: `type.select(<boolean>)` yields one value per type). */
function bindingHasType(types: unknown, seen: number): number {
  if (!(seen & BINDING)) return HOLDS;
  if (!Array.isArray(types)) return UNSURE;
  for (const t of types) if (isObject(t) && plainString(t.code) && t._code === undefined) return HOLDS;
  return UNSURE;
}

const SLICE_NAME_CHARS = /^[a-zA-Z0-9/\-_[\]@]+$/;
/** eld-19 is `path.matches(C{1,64}(\.C{1,64}…)*)`, unanchored: it matches where one character of the class C does. */
const PATH_CHAR = /[^\s.,:;'"/|?!@#$%&*()[\]{}]/;
/** eld-20 likewise starts `[A-Za-z]`, and the rest may match nothing: one ASCII letter anywhere. */
const PATH_LETTER = /[A-Za-z]/;

/** Whether the first `n` answers all hold (the common case, where the runner has nothing left to look at). */
function allHold(out: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (out[i] !== HOLDS) return false;
  return true;
}

function answerElementDefinition(value: unknown, out: Uint8Array): boolean {
  out.fill(UNSURE);
  if (!isObject(value)) return false;
  const seen = elementKeys(value);
  if (seen & TWIN) return false;
  const { path, sliceName, type } = read;
  const typeCount = plainCount(type);
  // eld-2
  out[0] = minWithinMax(read.min, read.max, seen);
  // eld-5: a content reference carries no type, value, example, limit or binding of its own.
  if (!(seen & CONTENT_REFERENCE)) out[1] = HOLDS;
  else if (!(seen & (TYPE | DEFAULT_VALUE | FIXED | PATTERN | EXAMPLE | MIN_VALUE | MAX_VALUE | MAX_LENGTH | BINDING)))
    out[1] = HOLDS;
  // eld-6, eld-7
  out[2] = oneTypeIfSet(seen, FIXED, typeCount);
  out[3] = oneTypeIfSet(seen, PATTERN, typeCount);
  // eld-8
  if (!(seen & PATTERN) || !(seen & FIXED)) out[4] = HOLDS;
  // eld-11
  out[5] = bindingHasType(type, seen);
  // eld-13, eld-14
  out[6] = distinct(type, 'code', '_code');
  out[7] = distinct(read.constraint, 'key', '_key');
  // eld-15
  if (!(seen & DEFAULT_VALUE) || !(seen & MEANING_WHEN_MISSING)) out[8] = HOLDS;
  // eld-16
  if (!(seen & SLICE_NAME)) out[9] = HOLDS;
  else if (plainString(sliceName)) out[9] = verdict(SLICE_NAME_CHARS.test(sliceName));
  // eld-18: a modifier says why.
  const isModifier = read.isModifier;
  if (!(seen & IS_MODIFIER) || isModifier === false) out[10] = HOLDS;
  else if (isModifier === true) {
    if (plainString(read.isModifierReason)) out[10] = HOLDS;
    else if (!(seen & IS_MODIFIER_REASON)) out[10] = FAILS;
  }
  // eld-19, eld-20
  if (plainString(path)) {
    // A path starts with a letter (a type name): both hold on its first character.
    const first = path.charCodeAt(0) | 32;
    const letter = first >= 97 && first <= 122;
    out[11] = letter ? HOLDS : verdict(PATH_CHAR.test(path));
    out[12] = letter ? HOLDS : verdict(PATH_LETTER.test(path));
  }
  // eld-22: a constraining slice is named.
  if (!(seen & SLICE_IS_CONSTRAINING) || plainString(sliceName)) out[13] = HOLDS;
  else if (typeof read.sliceIsConstraining === 'boolean' && !(seen & SLICE_NAME)) out[13] = FAILS;
  return allHold(out, 14);
}

const ELEMENT_DEFINITION: InvariantGroup = {
  name: 'ElementDefinition',
  expressions: [
    "min.empty() or max.empty() or (max = '*') or iif(max != '*', min <= max.toInteger())",
    'contentReference.empty() or (type.empty() and defaultValue.empty() and fixed.empty() and pattern.empty() and example.empty() and minValue.empty() and maxValue.empty() and maxLength.empty() and binding.empty())',
    'fixed.empty() or (type.count()  <= 1)',
    'pattern.empty() or (type.count() <= 1)',
    'pattern.empty() or fixed.empty()',
    "binding.empty() or type.code.empty() or type.select((code = 'code') or (code = 'Coding') or (code='CodeableConcept') or (code = 'Quantity') or (code = 'string') or (code = 'uri')).exists()",
    'type.select(code).isDistinct()',
    'constraint.select(key).isDistinct()',
    'defaultValue.empty() or meaningWhenMissing.empty()',
    "sliceName.empty() or sliceName.matches('^[a-zA-Z0-9\\\\/\\\\-_\\\\[\\\\]\\\\@]+$')",
    '(isModifier.exists() and isModifier) implies isModifierReason.exists()',
    "path.matches('[^\\\\s\\\\.,:;\\\\\\'\"\\\\/|?!@#$%&*()\\\\[\\\\]{}]{1,64}(\\\\.[^\\\\s\\\\.,:;\\\\\\'\"\\\\/|?!@#$%&*()\\\\[\\\\]{}]{1,64}(\\\\[x\\\\])?(\\\\:[^\\\\s\\\\.]+)?)*')",
    "path.matches('[A-Za-z][A-Za-z0-9]*(\\\\.[a-z][A-Za-z0-9]*(\\\\[x])?)*')",
    'sliceIsConstraining.exists() implies sliceName.exists()',
  ],
  answer: answerElementDefinition,
};

/** eld-4 and eld-17 on ElementDefinition.type: aggregation and target profiles belong to references. */
function answerElementType(value: unknown, out: Uint8Array): boolean {
  out.fill(UNSURE);
  if (!isObject(value)) return false;
  let aggregation = false;
  let targetProfile = false;
  for (const key in value) {
    if (key === 'aggregation') aggregation = true;
    else if (key === 'targetProfile') targetProfile = true;
    else if (key.charCodeAt(0) === 95) return false;
  }
  const code = value.code;
  if (code === 'Reference' || code === 'canonical') {
    out[0] = HOLDS;
    out[1] = HOLDS;
    return true;
  }
  if (!aggregation) out[0] = HOLDS;
  if (!targetProfile) out[1] = HOLDS;
  return !aggregation && !targetProfile;
}

const ELEMENT_DEFINITION_TYPE: InvariantGroup = {
  name: 'ElementDefinition.type',
  expressions: [
    "aggregation.empty() or (code = 'Reference') or (code = 'canonical')",
    "(code='Reference' or code = 'canonical') or targetProfile.empty()",
  ],
  answer: answerElementType,
};

export const INVARIANT_GROUPS: readonly InvariantGroup[] = [ELEMENT_DEFINITION, ELEMENT_DEFINITION_TYPE];

const BY_EXPRESSION = new Map<string, { group: InvariantGroup; slot: number }>(
  INVARIANT_GROUPS.flatMap((group) => group.expressions.map((e, slot) => [e, { group, slot }] as const)),
);

/**
 * The group an invariant expression belongs to, with its slot, or undefined.
 * @example groupOf('pattern.empty() or fixed.empty()')?.slot // 4
 */
export function groupOf(expression: string): { group: InvariantGroup; slot: number } | undefined {
  return BY_EXPRESSION.get(expression);
}
