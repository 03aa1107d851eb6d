/**
 * Translates the filters of a typed `SearchQuery` into one MongoDB filter on the resources collection. Pure:
 * chained parameters need the ids of matching targets first, which the caller looks up with `chainTargetFilter`
 * and passes back in. Field names are all fixed here; request values only ever appear as typed values
 * (see search-values.ts), never as keys or operators.
 * https://hl7.org/fhir/R4/search.html
 */
import { textParamCode } from '../../fhir/search/index-values.ts';
import type { SearchFilter, SearchQuery, SearchValue } from '../../fhir/search/query.ts';
import type { Filter } from './collection.ts';
import { resourceKey } from './documents.ts';
import { INDEX_ARRAY } from './index-fields.ts';
import type { IndexedType } from './index-fields.ts';
import { dateMatch, num, text, valueMatch } from './search-values.ts';

/** A filter no document matches (an unknown or unindexed parameter). */
export const MATCH_NOTHING: Filter = Object.freeze({ _id: { $in: [] } });

/** Live resources of a type; with a snapshot, those that existed then (deleted since: still listed, see search.ts). */
export function visibleFilter(resourceType: string, snapshot?: number): Filter {
  if (snapshot === undefined) return { t: text(resourceType), del: 0 };
  return { t: text(resourceType), cs: { $lte: snapshot }, $or: [{ del: 0 }, { del: { $gt: snapshot } }] };
}

function elemMatch(array: string, param: string, match: Filter): Filter {
  return { [`ix.${array}`]: { $elemMatch: { p: text(param), ...match } } };
}

/** `_id`: the document key `Type/id`, so the primary index answers it. */
function idFilter(filter: SearchFilter, resourceType: string): Filter {
  const keys = filter.values.flatMap((v) =>
    v.kind === 'token' && v.code !== undefined ? [resourceKey(resourceType, text(v.code))] : [],
  );
  return { _id: filter.modifier === 'not' ? { $nin: keys } : { $in: keys } };
}

/**
 * `_lastUpdated`: the `lu` field, an instant of millisecond precision, i.e. the range [lu, lu + 1): the date
 * rules of search-values.ts with `lo` = lu and `hi` = lu + 1, rewritten on `lu` alone so an index on it serves.
 */
function lastUpdatedFilter(filter: SearchFilter): Filter {
  const parts = filter.values.flatMap((v) => (v.kind === 'date' ? [lastUpdatedMatch(v)] : []));
  return parts.length === 1 ? (parts[0] as Filter) : { $or: parts };
}

function lastUpdatedMatch(v: Extract<SearchValue, { kind: 'date' }>): Filter {
  const [prefix, ql, qh] = [v.prefix, num(v.low), num(v.high)];
  const within = { lu: { $gte: ql, $lt: qh } };
  switch (prefix) {
    case 'eq':
      return within;
    case 'ne':
      return { $or: [{ lu: { $lt: ql } }, { lu: { $gte: qh } }] };
    case 'gt':
    case 'sa':
      return { lu: { $gte: qh } };
    case 'lt':
    case 'eb':
      return { lu: { $lt: ql } };
    case 'ge':
      return { lu: { $gte: ql } };
    case 'le':
      return { lu: { $lt: qh } };
    case 'ap': {
      const m = dateMatch('ap', ql, qh) as { lo: { $lt: number }; hi: { $gt: number } };
      return { lu: { $lt: m.lo.$lt, $gt: m.hi.$gt - 1 } };
    }
  }
}

/** The filter on the target type that a chained parameter needs: live targets matching the chained filter. */
export function chainTargetFilter(filter: SearchFilter): Filter {
  const chain = filter.chain;
  if (!chain?.targetType) throw new TypeError(`Chained parameter '${filter.code}' has no target type`);
  return { ...visibleFilter(chain.targetType), $and: [filterFor(chain.filter, chain.targetType)] };
}

/**
 * The MongoDB filter for one search filter on resources of `resourceType`. `chainIds` are the ids of the
 * targets that matched `chainTargetFilter(filter)`; required for a chained filter, ignored otherwise.
 */
export function filterFor(filter: SearchFilter, resourceType: string, chainIds?: readonly string[]): Filter {
  if (filter.chain) {
    if (!chainIds) throw new TypeError(`Chained parameter '${filter.code}' needs the ids of its targets`);
    const targetType = filter.chain.targetType as string;
    return elemMatch('rf', filter.code, { t: text(targetType), i: { $in: chainIds.map(text) } });
  }
  if ((filter.code === '_id' || filter.code === '_lastUpdated') && filter.modifier === 'missing') {
    return filter.missing ? MATCH_NOTHING : {}; // every resource has an id and a lastUpdated
  }
  if (filter.code === '_id') return idFilter(filter, resourceType);
  if (filter.code === '_lastUpdated') return lastUpdatedFilter(filter);
  const textSearch = filter.type === 'token' && filter.modifier === 'text';
  const array = textSearch ? INDEX_ARRAY.string : INDEX_ARRAY[filter.type as IndexedType];
  if (!array) return MATCH_NOTHING;
  const param = textSearch ? textParamCode(filter.code) : filter.code;
  if (filter.modifier === 'missing') {
    const present = { [`ix.${array}.p`]: text(param) };
    return filter.missing ? { $nor: [present] } : present;
  }
  if (filter.values.length === 0) return {};
  const modifier = textSearch ? undefined : filter.modifier;
  const each = filter.values.map((v) => elemMatch(array, param, valueMatch(v, modifier)));
  if (filter.modifier === 'not') return { $nor: each };
  return each.length === 1 ? (each[0] as Filter) : { $or: each };
}

/**
 * The whole query's filter: visibility (type, live or in the snapshot) AND every search filter.
 * `chainIds[i]` holds the target ids for `query.filters[i]` when it is chained.
 */
export function queryFilter(
  query: SearchQuery,
  options: {
    snapshot?: number;
    chainIds?: ReadonlyMap<number, readonly string[]>;
    /** Filters replaced by one condition that implies them all (search-date-order.ts). */
    replaced?: { filterIndexes: readonly number[]; match: Filter };
  } = {},
): Filter {
  const replaced = options.replaced;
  const and = query.filters
    .flatMap((f, i) => {
      if (!replaced?.filterIndexes.includes(i)) return [filterFor(f, query.resourceType, options.chainIds?.get(i))];
      return i === replaced.filterIndexes[0] ? [replaced.match] : [];
    })
    .filter((f) => Object.keys(f).length > 0);
  const base = visibleFilter(query.resourceType, options.snapshot);
  return and.length > 0 ? { ...base, $and: and } : base;
}
