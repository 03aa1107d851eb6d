/**
 * A fast evaluator for the search expression shape `<plain path>.where(resolve() is <Type>)` (28 R4 parameters,
 * e.g. Provenance `patient`), which otherwise costs a general FHIRPath evaluation on every write. It keeps an
 * element exactly when @medplum/core's offline `resolve()` would type it as <Type>: a contained `resource` by its
 * `resourceType`; else the reference string's text before the first `?` if any, else before the first `/`
 * (so `urn:uuid:…`, `#id` and other slash-less strings never match, and an absolute URL is typed by its scheme);
 * else, with no reference, `type` when `identifier` is present. Data that would make that engine behave oddly
 * (a non-string `reference` or `type`) is not judged here: the caller falls back to FHIRPath for that resource.
 * https://hl7.org/fhir/R4/fhirpath.html#functions
 */
import { compileSimplePath, evalSimplePath } from './simple-path.ts';
import type { TypedValue } from '@medplum/core';
import type { SimplePath } from './simple-path.ts';

const SHAPE = /^([A-Z][A-Za-z]*(?:\.[a-z][A-Za-z0-9]*)+)\.where\(resolve\(\) is ([A-Z][A-Za-z]*)\)$/;

/**
 * Names the engine's `is` checks by value shape (primitives, Period, Quantity) or that its typing of a contained
 * `resource` can give without a `resourceType` (CodeableConcept, Coding, BackboneElement): never resource types,
 * and left to FHIRPath so that only the resource-type comparison has to be mirrored here.
 */
const SPECIAL_TYPES = new Set([
  'Boolean',
  'Decimal',
  'Integer',
  'Date',
  'DateTime',
  'Time',
  'Period',
  'Quantity',
  'CodeableConcept',
  'Coding',
  'BackboneElement',
]);

export interface ResolveIsPath {
  path: SimplePath;
  type: string;
}

/** Compiles a single-member `A.b.where(resolve() is T)`; anything else (unions included) is undefined. */
export function compileResolveIs(expression: string): ResolveIsPath | undefined {
  const m = SHAPE.exec(expression.trim());
  if (!m || SPECIAL_TYPES.has(m[2] as string)) return undefined;
  const path = compileSimplePath([m[1] as string]);
  return path ? { path, type: m[2] as string } : undefined;
}

/** The resource type the engine's resolve() gives a reference string, or undefined when it gives nothing. */
function typeOfReferenceString(ref: string): string | undefined {
  if (ref.includes('?')) return ref.split('?')[0];
  if (ref.includes('/')) return ref.split('/')[0];
  return undefined;
}

/** Whether `resolve() is <type>` holds for one element; undefined when only the engine can say. */
function matches(value: unknown, type: string): boolean | undefined {
  if (typeof value === 'string') return typeOfReferenceString(value) === type;
  if (typeof value !== 'object' || value === null) return false;
  const ref = value as { resource?: unknown; reference?: unknown; type?: unknown; identifier?: unknown };
  if (ref.resource)
    return typeof ref.resource === 'object' && (ref.resource as { resourceType?: unknown }).resourceType === type;
  if (ref.reference)
    return typeof ref.reference === 'string' ? typeOfReferenceString(ref.reference) === type : undefined;
  if (ref.type && ref.identifier) return typeof ref.type === 'string' ? ref.type.split('?')[0] === type : undefined;
  return false;
}

/** Evaluates a compiled shape on a resource; undefined means "ask FHIRPath" (odd data, see the module comment). */
export function evalResolveIs(compiled: ResolveIsPath, resource: unknown): TypedValue[] | undefined {
  const out: TypedValue[] = [];
  for (const tv of evalSimplePath(compiled.path, resource)) {
    const ok = matches(tv.value, compiled.type);
    if (ok === undefined) return undefined;
    if (ok) out.push(tv);
  }
  return out;
}
