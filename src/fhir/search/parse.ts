/**
 * Parses a FHIR search query string (as name/value pairs) into the typed `SearchQuery` storage adapters run.
 * Comma-separated values are OR-ed, repeated parameters AND-ed. Unknown or unsupported parameters are returned
 * in `ignored` (the REST layer reports them, or rejects them under `Prefer: handling=strict`); malformed values
 * throw an `invalid` OutcomeError with a stable SEARCH_* id.
 * https://hl7.org/fhir/R4/search.html
 */
import { splitEscaped } from './escape.ts';
import { getSearchParam, searchParamsOf } from './parameters.ts';
import type { SearchParamDef } from './parameters.ts';
import { parseValue } from './parse-value.ts';
import { identifierParamCode } from './index-values.ts';
import { applyResultParam, RESULT_PARAMS } from './parse-result-params.ts';
import type { HasFilter, SearchFilter, SearchQuery } from './query.ts';
import { searchError } from './search-error.ts';

export interface ParseOptions {
  /** Page size when `_count` is absent. */
  defaultCount: number;
  /** `_count` values above this are lowered to it. */
  maxCount: number;
}

export interface ParsedSearch {
  query: SearchQuery;
  /** Parameters (as written, with modifiers) that were not applied. */
  ignored: string[];
}

/** Modifiers each parameter type accepts (a resource type name is also accepted for references). */
const MODIFIERS: Readonly<Record<string, readonly string[]>> = {
  token: ['missing', 'not', 'text'],
  string: ['missing', 'exact', 'contains'],
  date: ['missing'],
  number: ['missing'],
  quantity: ['missing'],
  reference: ['missing', 'identifier'],
  uri: ['missing', 'below', 'above'],
};

interface FilterContext {
  resourceType: string;
  /** Parameter name as written, for error expressions. */
  name: string;
}

function checkModifier(def: SearchParamDef, modifier: string | undefined, ctx: FilterContext): void {
  if (modifier === undefined) return;
  if (MODIFIERS[def.type]?.includes(modifier)) return;
  if (def.type === 'reference' && /^[A-Z][A-Za-z]+$/.test(modifier)) {
    if (def.targets.length === 0 || def.targets.includes(modifier)) return;
    throw searchError(
      'SEARCH_REFERENCE_TYPE_INVALID',
      `${modifier} is not a target type of ${ctx.resourceType}.${def.code}`,
      ctx.resourceType,
      ctx.name,
    );
  }
  throw searchError(
    'SEARCH_MODIFIER_UNSUPPORTED',
    `Modifier :${modifier} is not supported on ${def.type} parameter '${def.code}'`,
    ctx.resourceType,
    ctx.name,
  );
}

/** Builds a filter for `code[:modifier]=value` on `def` (no chain). */
function buildFilter(
  def: SearchParamDef,
  modifier: string | undefined,
  value: string,
  ctx: FilterContext,
): SearchFilter {
  if (def.type === 'reference' && modifier === 'identifier') {
    // A logical reference: Reference.identifier, indexed as token rows of `<code>:identifier`.
    const tokenDef: SearchParamDef = { ...def, code: identifierParamCode(def.code), type: 'token' };
    return { ...buildFilter(tokenDef, undefined, value, ctx), code: identifierParamCode(def.code) };
  }
  checkModifier(def, modifier, ctx);
  const filter: SearchFilter = { code: def.code, type: def.type, values: [] };
  if (modifier !== undefined) filter.modifier = modifier;
  if (modifier === 'missing') {
    if (value !== 'true' && value !== 'false') {
      throw searchError(
        'SEARCH_MISSING_INVALID',
        `:missing takes true or false, got '${value}'`,
        ctx.resourceType,
        ctx.name,
      );
    }
    filter.missing = value === 'true';
    return filter;
  }
  const valueCtx = { resourceType: ctx.resourceType, name: ctx.name, def, modifier };
  filter.values = splitEscaped(value, ',')
    .filter((v) => v.length > 0)
    .map((v) => parseValue(v, valueCtx));
  return filter;
}

function splitName(name: string): { code: string; modifier?: string } {
  const i = name.indexOf(':');
  return i < 0 ? { code: name } : { code: name.slice(0, i), modifier: name.slice(i + 1) };
}

function chainTarget(
  def: SearchParamDef,
  modifier: string | undefined,
  chainedCode: string,
  ctx: FilterContext,
): string {
  if (modifier !== undefined) return modifier;
  if (def.targets.length === 1) return def.targets[0] as string;
  const candidates = def.targets.filter((t) => getSearchParam(t, chainedCode) !== undefined);
  if (candidates.length === 1) return candidates[0] as string;
  throw searchError(
    'SEARCH_CHAIN_AMBIGUOUS',
    `Chain '${ctx.name}' is ambiguous: name the target type, e.g. ${def.code}:${candidates[0] ?? 'Patient'}.${chainedCode}`,
    ctx.resourceType,
    ctx.name,
  );
}

/** Levels of a chain (`a.b.c=` is 2): levels past the first are resolved by the REST layer (bounded fan-out). */
const MAX_CHAIN_DEPTH = 3;

