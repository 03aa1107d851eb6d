/** Random Logic trees and data through the guarded engine: it never throws, and `pass` only ever means truthy. */
import fc from 'fast-check';
import { evaluate } from 'certlogic-js';
import { runLogic } from '../../../src/rules/certlogic-engine.ts';

const OPERATORS = [
  '===',
  'and',
  'if',
  '!',
  'in',
  '+',
  '<',
  '>',
  'after',
  'before',
  'plusTime',
  'reduce',
  'var',
  'extractFromUVCI',
  'dccDateOfBirth',
  '__proto__',
  'constructor',
  'eval',
];

const logic = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      fc.boolean(),
      fc.integer({ min: -5, max: 5 }),
      fc.constantFrom('', 'a', '2021-06-01', 'payload.v.0.dt', 'DE'),
      fc.constant(null),
      fc.double(),
    ),
    fc.record({
      var: fc.constantFrom('', 'a', 'a.b', 'payload.v.0', 'payload.__proto__', 'x.constructor', 'a.0.toString'),
    }),
    fc
      .tuple(fc.constantFrom(...OPERATORS), fc.array(tie('node'), { maxLength: 4 }))
      .map(([op, args]) => ({ [op]: args })),
    fc.array(tie('node'), { maxLength: 3 }),
  ),
})).node;

const data = fc.record({
  a: fc.oneof(fc.boolean(), fc.integer(), fc.string(), fc.array(fc.integer(), { maxLength: 5 })),
  payload: fc.constant({ v: [{ dt: '2021-06-01', dn: 1 }] }),
});

describe('guarded CertLogic under random input', () => {
  test('when random Logic runs on random data, then the engine answers pass, fail or open and pass implies a truthy library value', () => {
    fc.assert(
      fc.property(logic, data, (l, d) => {
        const r = runLogic(l, d);
        expect(['pass', 'fail', 'open']).toContain(r.outcome);
        if (r.outcome === 'pass') {
          const v = evaluate(l as never, d);
          expect(
            v === true ||
              (typeof v === 'number' && v !== 0) ||
              (typeof v === 'string' && v !== '') ||
              (Array.isArray(v) && v.length > 0) ||
              (typeof v === 'object' && v !== null && Object.keys(v).length > 0),
          ).toBe(true);
        }
        if (r.outcome === 'open') expect(typeof r.message).toBe('string');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});

test('when the library validator itself throws (an operand object without a prototype, found by fuzzing), then the rule is open, not an exception', () => {
  const operand = Object.assign(Object.create(null) as object, { var: '' });
  expect(runLogic({ extractFromUVCI: [0, operand] }, {})).toEqual({
    outcome: 'open',
    message: 'invalid CertLogic: the validator failed on it (Cannot convert object to primitive value)',
  });
});
