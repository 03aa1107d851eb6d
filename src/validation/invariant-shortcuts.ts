/**
 * Sure answers to FHIRPath invariants for the common values, read from the raw JSON before the FHIRPath engine runs.
 * Most invariants guard themselves with a test of an element that is usually absent (`contentReference.empty() or
 * …`, `valueSet.exists() implies …`): when that element is surely absent, the verdict is known without evaluating
 * the rest. A shortcut returns true (holds), false (fails) or undefined (not sure: FHIRPath decides), and answers
 * only where the FHIRPath result cannot differ: an element counts as absent only when neither `name`, `_name` nor a
 * choice `nameX` key is in the JSON, and anything it does not recognise is "not sure". The R4 definitions put ~20
 * such invariants on every ElementDefinition, where FHIRPath evaluation over typed data (each choice type of
 * `defaultValue[x]`, `fixed[x]`, `pattern[x]`... looked up in turn) dominated validating a StructureDefinition.
 * https://hl7.org/fhirpath/N1/#boolean-logic
 */
import { evalFhirPathTyped, parseFhirPath } from '@medplum/core';
import type { CheckScratch } from './sd-facts.ts';
import { balanced, splitTop, unwrap } from './fhirpath-text.ts';
import { distinct, HOLDS, UNSURE } from './invariant-groups.ts';
import { twin } from './shortcut-shape.ts';

/** true: the invariant holds; false: it fails; undefined: no sure answer from the JSON alone. */
export type Shortcut = (value: unknown, resource?: unknown, scratch?: CheckScratch) => boolean | undefined;

type Json = Record<string, unknown>;
const NAME = '[a-z][A-Za-z0-9]*';
const PATH = `${NAME}(?:\\.${NAME})*`;
const EXISTENCE = new RegExp(`^(${PATH})\\.(exists|empty|hasValue)\\(\\)$`);
const EQUALITY = new RegExp(`^(${NAME})\\s*(=|!=)\\s*('(?:[^'\\\\]|\\\\.)*')$`);
const NUMBER_EQUALITY = new RegExp(`^(${NAME})\\s*(=|!=)\\s*(-?[0-9]+)$`);
const COUNT = `${NAME}\\.count\\(\\)`;
const COUNT_SUM = new RegExp(`^\\(?\\s*(${COUNT}(?:\\s*\\+\\s*${COUNT})*)\\s*\\)?\\s*(=|!=|>=|<=|>|<)\\s*([0-9]+)$`);
const STRING_TEST = new RegExp(`^(${NAME})\\.(matches|startsWith)\\(('(?:[^'\\\\]|\\\\.)*')\\)$`);

/** FHIRPath keywords, which are not element names even when spelled like one. */
const KEYWORDS = new Set(['and', 'or', 'xor', 'implies', 'in', 'contains', 'div', 'mod', 'as', 'is', 'true', 'false']);

const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a JSON key holds element `name`: the name itself, its `_name` twin, or a choice `nameType` key. */
function holdsName(key: string, name: string, nameTwin: string): boolean {
  return (
    key === name ||
    key === nameTwin ||
    (key.length > name.length && key.startsWith(name) && isUpper(key.charCodeAt(name.length)))
  );
}

/** Whether `names` leads to nothing from `start`; false when something is there or the JSON is not plain objects. */
function surelyAbsent(start: unknown, names: readonly string[]): boolean {
  if (names.length === 1) return surelyAbsentHere(start, names[0] as string);
  let current: unknown[] = [start];
  for (const name of names) {
    const next: unknown[] = [];
    const nameTwin = twin(name);
    for (const v of current) {
      if (!isObject(v)) return false;
      // `for…in` visits a parsed JSON object's own keys (as Object.keys would) without allocating their array.
      for (const key in v) {
        if (!holdsName(key, name, nameTwin)) continue;
        const found = v[key];
        if (found === null) return false;
        if (Array.isArray(found)) next.push(...found);
        else if (found !== undefined) next.push(found);
      }
    }
    if (next.length === 0) return true;
    current = next;
  }
  return false;
}

