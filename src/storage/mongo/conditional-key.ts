/**
 * The key that guards a conditional create (If-None-Exist) against duplicates: a hash of the normalised search,
 * stored on the created resource under a unique index. Two requests that are the same search get the same key:
 * the query is already typed and normalised by the parser (strings folded, dates as instant ranges, tokens
 * split), and here OR-ed values and AND-ed filters are sorted and de-duplicated, and paging/sorting parameters,
 * which do not change what matches, are left out.
 * https://hl7.org/fhir/R4/http.html#ccreate
 */
import { createHash } from 'node:crypto';
import type { SearchFilter, SearchQuery } from '../../fhir/search/query.ts';

/** JSON with object keys sorted and undefined members dropped: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function sortedUnique(texts: string[]): string[] {
  return [...new Set(texts)].sort();
}

/** A filter in canonical text: values as a sorted set (OR is commutative and idempotent). */
function canonicalFilter(filter: SearchFilter): string {
  return canonicalJson({
    code: filter.code,
    type: filter.type,
    modifier: filter.modifier,
    missing: filter.modifier === 'missing' ? filter.missing : undefined,
    chain: filter.chain
      ? { targetType: filter.chain.targetType, filter: canonicalFilter(filter.chain.filter) }
      : undefined,
    values: sortedUnique(filter.values.map(canonicalJson)),
  });
}

/**
 * The conditional-create key of a search: equal for searches that match the same resources by construction.
 * @example conditionalKey(q('Immunization', 'identifier=urn:x|1&status=completed'))
 *       === conditionalKey(q('Immunization', 'status=completed&identifier=urn:x|1'))
 */
export function conditionalKey(query: Pick<SearchQuery, 'resourceType' | 'filters'>): string {
  const filters = sortedUnique(query.filters.map(canonicalFilter));
  const digest = createHash('sha256')
    .update(canonicalJson({ type: query.resourceType, filters }))
    .digest('base64url');
  return `${query.resourceType}:${digest}`;
}
