/**
 * Reading the plain JSON shape for the invariants' direct forms (resource-shortcuts.ts, clinical-shortcuts.ts): each
 * reader returns what FHIRPath over typed data would surely see, or throws UNSURE (the direct form then answers
 * undefined and the FHIRPath engine decides).
 */
import type { CheckScratch } from './sd-facts.ts';

export type Json = Record<string, unknown>;
/** true: the invariant holds; false: it fails; undefined: FHIRPath decides. */
export type ResourceShortcut = (value: unknown, resource?: unknown, scratch?: CheckScratch) => boolean | undefined;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Thrown inside a shortcut when the shape is not the plain one; caught once at the entry (answer: undefined). */
export const UNSURE = Symbol('unsure');

/** `_name` for each name, made once: a template string per read would be built and interned on every call. */
const twins = new Map<string, string>();
export function twin(name: string): string {
  let t = twins.get(name);
  if (t === undefined) twins.set(name, (t = `_${name}`));
  return t;
}

/** A plain string element: its value, null when absent (neither `name` nor `_name`), else unsure. */
export function str(o: Json, name: string): string | null {
  const s = o[name];
  if (o[twin(name)] !== undefined) throw UNSURE;
  if (s === undefined) return null;
  if (typeof s !== 'string' || s === '') throw UNSURE;
  return s;
}

/** Like `str`, but the element must be there. */
export function must(o: Json, name: string): string {
  const s = str(o, name);
  if (s === null) throw UNSURE;
  return s;
}

/** Whether an element of the given JSON type is present (exists()); unsure for nulls, twins, `{}` and other types. */
export function has(o: Json, name: string, type: 'string' | 'number' | 'boolean' | 'object'): boolean {
  if (o[twin(name)] !== undefined) throw UNSURE;
  const v = o[name];
  if (v === undefined) return false;
  if (type === 'object' ? !isObject(v) || !hasKey(v) : typeof v !== type || v === '') throw UNSURE;
  return true;
}

/** Whether a parsed JSON object has a key (`Object.keys(o).length > 0` without building the array). */
export function hasKey(o: Json): boolean {
  for (const _ in o) return true;
  return false;
}

/** A repeating element: its objects, [] when absent, else unsure (an empty array or a non-object item). */
export function list(o: Json, name: string): Json[] {
  if (o[twin(name)] !== undefined) throw UNSURE;
  const v = o[name];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length === 0 || !v.every(isObject)) throw UNSURE;
  return v as Json[];
}

/** Whether an element is surely absent: neither `name` nor `_name` is a key (no choice type: callers name plain elements). */
export function absent(o: Json, name: string): boolean {
  return o[name] === undefined && o[twin(name)] === undefined;
}

/** Whether some coding of `concept.coding` is exactly system|code; unsure unless every coding is plain. */
export function hasCoding(concept: unknown, system: string, code: string): boolean {
  if (concept === undefined) return false;
  if (!isObject(concept)) throw UNSURE;
  return list(concept, 'coding')
    .map((c) => str(c, 'system') === system && str(c, 'code') === code)
    .some(Boolean);
}
