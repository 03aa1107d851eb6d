/**
 * A fast evaluator for `(Type.path.choice.ofType(t))`, the search expression shape of a choice element's typed
 * value (Provenance `when`, RiskAssessment `date`, the useContext parameters…). In JSON a choice element with type
 * `t` is the one key `choice` + `T`, so the values are read straight from that key, as FHIRPath would yield them.
 * A node carrying the bare key `choice` (the element is not a choice element after all) or the element under a
 * second type defers to FHIRPath: then the answer depends on what only the engine knows. Every Provenance (one per issuance)
 * has a `when` parameter, which went through @medplum/core's FHIRPath on each write before.
 * https://hl7.org/fhirpath/N1/#oftypetype--type-specifier
 */
import type { TypedValue } from '@medplum/core';
import { compileSimplePath, evalSimplePath, type SimplePath } from './simple-path.ts';

const OF_TYPE_PART = /^([A-Z][A-Za-z]*(?:\.[a-z][A-Za-z0-9]*)*)\.([a-z][A-Za-z0-9]*)\.ofType\(([A-Za-z]+)\)$/;

/** A compiled `(A.b.c.ofType(t))`. */
export interface OfTypePath {
  /** The path to the nodes holding the choice element; undefined: the resource itself holds it. */
  parent?: SimplePath;
  bare: string;
  key: string;
  type: string;
}

/**
 * Compiles an expression split at its top-level `|` when it is one member of the form `(A.b.c.ofType(t))`, else
 * undefined. A union is left to FHIRPath: its `|` drops values equal to one already taken, which a direct read
 * would have to copy.
 */
export function compileOfTypePath(parts: readonly string[]): OfTypePath | undefined {
  const part = parts.length === 1 ? (parts[0] as string) : undefined;
  if (part === undefined) return undefined;
  const m = OF_TYPE_PART.exec(part.startsWith('(') && part.endsWith(')') ? part.slice(1, -1) : part);
  if (!m) return undefined;
  const [, parentText, bare, type] = m as unknown as [string, string, string, string];
  const key = bare + type.charAt(0).toUpperCase() + type.slice(1);
  if (!parentText.includes('.')) return { bare, key, type };
  const parent = compileSimplePath([parentText]);
  return parent ? { parent, bare, key, type } : undefined;
}

/** Whether the node holds the element under a second type too (invalid data: which one FHIRPath reads is its call). */
function otherChoice(record: Record<string, unknown>, bare: string, key: string): boolean {
  for (const k in record) {
    if (k !== key && k.length > bare.length && k.startsWith(bare)) {
      const c = k.charCodeAt(bare.length);
      if (c >= 65 && c <= 90) return true;
    }
  }
  return false;
}

/** The values of a compiled `ofType` path, or undefined when FHIRPath must judge (see above). */
export function evalOfTypePath({ parent, bare, key, type }: OfTypePath, resource: unknown): TypedValue[] | undefined {
  const out: TypedValue[] = [];
  const nodes = parent === undefined ? [resource] : evalSimplePath(parent, resource).map((n) => n.value);
  for (const node of nodes) {
    if (typeof node !== 'object' || node === null) continue;
    const record = node as Record<string, unknown>;
    const value = record[key];
    if (record[bare] !== undefined || (value !== undefined && otherChoice(record, bare, key))) return undefined;
    if (Array.isArray(value)) {
      for (const v of value) if (v !== null && v !== undefined) out.push({ type, value: v });
    } else if (value !== undefined && value !== null) out.push({ type, value });
  }
  return out;
}