/** `surelyAbsent` for one name (the guard of most ElementDefinition invariants, read on every element): the same
 * answer without the lists of values (a null, a non-empty list or any other value found means present). */
function surelyAbsentHere(v: unknown, name: string): boolean {
  if (!isObject(v)) return false;
  const nameTwin = twin(name);
  for (const key in v) {
    if (!holdsName(key, name, nameTwin)) continue;
    const found = v[key];
    if (found === null || (Array.isArray(found) ? found.length > 0 : found !== undefined)) return false;
  }
  return true;
}

/** A string element read directly: its value when it is a plain string with no `_name` twin, else undefined. */
function plainString(value: unknown, name: string): string | undefined {
  if (!isObject(value) || value[twin(name)] !== undefined) return undefined;
  const s = value[name];
  return typeof s === 'string' ? s : undefined;
}

/** Whether `name` holds one plain primitive value: a non-empty string, a number or a boolean, with no `_name` twin. */
function plainPrimitive(value: unknown, name: string): boolean {
  if (!isObject(value) || value[twin(name)] !== undefined) return false;
  const p = value[name];
  return (typeof p === 'string' && p.length > 0) || typeof p === 'number' || typeof p === 'boolean';
}

/**
 * `name.count()` read from the JSON: 0 when absent, the length of a list, 1 for one value; undefined (not sure)
 * for a twin, a null, an empty string or object, or a key that may be a choice of `name` (`responseCode` for
 * `response` is another element, but only the type tells).
 */
function plainCount(v: Json, name: string): number | undefined {
  if (v[twin(name)] !== undefined) return undefined;
  for (const key in v)
    if (key.length > name.length && key.startsWith(name) && isUpper(key.charCodeAt(name.length))) return undefined;
  const x = v[name];
  if (x === undefined) return 0;
  if (Array.isArray(x)) {
    for (const item of x) if (!plainValue(item)) return undefined;
    return x.length;
  }
  return plainValue(x) ? 1 : undefined;
}

/** A value FHIRPath surely counts as one: a non-empty string, a number, a boolean or an object with a key. */
function plainValue(x: unknown): boolean {
  if (typeof x === 'string') return x !== '';
  if (typeof x === 'number' || typeof x === 'boolean') return true;
  if (!isObject(x)) return false;
  for (const _ in x) return true;
  return false;
}

const COMPARE: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
};

/** The value of a FHIRPath string literal, unescaped by the FHIRPath engine itself. */
function literal(text: string): string | undefined {
  const out = evalFhirPathTyped(parseFhirPath(text), [], {});
  return out.length === 1 && typeof out[0].value === 'string' ? out[0].value : undefined;
}

