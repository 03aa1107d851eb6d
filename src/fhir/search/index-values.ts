/**
 * Search index extraction: evaluates each search parameter's FHIRPath expression on a resource and turns the
 * results into normalised rows per parameter type, so that storage adapters can answer searches from indexes
 * instead of scanning JSON. Pure: no I/O, no clock.
 * https://hl7.org/fhir/R4/search.html#ptypes
 */
import { evalFhirPathTyped, parseFhirPath, toTypedValue } from '@medplum/core';
import type { FhirPathAtom, TypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { toPlainJson } from '../json.ts';
import { searchParamsOf, splitUnion } from './parameters.ts';
import { compileSimplePath, evalSimplePath } from './simple-path.ts';
import type { SimplePath } from './simple-path.ts';
import { compileResolveIs, evalResolveIs } from './resolve-is.ts';
import { compileOfTypePath, evalOfTypePath, type OfTypePath } from './of-type-path.ts';
import type { ResolveIsPath } from './resolve-is.ts';
import type { SearchParamDef } from './parameters.ts';
import { toDateRows, toNumberRows, toQuantityRows, toReferenceRows, toStringRows, toTokenRows } from './index-rows.ts';
import type { ResourceIndex } from './index-rows.ts';

export type {
  ResourceIndex,
  TokenRow,
  StringRow,
  DateRow,
  NumberRow,
  QuantityRow,
  ReferenceRow,
  UriRow,
} from './index-rows.ts';
export { parseReference, textParamCode } from './index-rows.ts';

interface CompiledParam {
  def: SearchParamDef;
  /** Plain paths are walked directly; the rest go through FHIRPath. */
  simple?: SimplePath;
  /** `path.where(resolve() is T)` is judged directly, with `atom` kept for data only the engine can judge. */
  resolveIs?: ResolveIsPath;
  /** `(A.b.c.ofType(t))` is read from the choice key directly, with `atom` kept for data only the engine can judge. */
  ofType?: OfTypePath;
  atom?: FhirPathAtom;
}

/** `_id` and `_lastUpdated` live in the resource table's own columns; composite/special are not indexed. */
const COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);
const INDEXED_TYPES = new Set(['token', 'string', 'date', 'number', 'quantity', 'reference', 'uri']);

const compiledMemo = new Map<string, readonly CompiledParam[]>(); // parsed expressions: immutable once built

/** The parameters of a type that get index rows, with their expressions parsed once. */
export function compiledParamsOf(resourceType: string): readonly CompiledParam[] {
  const hit = compiledMemo.get(resourceType);
  if (hit) return hit;
  const list: CompiledParam[] = [];
  for (const def of searchParamsOf(resourceType).values()) {
    if (!def.expression || COLUMN_PARAMS.has(def.code) || !INDEXED_TYPES.has(def.type)) continue;
    const simple = compileSimplePath(splitUnion(def.expression));
    if (simple) {
      list.push({ def, simple });
      continue;
    }
    try {
      const atom = parseFhirPath(def.expression);
      const ofType = compileOfTypePath(splitUnion(def.expression));
      list.push(ofType ? { def, ofType, atom } : { def, resolveIs: compileResolveIs(def.expression), atom });
    } catch {
      // An expression the FHIRPath parser does not understand makes that one parameter unsearchable, not the type.
    }
  }
  compiledMemo.set(resourceType, list);
  return list;
}

function emptyIndex(): ResourceIndex {
  return { token: [], string: [], date: [], number: [], quantity: [], reference: [], uri: [] };
}

function addRows(index: ResourceIndex, def: SearchParamDef, values: TypedValue[]): void {
  const code = def.code;
  switch (def.type) {
    case 'token':
      toTokenRows(code, values, index);
      break;
    case 'string':
      index.string.push(...toStringRows(code, values));
      break;
    case 'date':
      index.date.push(...toDateRows(code, values));
      break;
    case 'number':
      index.number.push(...toNumberRows(code, values));
      break;
    case 'quantity':
      index.quantity.push(...toQuantityRows(code, values));
      break;
    case 'reference':
      index.reference.push(...toReferenceRows(code, values));
      identifierRows(code, values, index);
      break;
    case 'uri':
      for (const v of values) if (typeof v.value === 'string') index.uri.push({ param: code, value: v.value });
      break;
    default:
      break;
  }
}

/** Logical references (`Reference.identifier`) as token rows of `<code>:identifier`, for the `:identifier` modifier. */
function identifierRows(code: string, values: TypedValue[], index: ResourceIndex): void {
  const identifiers = values
    .map((v) => (v.value as { identifier?: unknown } | undefined)?.identifier)
    .filter((i): i is object => typeof i === 'object' && i !== null)
    .map((value) => ({ type: 'Identifier', value }));
  if (identifiers.length > 0) toTokenRows(identifierParamCode(code), identifiers, index);
}

/** The index rows of a reference parameter's `:identifier` modifier. */
export function identifierParamCode(code: string): string {
  return `${code}:identifier`;
}

/** The values a parameter's expression yields on a resource, by the fastest evaluator that is exact for it. */
function paramValues(
  { simple, resolveIs, ofType, atom }: CompiledParam,
  resource: Resource,
  typed: TypedValue[],
  variables: Record<string, TypedValue>,
): TypedValue[] {
  if (simple) return evalSimplePath(simple, resource);
  const direct = resolveIs ? evalResolveIs(resolveIs, resource) : ofType ? evalOfTypePath(ofType, resource) : undefined;
  return direct ?? evalFhirPathTyped(atom as FhirPathAtom, typed, variables);
}

/**
 * Computes the search index rows of a resource for every search parameter of its type.
 * @example indexValues(immunization).token // [{ param: 'vaccine-code', system: 'http://snomed.info/sct', code: '...' }, ...]
 */
export function indexValues(input: Resource): ResourceIndex {
  // Decimals kept as their source text (JSON.rawJSON, see fhir/json.ts) are numbers again for comparison.
  const resource = toPlainJson(input);
  const index = emptyIndex();
  const typed = [toTypedValue(resource)];
  const variables = { '%resource': typed[0] as TypedValue };
  for (const param of compiledParamsOf(resource.resourceType)) {
    let values: TypedValue[];
    try {
      values = paramValues(param, resource, typed, variables);
    } catch {
      continue; // a runtime FHIRPath error on odd data must not block the write; the param just has no rows
    }
    if (values.length > 0) addRows(index, param.def, values);
  }
  return index;
}
