/**
 * The typed search query: what the REST layer parses from a FHIR search URL and what storage adapters execute.
 * Values are already normalised per parameter type so that adapters never parse request strings.
 * https://hl7.org/fhir/R4/search.html
 */
export type SearchPrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

export type SearchParamType =
  | 'number'
  | 'date'
  | 'string'
  | 'token'
  | 'reference'
  | 'composite'
  | 'quantity'
  | 'uri'
  | 'special';

export type SearchValue =
  /** `system|code`, `|code` (system === ''), `system|`, `code` (system undefined). */
  | { kind: 'token'; system?: string; code?: string }
  | { kind: 'string'; value: string }
  /** `low`/`high`: epoch milliseconds of the implicit range of the given precision, [low, high). */
  | { kind: 'date'; prefix: SearchPrefix; low: number; high: number }
  | { kind: 'number'; prefix: SearchPrefix; value: number; low: number; high: number }
  | { kind: 'quantity'; prefix: SearchPrefix; value: number; low: number; high: number; system?: string; code?: string }
  | { kind: 'reference'; resourceType?: string; id?: string; url?: string }
  | { kind: 'uri'; value: string };

export interface SearchFilter {
  /** Search parameter code, e.g. `vaccine-code`, `_id`, `_lastUpdated`. */
  code: string;
  type: SearchParamType;
  /**
   * token: `not`, `missing`, `text` (values are then `string` kind, matched against display texts);
   * string: `exact`, `contains`, `missing`; uri: `below`, `above`, `missing`; others: `missing`;
   * reference: `missing` or a resource type (already applied to the values by the parser).
   */
  modifier?: string;
  /** For `:missing=true|false`. */
  missing?: boolean;
  /**
   * Chain: `patient.identifier=sys|val` → code `patient`, chain on the target type's `identifier`. Adapters run
   * one level; a deeper chain (the inner filter has a chain too) is resolved by the REST layer into ids first.
   */
  chain?: { targetType?: string; filter: SearchFilter };
  /** Values are OR-ed; filters of a query are AND-ed. */
  values: SearchValue[];
}

/** `_has:Immunization:patient:vaccine-code=X`: resources some Immunization matching the filter points at. */
export interface HasFilter {
  sourceType: string;
  /** The reference parameter of `sourceType` pointing at the searched type. */
  paramCode: string;
  filter: SearchFilter;
}

export interface SortRule {
  code: string;
  descending: boolean;
}

export interface IncludeRule {
  /** `_include=Immunization:patient` → sourceType Immunization, paramCode patient. */
  sourceType: string;
  paramCode: string;
  targetType?: string;
}

export interface SearchQuery {
  resourceType: string;
  filters: SearchFilter[];
  sort: SortRule[];
  /** `_count`, already capped at the maximum. */
  count: number;
  /** `_offset`: matches to skip (the REST layer's next/previous links carry it). */
  offset: number;
  /** `accurate` when the client asked for `_total=accurate` or the REST layer wants one. */
  total: 'none' | 'accurate';
  /** `_summary=count`: only the total, no resources. */
  summaryCount: boolean;
  include: IncludeRule[];
  revinclude: IncludeRule[];
  /** `_summary=true|text|data|false` (`count` is summaryCount): which elements of each match are returned. */
  summary?: 'true' | 'text' | 'data' | 'false';
  /** `_elements`: the top-level elements each match is cut down to. */
  elements?: string[];
  /** Reverse chains: resolved by the REST layer into `_id` filters before a store runs the query. */
  has?: HasFilter[];
  /** Most resources `_include`/`_revinclude` may add to one page (default: `count`); the result says when it cut. */
  includeLimit?: number;
  /** `_snapshot`, stable paging: the store sequence at which page 1 was taken (see SearchResult.snapshot). */
  snapshot?: number;
}
