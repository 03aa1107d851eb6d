/**
 * `_sort` to a MongoDB sort: each rule sorts on the parameter's smallest (ascending) or largest (descending)
 * value, resources without a value last, and the first-write sequence `rk` breaks ties so that pages never
 * overlap. Same order as the SQLite adapter.
 * https://hl7.org/fhir/R4/search.html#sort
 */
import { getSearchParam } from '../../fhir/search/parameters.ts';
import type { SortRule } from '../../fhir/search/query.ts';
import type { SortSpec } from './collection.ts';

const SAFE_CODE = /^[A-Za-z0-9_-]{1,64}$/;

/** The sort specification for `rules` on `resourceType` (unknown parameters are skipped). */
export function sortSpec(resourceType: string, rules: readonly SortRule[]): SortSpec {
  const spec: SortSpec = {};
  for (const rule of rules) {
    const dir = rule.descending ? -1 : 1;
    if (rule.code === '_id') spec.id ??= dir;
    else if (rule.code === '_lastUpdated') spec.lu ??= dir;
    else if (SAFE_CODE.test(rule.code) && !rule.code.startsWith('__') && getSearchParam(resourceType, rule.code)) {
      // `on` is 1 when the resource has a value: sorting it descending puts those without one last.
      spec[`sk.${rule.code}.on`] ??= -1;
      spec[`sk.${rule.code}.${rule.descending ? 'd' : 'a'}`] ??= dir;
    }
  }
  spec.rk = 1;
  return spec;
}
