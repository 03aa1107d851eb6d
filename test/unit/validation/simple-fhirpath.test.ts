import { evalFhirPath } from '@medplum/core';
import { compileSimple } from '../../../src/validation/simple-fhirpath.ts';

const cases: [string, unknown][] = [
  ['family.exists() or given.exists() or text.exists()', { given: ['A'] }],
  ['family.exists() or given.exists() or text.exists()', { use: 'official' }],
  ['emptyReason.empty() or entry.empty()', { emptyReason: { text: 'x' }, entry: [{ reference: 'a' }] }],
  ['emptyReason.empty() or entry.empty()', { entry: [{ reference: 'a' }] }],
  ['value.exists() or hasMember.exists()', { valueQuantity: { value: 1 } }],
  ['name.exists() and telecom.exists()', { name: [{ text: 'x' }] }],
];

describe('compileSimple', () => {
  test.each(cases)('when "%s" is compiled, then it agrees with the FHIRPath engine on %j', (expression, value) => {
    const fn = compileSimple(expression);
    expect(fn).toBeDefined();
    const reference = evalFhirPath(expression, value)[0] === true;
    expect(fn?.(value)).toBe(reference);
  });

  test('when a primitive carries only an extension, then it exists (FHIRPath treats it as an element; medplum differs here)', () => {
    expect(compileSimple('given.exists()')?.({ _given: [{ extension: [{ url: 'u', valueString: 'v' }] }] })).toBe(true);
  });

  test('when an expression mixes and/or or uses other functions, then it is left to the FHIRPath engine', () => {
    expect(compileSimple('a.exists() or b.exists() and c.exists()')).toBeUndefined();
    expect(compileSimple("where(use = 'home').empty()")).toBeUndefined();
    expect(compileSimple('start.hasValue().not() or end.hasValue().not() or (start <= end)')).toBeUndefined();
  });
});