function atom(term: string): Shortcut | undefined {
  const existence = EXISTENCE.exec(term);
  if (existence) {
    const names = existence[1].split('.');
    if (names.some((n) => KEYWORDS.has(n))) return undefined;
    const fn = existence[2];
    // Absent: empty() is true, exists() and hasValue() false. A single primitive element that is plainly there (a
    // non-empty string, a number or a boolean, with no `_name` twin): exists() and hasValue() true, empty() false.
    // Anything else present: FHIRPath decides (typed data may differ).
    const single = names.length === 1 ? names[0] : undefined;
    return (v) => {
      if (surelyAbsent(v, names)) return fn === 'empty';
      return single !== undefined && plainPrimitive(v, single) ? fn !== 'empty' : undefined;
    };
  }
  const equality = EQUALITY.exec(term);
  if (equality) {
    const [, name, op, text] = equality;
    const arg = KEYWORDS.has(name) ? undefined : literal(text);
    if (arg === undefined) return undefined;
    // A plain string against a string literal: FHIRPath's `=` is exact for strings; anything else is not sure.
    return (v) => {
      const s = plainString(v, name);
      return s === undefined ? undefined : (s === arg) === (op === '=');
    };
  }
  const numeric = NUMBER_EQUALITY.exec(term);
  if (numeric) {
    const [, name, op, text] = numeric;
    if (KEYWORDS.has(name)) return undefined;
    const arg = Number(text);
    // A plain JSON number against an integer literal: FHIRPath compares the values (1 = 1.0); anything else (a
    // decimal kept as its text, a string, a twin) is not sure.
    return (v) => {
      if (!isObject(v) || v[twin(name)] !== undefined) return undefined;
      const n = v[name];
      return typeof n === 'number' ? (n === arg) === (op === '=') : undefined;
    };
  }
  const counts = COUNT_SUM.exec(term);
  if (counts) {
    const [, sum, op, text] = counts;
    const names = sum.split('+').map((part) => part.trim().slice(0, -'.count()'.length));
    if (names.some((n) => KEYWORDS.has(n))) return undefined;
    const compare = COMPARE[op] as (a: number, b: number) => boolean;
    const limit = Number(text);
    // `(a.count() + b.count()) = 1` (tst-*, msq-5): one of several elements; a count is always a number, so the
    // comparison is a boolean whenever every count is sure.
    return (v) => {
      if (!isObject(v)) return undefined;
      let total = 0;
      for (const name of names) {
        const n = plainCount(v, name);
        if (n === undefined) return undefined;
        total += n;
      }
      return compare(total, limit);
    };
  }
  const test = STRING_TEST.exec(term);
  if (test) {
    const [, name, fn, text] = test;
    if (KEYWORDS.has(name)) return undefined;
    const arg = literal(text);
    if (arg === undefined) return undefined;
    // As the FHIRPath engine does: a regular expression found anywhere in the string (no anchoring added).
    const re = fn === 'matches' ? new RegExp(arg) : undefined;
    return (v) => {
      const s = plainString(v, name);
      if (s === undefined) return undefined;
      return re ? re.exec(s) !== null : s.startsWith(arg);
    };
  }
  return undefined;
}

/** Builds the shortcut of an expression from its `implies` / `or` / `and` structure; undefined when none applies. */
function build(expression: string): Shortcut | undefined {
  const e = unwrap(expression);
  if (!balanced(e)) return undefined;
  const implies = splitTop(e, ' implies ');
  if (implies.length > 2) return undefined;
  if (implies.length === 2) {
    const [a, b] = implies.map(build);
    if (!a && !b) return undefined;
    return (v) => {
      const left = a?.(v);
      if (left === false) return true;
      const right = b?.(v);
      if (right === true) return true;
      return left === true && right === false ? false : undefined;
    };
  }
  const xor = splitTop(e, ' xor ');
  if (xor.length > 1) {
    // `xor` shares `or`'s precedence, left to right: mixed at one level, neither split groups them right.
    if (splitTop(e, ' or ').length > 1) return undefined;
    const terms = xor.map(build);
    if (terms.some((t) => t === undefined)) return undefined;
    // Empty on either side makes `xor` empty: only two sure booleans give a verdict.
    return (v) => {
      let odd = false;
      for (const t of terms) {
        const r = (t as Shortcut)(v);
        if (r === undefined) return undefined;
        odd = odd !== r;
      }
      return odd;
    };
  }
  for (const [op, dominant] of [
    [' or ', true],
    [' and ', false],
  ] as const) {
    const parts = splitTop(e, op);
    if (parts.length < 2) continue;
    const terms = parts.map(build);
    if (terms.every((t) => t === undefined)) return undefined;
    // `true or x` is true and `false and x` false whatever x is; the other value only when every term is sure.
    return (v) => {
      let allSure = true;
      for (const t of terms) {
        const r = t?.(v);
        if (r === dominant) return dominant;
        if (r === undefined) allSure = false;
      }
      return allSure ? !dominant : undefined;
    };
  }
  return atom(e);
}

