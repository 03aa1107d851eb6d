/**
 * The search result parameters: `_count`, `_offset`, `_sort`, `_total`, `_summary`, `_include`, `_revinclude`,
 * `_snapshot`. Each parser updates the query being built and throws a SEARCH_* error on a malformed value.
 * https://hl7.org/fhir/R4/search.html#return
 */
import { getSearchParam } from './parameters.ts';
import type { IncludeRule, SearchQuery } from './query.ts';
import { searchError } from './search-error.ts';

export interface ResultParamContext {
  resourceType: string;
  /** The parameter as written (`_include:iterate`, `_sort`…). */
  name: string;
  options: { defaultCount: number; maxCount: number };
}

function nonNegativeInt(value: string): number | undefined {
  return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

function parseSort(value: string, ctx: ResultParamContext): SearchQuery['sort'] {
  return value.split(',').map((item) => {
    const descending = item.startsWith('-');
    const code = descending ? item.slice(1) : item;
    const def = getSearchParam(ctx.resourceType, code);
    if (!def || !def.supported) {
      throw searchError(
        'SEARCH_SORT_INVALID',
        `Cannot sort ${ctx.resourceType} by '${code}'`,
        ctx.resourceType,
        ctx.name,
      );
    }
    return { code, descending };
  });
}

function parseInclude(value: string, ctx: ResultParamContext, reverse: boolean): IncludeRule {
  const [sourceType, paramCode, targetType, ...rest] = value.split(':');
  const def = sourceType && paramCode ? getSearchParam(sourceType, paramCode) : undefined;
  const bad = (why: string): never => {
    throw searchError('SEARCH_INCLUDE_INVALID', `Invalid ${ctx.name} '${value}': ${why}`, ctx.resourceType, ctx.name);
  };
  if (!sourceType || !paramCode || rest.length > 0) bad('expected Type:parameter[:targetType]');
  if (!def || def.type !== 'reference') bad(`'${paramCode}' is not a reference parameter of ${sourceType}`);
  if (!reverse && sourceType !== ctx.resourceType) bad(`the source type must be ${ctx.resourceType}`);
  if (targetType && def && def.targets.length > 0 && !def.targets.includes(targetType)) {
    bad(`${targetType} is not a target of ${sourceType}:${paramCode}`);
  }
  if (reverse && targetType && targetType !== ctx.resourceType) bad(`the target type must be ${ctx.resourceType}`);
  const rule: IncludeRule = { sourceType: sourceType as string, paramCode: paramCode as string };
  if (targetType) rule.targetType = targetType;
  return rule;
}

/**
 * Applies one result parameter to `query`. Returns false when the parameter (or this value of it) is not
 * supported, so the caller reports it as ignored.
 */
export function applyResultParam(query: SearchQuery, code: string, value: string, ctx: ResultParamContext): boolean {
  const fail = (id: Parameters<typeof searchError>[0], text: string): never => {
    throw searchError(id, text, ctx.resourceType, ctx.name);
  };
  switch (code) {
    case '_count': {
      const n =
        nonNegativeInt(value) ?? fail('SEARCH_COUNT_INVALID', `_count must be a non-negative integer, got '${value}'`);
      query.count = Math.min(n, ctx.options.maxCount);
      return true;
    }
    case '_offset':
      query.offset =
        nonNegativeInt(value) ??
        fail('SEARCH_OFFSET_INVALID', `_offset must be a non-negative integer, got '${value}'`);
      return true;
    case '_snapshot':
      query.snapshot =
        nonNegativeInt(value) ??
        fail('SEARCH_SNAPSHOT_INVALID', `_snapshot must be a non-negative integer, got '${value}'`);
      return true;
    case '_sort':
      query.sort = parseSort(value, ctx);
      return true;
    case '_total':
      if (value !== 'none' && value !== 'estimate' && value !== 'accurate') {
        fail('SEARCH_TOTAL_INVALID', `_total must be none, estimate or accurate, got '${value}'`);
      }
      if (!query.summaryCount) query.total = value === 'none' ? 'none' : 'accurate';
      return true;
    case '_summary':
      if (value === 'true' || value === 'text' || value === 'data' || value === 'false') {
        query.summary = value;
        return true;
      }
      if (value !== 'count') return false;
      query.summaryCount = true;
      query.total = 'accurate';
      return true;
    case '_elements':
      query.elements = value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      return true;
    case '_include':
    case '_revinclude':
      if (value === '*' || value.endsWith(':*')) return false; // wildcard includes are not supported
      (code === '_include' ? query.include : query.revinclude).push(parseInclude(value, ctx, code === '_revinclude'));
      return true;
    default:
      return false;
  }
}

/** Result parameters this module parses. */
export const RESULT_PARAMS: ReadonlySet<string> = new Set([
  '_count',
  '_offset',
  '_snapshot',
  '_sort',
  '_total',
  '_summary',
  '_elements',
  '_include',
  '_revinclude',
]);
