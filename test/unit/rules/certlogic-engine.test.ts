/** The guards around certlogic-js: hostile Logic is `open` (never pass) with a reason, and work is bounded. */
import { checkLogic, estimateCost, runLogic } from '../../../src/rules/certlogic-engine.ts';
import { RULE_LIMITS } from '../../../src/rules/limits.ts';

const deep = (n: number): unknown => {
  let e: unknown = true;
  for (let i = 0; i < n; i++) e = { '!': [e] };
  return e;
};

describe('CertLogic guards', () => {
  test('when a rule is truthy, falsy or neither, then it is pass, fail or open', () => {
    expect(runLogic({ '===': [{ var: 'a' }, 1] }, { a: 1 })).toEqual({ outcome: 'pass' });
    expect(runLogic({ '===': [{ var: 'a' }, 2] }, { a: 1 })).toEqual({ outcome: 'fail' });
    expect(runLogic({ var: 'a' }, { a: { b: [] } }).outcome).toBe('pass');
    expect(runLogic({ plusTime: ['2021-01-01', 1, 'day'] }, {})).toEqual({
      outcome: 'open',
      message: 'the rule evaluated to a value that is neither truthy nor falsy',
    });
  });

  test('when the Logic nests deeper than the cap, then it is open and says why (no stack overflow)', () => {
    expect(runLogic(deep(RULE_LIMITS.maxDepth + 1), {})).toEqual({
      outcome: 'open',
      message: `the Logic is nested deeper than ${RULE_LIMITS.maxDepth} levels`,
    });
    expect(runLogic(deep(200_000), {}).outcome).toBe('open');
    expect(runLogic(deep(10), {}).outcome).toBe('pass');
  });

  test('when the Logic holds a huge array, then it is open before it runs', () => {
    const huge = { in: ['x', Array.from({ length: RULE_LIMITS.maxNodes + 5 }, (_, i) => `c${i}`)] };
    expect(runLogic(huge, {})).toEqual({
      outcome: 'open',
      message: `the Logic has more than ${RULE_LIMITS.maxNodes} nodes`,
    });
  });

  test('when an operator is unknown, then the rule is open with the library validator message', () => {
    const r = runLogic({ eval: ['process.exit(1)'] }, {});
    expect(r.outcome).toBe('open');
    expect(r.message).toMatch(/^invalid CertLogic: /);
  });

  test.each([
    '__proto__',
    'constructor',
    'payload.constructor.name',
    'payload.__proto__.polluted',
    'payload.v.toString',
    'x.prototype',
  ])('when a var path is %s, then the rule is open and nothing of the host is read', (path) => {
    const r = runLogic({ '!': [{ '!': [{ var: path }] }] }, { payload: { v: [] } });
    expect(r.outcome).toBe('open');
    expect(r.message).toMatch(/steps into ".+", which is not data$/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('when a rule throws at evaluation, then it is open with the error, never pass', () => {
    const r = runLogic({ after: [{ var: 'a' }, { plusTime: ['2021-01-01', 0, 'day'] }] }, { a: 'not a date' });
    expect(r).toEqual({
      outcome: 'open',
      message: 'the rule could not be evaluated: all operands of a date-time comparison must be date-times',
    });
    expect(runLogic({ if: [{ var: 'a' }, true] }, { a: true }).outcome).toBe('open');
  });

  test('when nested reduces over a large value set could run for long, then the rule is open before evaluation', () => {
    const codes = Array.from({ length: 50_000 }, (_, i) => `c${i}`);
    const inner = { reduce: [{ var: 'vs' }, { '+': [{ var: 'accumulator' }, 1] }, 0] };
    const outer = { reduce: [{ var: 'vs' }, { '+': [{ var: 'accumulator' }, inner] }, 0] };
    expect(estimateCost(outer, codes.length)).toBeGreaterThan(RULE_LIMITS.maxCost);
    const r = runLogic({ '<': [0, outer] }, { vs: codes });
    expect(r.outcome).toBe('open');
    expect(r.message).toMatch(/^evaluation could take \d+ steps, above the cap of 5000000$/);
    expect(runLogic({ '<': [0, inner] }, { vs: codes }).outcome).toBe('pass');
  });

  test('when the Logic is fine, then checkLogic accepts it; when malformed, it names the problem', () => {
    expect(checkLogic({ and: [true, { var: 'payload.v.0.dn' }] })).toEqual({ ok: true });
    expect(checkLogic({ and: [true] }).reason).toBe(
      'invalid CertLogic: an "and" operation must have at least 2 operands, but it has 1',
    );
  });
});