/**
 * Shortcuts written for invariants of the R4 definitions that the structural ones above cannot answer but that every
 * ElementDefinition (or CodeSystem) meets; each answers only for the well-formed shape and defers otherwise.
 */
const BY_EXPRESSION: ReadonlyMap<string, Shortcut> = new Map<string, Shortcut>([
  [
    // eld-2
    "min.empty() or max.empty() or (max = '*') or iif(max != '*', min <= max.toInteger())",
    (v) => {
      if (!isObject(v) || v._min !== undefined || v._max !== undefined) return undefined;
      if (v.min === undefined || v.max === undefined) return true;
      if (typeof v.min !== 'number' || typeof v.max !== 'string') return undefined;
      if (v.max === '*') return true;
      return /^[0-9]+$/.test(v.max) ? v.min <= Number(v.max) : undefined;
    },
  ],
  // eld-3, on ElementDefinition.max (a string)
  [
    "empty() or ($this = '*') or (toInteger() >= 0)",
    (v) => (v === '*' || (typeof v === 'string' && /^[0-9]+$/.test(v)) ? true : undefined),
  ],
  ['type.select(code).isDistinct()', (v) => distinctOf(v, 'type', 'code')],
  ['constraint.select(key).isDistinct()', (v) => distinctOf(v, 'constraint', 'key')],
  [
    // eld-18
    '(isModifier.exists() and isModifier) implies isModifierReason.exists()',
    (v) => {
      if (!isObject(v) || v._isModifier !== undefined || v._isModifierReason !== undefined) return undefined;
      if (v.isModifier === undefined || v.isModifier === false) return true;
      if (v.isModifier !== true) return undefined;
      return typeof v.isModifierReason === 'string' ? true : undefined;
    },
  ],
  [
    // eld-11: `type.select(<boolean>)` yields one boolean per type, so `exists()` is true as soon as there is a type.
    "binding.empty() or type.code.empty() or type.select((code = 'code') or (code = 'Coding') or (code='CodeableConcept') or (code = 'Quantity') or (code = 'string') or (code = 'uri')).exists()",
    (v) => {
      if (!isObject(v)) return undefined;
      if (v.binding === undefined && v._binding === undefined) return true;
      const types = v.type;
      return Array.isArray(types) && types.some((t) => isObject(t) && typeof t.code === 'string') ? true : undefined;
    },
  ],
  [
    // eld-17, on ElementDefinition.type
    "(code='Reference' or code = 'canonical') or targetProfile.empty()",
    (v) => {
      const code = plainString(v, 'code');
      if (code === 'Reference' || code === 'canonical') return true;
      return surelyAbsent(v, ['targetProfile']) ? true : undefined;
    },
  ],
]);

/** `list.select(field).isDistinct()` on an object with no `_list` twin, answered by the group's reading (one rule for
 * both: invariant-groups.ts `distinct`); undefined when not sure. */
function distinctOf(v: unknown, list: string, field: string): boolean | undefined {
  if (!isObject(v) || v[twin(list)] !== undefined) return undefined;
  const verdict = distinct(v[list], field, twin(field));
  return verdict === UNSURE ? undefined : verdict === HOLDS;
}

/**
 * The shortcut for one invariant expression, or undefined when it has none (decided once per expression).
 * @example compileShortcut('contentReference.empty() or type.empty()')?.({ path: 'X.y' }) // true
 */
export function compileShortcut(expression: string): Shortcut | undefined {
  // An environment variable may be one the engine lacks (an error the engine reports): FHIRPath keeps those.
  if (/[\n\r\t%]/.test(expression.replace(/'(?:[^'\\]|\\.)*'/g, "''"))) return BY_EXPRESSION.get(expression);
  try {
    return BY_EXPRESSION.get(expression) ?? build(expression);
  } catch {
    return undefined;
  }
}
