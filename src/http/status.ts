/** The one mapping from an OutcomeError kind to its HTTP status. */
import type { OutcomeKind } from '../fhir/outcome.ts';

const STATUS: Record<OutcomeKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'not-allowed': 405,
  'not-acceptable': 406,
  conflict: 409,
  gone: 410,
  'precondition-failed': 412,
  'too-large': 413,
  'unsupported-media-type': 415,
  unprocessable: 422,
  'too-many-requests': 429,
  internal: 500,
  'not-implemented': 501,
};

export function statusOf(kind: OutcomeKind): number {
  return STATUS[kind];
}
