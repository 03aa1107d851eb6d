/**
 * The one way search parsing fails: an `invalid` OutcomeError whose issue carries a stable SEARCH_* id and the
 * offending parameter as expression (`Immunization?date`).
 */
import { OutcomeError, issue } from '../outcome.ts';

/** Stable ids of every search parsing failure. */
export type SearchErrorId =
  | 'SEARCH_MODIFIER_UNSUPPORTED'
  | 'SEARCH_MISSING_INVALID'
  | 'SEARCH_DATE_INVALID'
  | 'SEARCH_NUMBER_INVALID'
  | 'SEARCH_QUANTITY_INVALID'
  | 'SEARCH_REFERENCE_TYPE_INVALID'
  | 'SEARCH_CHAIN_NOT_REFERENCE'
  | 'SEARCH_CHAIN_UNKNOWN_PARAM'
  | 'SEARCH_CHAIN_AMBIGUOUS'
  | 'SEARCH_CHAIN_TOO_DEEP'
  | 'SEARCH_HAS_INVALID'
  | 'SEARCH_HAS_TOO_DEEP'
  | 'SEARCH_COUNT_INVALID'
  | 'SEARCH_OFFSET_INVALID'
  | 'SEARCH_SORT_INVALID'
  | 'SEARCH_TOTAL_INVALID'
  | 'SEARCH_INCLUDE_INVALID'
  | 'SEARCH_SNAPSHOT_INVALID';

/** Builds (does not throw) the error for a malformed search parameter. */
export function searchError(id: SearchErrorId, text: string, resourceType: string, param: string): OutcomeError {
  return new OutcomeError('invalid', issue({ code: 'invalid', id, text, expression: `${resourceType}?${param}` }));
}
