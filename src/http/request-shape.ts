/**
 * One linear walk over a parsed request body before any FHIR work: how many contained resources and Bundle entries
 * it holds (refused past the configured limits with 422 `too-costly`, so no validation starts on them), and whether
 * every string is well-formed Unicode (a lone surrogate such as `"\ud800"` is refused with 400: it cannot be stored
 * as UTF-8 and is not a FHIR string, https://hl7.org/fhir/R4/datatypes.html#string).
 */
import { fail } from '../fhir/outcome.ts';

export interface ShapeLimits {
  maxContained: number;
  maxBundleEntries: number;
}

const wellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** Throws an OutcomeError for a body that breaks a limit or holds ill-formed Unicode. */
export function checkRequestShape(body: unknown, limits: ShapeLimits): void {
  let contained = 0;
  const stack: Array<[unknown, string]> = [[body, '$']];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (typeof value === 'string') {
      if (!wellFormed(value))
        fail('invalid', {
          code: 'invalid',
          id: 'STRING_NOT_UNICODE',
          text: 'A string holds a lone surrogate (not well-formed Unicode)',
          expression: path,
        });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], path]);
      continue;
    }
    for (const [key, v] of Object.entries(value)) {
      if (!wellFormed(key))
        fail('invalid', {
          code: 'invalid',
          id: 'STRING_NOT_UNICODE',
          text: 'A property name holds a lone surrogate (not well-formed Unicode)',
          expression: path,
        });
      const here = path === '$' ? key : `${path}.${key}`;
      if (key === 'contained' && Array.isArray(v)) {
        contained += v.length;
        if (contained > limits.maxContained) {
          fail('unprocessable', {
            code: 'too-costly',
            id: 'CONTAINED_TOO_MANY',
            text: `The request holds more than ${limits.maxContained} contained resources`,
            expression: here,
          });
        }
      }
      if (key === 'entry' && Array.isArray(v) && v.length > limits.maxBundleEntries) {
        fail('unprocessable', {
          code: 'too-costly',
          id: 'BUNDLE_TOO_MANY_ENTRIES',
          text: `A Bundle holds ${v.length} entries; at most ${limits.maxBundleEntries} are accepted`,
          expression: here,
        });
      }
      stack.push([v, here]);
    }
  }
}
