/** `_since` of a history query as epoch milliseconds, the same for every adapter. */
import { dateRange } from '../fhir/search/date-range.ts';
import { fail } from '../fhir/outcome.ts';

export function sinceMs(since: string): number {
  const range = dateRange(since);
  if (!range) {
    fail('invalid', {
      code: 'invalid',
      id: 'HISTORY_SINCE_INVALID',
      text: `_since '${since}' is not a valid instant`,
      expression: '_since',
    });
  }
  return range.low;
}