/** `patient.identifier=x`, `subject:Patient.name:exact=x`, `subject:Patient.organization.name=x`: chaining through reference parameters. */
function buildChain(
  head: string,
  tail: string,
  value: string,
  ctx: FilterContext,
  depth?: number,
): SearchFilter | undefined {
  const { code, modifier } = splitName(head);
  const def = getSearchParam(ctx.resourceType, code);
  if (!def) return undefined;
  if (def.type !== 'reference') {
    throw searchError(
      'SEARCH_CHAIN_NOT_REFERENCE',
      `'${code}' is not a reference parameter and cannot be chained`,
      ctx.resourceType,
      ctx.name,
    );
  }
  if (depth === undefined && tail.split('.').length > MAX_CHAIN_DEPTH) {
    throw searchError(
      'SEARCH_CHAIN_TOO_DEEP',
      `At most ${MAX_CHAIN_DEPTH} levels of chaining are supported ('${ctx.name}')`,
      ctx.resourceType,
      ctx.name,
    );
  }
  if (modifier !== undefined) checkModifier(def, modifier, ctx);
  const dot = tail.indexOf('.');
  const chained = splitName(dot > 0 ? tail.slice(0, dot) : tail);
  const targetType = chainTarget(def, modifier, chained.code, ctx);
  if (dot > 0) {
    const inner = buildChain(
      tail.slice(0, dot),
      tail.slice(dot + 1),
      value,
      { resourceType: targetType, name: ctx.name },
      (depth ?? 1) + 1,
    );
    if (!inner)
      throw searchError(
        'SEARCH_CHAIN_UNKNOWN_PARAM',
        `${targetType} has no search parameter '${chained.code}'`,
        ctx.resourceType,
        ctx.name,
      );
    return { code: def.code, type: 'reference', chain: { targetType, filter: inner }, values: [] };
  }
  const chainedDef = getSearchParam(targetType, chained.code);
  if (!chainedDef || !chainedDef.supported) {
    throw searchError(
      'SEARCH_CHAIN_UNKNOWN_PARAM',
      `${targetType} has no search parameter '${chained.code}'`,
      ctx.resourceType,
      ctx.name,
    );
  }
  const inner = buildFilter(chainedDef, chained.modifier, value, { resourceType: targetType, name: ctx.name });
  return { code: def.code, type: 'reference', chain: { targetType, filter: inner }, values: [] };
}

function hasCondition(filter: SearchFilter): boolean {
  return (
    filter.modifier === 'missing' ||
    filter.values.length > 0 ||
    (filter.chain !== undefined && hasCondition(filter.chain.filter))
  );
}

function emptyQuery(resourceType: string, options: ParseOptions): SearchQuery {
  return {
    resourceType,
    filters: [],
    sort: [],
    count: Math.min(options.defaultCount, options.maxCount),
    offset: 0,
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
  };
}

/** Parses one parameter into a filter, or undefined when it is unknown or of an unsupported type. */
function parseFilter(name: string, value: string, resourceType: string): SearchFilter | undefined {
  const ctx = { resourceType, name };
  const dot = name.indexOf('.');
  if (dot > 0) return buildChain(name.slice(0, dot), name.slice(dot + 1), value, ctx);
  const { code, modifier } = splitName(name);
  const def = searchParamsOf(resourceType).get(code);
  if (!def || !def.supported) return undefined;
  return buildFilter(def, modifier, value, ctx);
}

/**
 * Parses search parameters for `resourceType`.
 * @example parseSearchQuery('Immunization', [['vaccine-code', 'http://snomed.info/sct|1119349007'], ['_count', '10']],
 *   { defaultCount: 20, maxCount: 1000 })
 * https://hl7.org/fhir/R4/search.html
 */
export function parseSearchQuery(
  resourceType: string,
  params: Array<[string, string]>,
  options: ParseOptions,
): ParsedSearch {
  const query = emptyQuery(resourceType, options);
  const ignored: string[] = [];
  for (const [name, value] of params) {
    const { code, modifier } = splitName(name);
    if (RESULT_PARAMS.has(code)) {
      const applied = modifier === undefined && applyResultParam(query, code, value, { resourceType, name, options });
      if (!applied) ignored.push(name);
      continue;
    }
    if (value === '') continue; // empty values are ignored (https://hl7.org/fhir/R4/search.html#errors)
    if (name.startsWith('_has:')) {
      (query.has ??= []).push(parseHas(name, value, resourceType));
      continue;
    }
    const filter = parseFilter(name, value, resourceType);
    if (!filter) ignored.push(name);
    else if (hasCondition(filter)) query.filters.push(filter); // `status=,` has no value: ignored like `status=`
  }
  return { query, ignored };
}

/** `_has:Type:reference:parameter[:modifier]=value`: one level of reverse chaining. */
function parseHas(name: string, value: string, resourceType: string): HasFilter {
  const [, sourceType, paramCode, ...rest] = name.split(':');
  const bad = (id: Parameters<typeof searchError>[0], why: string): never => {
    throw searchError(id, `Invalid ${name}: ${why}`, resourceType, name);
  };
  if (!sourceType || !paramCode || rest.length === 0)
    bad('SEARCH_HAS_INVALID', 'expected _has:Type:reference:parameter=value');
  if (rest[0] === '_has') bad('SEARCH_HAS_TOO_DEEP', 'only one level of _has is supported');
  const ref = getSearchParam(sourceType as string, paramCode as string);
  if (!ref || ref.type !== 'reference')
    bad('SEARCH_HAS_INVALID', `'${paramCode}' is not a reference parameter of ${sourceType}`);
  if (ref && ref.targets.length > 0 && !ref.targets.includes(resourceType))
    bad('SEARCH_HAS_INVALID', `${sourceType}.${paramCode} does not point at ${resourceType}`);
  const filter = parseFilter(rest.join(':'), value, sourceType as string);
  if (!filter) bad('SEARCH_HAS_INVALID', `${sourceType} has no supported search parameter '${rest.join(':')}'`);
  return { sourceType: sourceType as string, paramCode: paramCode as string, filter: filter as SearchFilter };
}
