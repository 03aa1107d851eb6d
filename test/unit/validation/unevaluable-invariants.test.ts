/** age-1, cnt-3, dis-1, drt-1 (`%ucum`, undefined in the engine): the direct form throws what the engine throws. */
import { evalFhirPathTyped, parseFhirPath } from '@medplum/core';
import { loadBaseDefinitions } from '../../../src/fhir/base-definitions.ts';
import { UNEVALUABLE_EXPRESSIONS, unevaluableInvariant } from '../../../src/validation/unevaluable-invariants.ts';

const TYPES = ['Age', 'Count', 'Distance', 'Duration'];
/** Well-formed and odd values: every operand present or absent, wrong JSON types, primitive twins, non-objects. */
const VALUES: unknown[] = [
  { value: 65, unit: 'yr', system: 'http://unitsofmeasure.org', code: 'a' },
  { value: 3, system: 'http://unitsofmeasure.org', code: '1' },
  { value: 2.5, code: 'mm' },
  { system: 'http://example.org' },
  { value: -1, system: 'http://unitsofmeasure.org', code: 'a' },
  { code: 'a' },
  {},
  { value: '12', code: 7 },
  { _value: { extension: [] }, _code: { id: 'x' } },
  { value: null },
  'text',
  42,
];

function engine(expression: string, type: string, value: unknown): string {
  const resource = { resourceType: 'Observation', valueQuantity: value };
  try {
    evalFhirPathTyped(parseFhirPath(expression), [{ type, value }], {
      '%resource': { type: 'Observation', value: resource },
      '%rootResource': { type: 'Observation', value: resource },
      '%context': { type, value },
    });
    return 'evaluated';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('invariants the engine cannot evaluate', () => {
  beforeAll(() => loadBaseDefinitions());

  test('when any value is checked, then the direct form throws the message the engine throws for it', () => {
    expect(UNEVALUABLE_EXPRESSIONS.length).toBe(4);
    for (const expression of UNEVALUABLE_EXPRESSIONS) {
      const form = unevaluableInvariant(expression);
      expect(form).toBeDefined();
      for (const type of TYPES)
        for (const value of VALUES) {
          const truth = engine(expression, type, value);
          expect(truth).toContain('%ucum');
          expect(() => form?.(value, {})).toThrow(new Error(truth));
        }
    }
  });

  test('when an expression is not one of them, then there is no direct form', () => {
    expect(unevaluableInvariant('code.exists() implies value.exists()')).toBeUndefined();
  });
});
