/**
 * CertLogic evaluation through the EU's own implementation (`certlogic-js`), behind guards it lacks: a Logic tree is
 * checked before it runs (nesting depth, node count, the library's own validator for unknown operators and
 * malformed operations, `var` paths that would step into JavaScript prototypes), and each evaluation's work is
 * bounded from above before it starts (`estimateCost`). Whatever goes wrong, the answer is `open`, never `pass`.
 * https://github.com/ehn-dcc-development/eu-dcc-business-rules/blob/main/certlogic/specification/README.md
 */
import { evaluate } from 'certlogic-js';
import { validateFormat } from 'certlogic-js/dist/validation/format-validator.js';
import { RULE_LIMITS } from './limits.ts';

export type RuleOutcome = 'pass' | 'fail' | 'open';

export interface LogicCheck {
  ok: boolean;
  /** Why the Logic cannot run (set when ok is false). */
  reason?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Names a `var` path must never step through: reading them returns the prototype machinery of the host language
 * (functions, `Object.prototype`), not data. CertLogic data is JSON, where none of them can be own keys that mean
 * anything to a rule, so a path naming one is refused before evaluation.
 */
const HOST_NAMES = new Set<string>(['__proto__', 'prototype', 'constructor']);
for (const proto of [Object.prototype, Array.prototype, String.prototype, Function.prototype]) {
  for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'length') HOST_NAMES.add(name);
}

/** Depth and size without recursion, so a hostile tree cannot exhaust the stack while being measured. */
function measure(logic: unknown): LogicCheck {
  const stack: Array<[unknown, number]> = [[logic, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (++nodes > RULE_LIMITS.maxNodes)
      return { ok: false, reason: `the Logic has more than ${RULE_LIMITS.maxNodes} nodes` };
    if (depth > RULE_LIMITS.maxDepth)
      return { ok: false, reason: `the Logic is nested deeper than ${RULE_LIMITS.maxDepth} levels` };
    if (Array.isArray(node)) for (const item of node) stack.push([item, depth + 1]);
    else if (isObj(node)) {
      const entries = Object.entries(node);
      if (entries.length === 1 && entries[0]![0] === 'var') {
        const path = entries[0]![1];
        const bad = typeof path === 'string' ? path.split('.').find((f) => HOST_NAMES.has(f)) : undefined;
        if (bad !== undefined)
          return {
            ok: false,
            reason: `the var path "${String(path).slice(0, 80)}" steps into "${bad}", which is not data`,
          };
      }
      for (const [, v] of entries) stack.push([v, depth + 1]);
    }
  }
  return { ok: true };
}

/**
 * Whether a Logic tree may run: within the size caps, safe paths, and valid CertLogic (library validator).
 * @example checkLogic({ '===': [1, 1] }) // { ok: true }
 * @example checkLogic({ foo: [1] }).reason // 'unrecognised operator "foo"'
 */
export function checkLogic(logic: unknown): LogicCheck {
  const size = measure(logic);
  if (!size.ok) return size;
  let issues: ReturnType<typeof validateFormat>;
  try {
    issues = validateFormat(logic as never);
  } catch (e) {
    // The library's validator itself throws on some shapes (found by fuzzing: an object without a prototype as
    // the operand of extractFromUVCI); such Logic is not CertLogic we can vouch for.
    return {
      ok: false,
      reason: `invalid CertLogic: the validator failed on it (${e instanceof Error ? e.message.slice(0, 120) : 'error'})`,
    };
  }
  if (issues.length > 0)
    return {
      ok: false,
      reason: `invalid CertLogic: ${issues
        .slice(0, 3)
        .map((i) => i.message)
        .join('; ')}`,
    };
  return { ok: true };
}

/**
 * An upper bound of the primitive steps evaluating `logic` takes when no array in its data is longer than
 * `maxArray`: `in` scans its array, `reduce` runs its lambda once per element, every node costs one.
 * @example estimateCost({ reduce: [{ var: 'a' }, { '+': [{ var: 'accumulator' }, 1] }, 0] }, 1000) // 6005
 */
export function estimateCost(logic: unknown, maxArray: number, depth = 0): number {
  if (depth > RULE_LIMITS.maxDepth) return Infinity;
  if (Array.isArray(logic)) return logic.reduce<number>((sum, x) => sum + estimateCost(x, maxArray, depth + 1), 1);
  if (!isObj(logic)) return 1;
  const entries = Object.entries(logic);
  if (entries.length !== 1) return 1;
  const [op, args] = entries[0]!;
  if (!Array.isArray(args)) return 2;
  const each = args.map((a) => estimateCost(a, maxArray, depth + 1));
  const sum = each.reduce((a, b) => a + b, 1);
  if (op === 'in') return sum + maxArray;
  if (op === 'reduce') return 1 + (each[0] ?? 0) + (each[2] ?? 0) + maxArray * (each[1] ?? 0);
  return sum;
}

/** Length of the longest array anywhere in `data` (iterative; `data` is JSON). */
export function longestArray(data: unknown): number {
  const stack: unknown[] = [data];
  let longest = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      if (v.length > longest) longest = v.length;
      for (const x of v) if (typeof x === 'object' && x !== null) stack.push(x);
    } else if (isObj(v)) for (const x of Object.values(v)) if (typeof x === 'object' && x !== null) stack.push(x);
  }
  return longest;
}

/** CertLogic truthiness (spec §"Truthy and falsy"): narrower than JavaScript's; anything else is neither. */
function boolsiness(v: unknown): boolean | undefined {
  if (v === true || (typeof v === 'string' && v !== '') || (typeof v === 'number' && v !== 0)) return true;
  if (v === false || v === null || v === '' || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v) && Object.getPrototypeOf(v) === Object.prototype) return Object.keys(v).length > 0;
  return undefined;
}

export interface LogicResult {
  outcome: RuleOutcome;
  /** Why the rule is open. */
  message?: string;
}

/**
 * Run one checked Logic tree on `data`: truthy → pass, falsy → fail, anything else, a throw or a tree over the
 * caps → open. `maxArray` is the longest array in `data` (pass it when known, it is computed otherwise).
 * @example runLogic({ '===': [{ var: 'payload.ver' }, '1.3.0'] }, { payload: { ver: '1.3.0' } }) // { outcome: 'pass' }
 */
export function runLogic(logic: unknown, data: unknown, maxArray = longestArray(data)): LogicResult {
  const checked = checkLogic(logic);
  if (!checked.ok) return { outcome: 'open', message: checked.reason! };
  return runChecked(logic, data, maxArray);
}

/**
 * `runLogic` for a tree `checkLogic` already accepted (rules are checked once, when loaded). `knownCost` is an
 * `estimateCost` bound computed earlier for an array length at least `maxArray`.
 */
export function runChecked(logic: unknown, data: unknown, maxArray: number, knownCost?: number): LogicResult {
  const cost = knownCost ?? estimateCost(logic, maxArray);
  if (cost > RULE_LIMITS.maxCost)
    return {
      outcome: 'open',
      message: `evaluation could take ${Number.isFinite(cost) ? cost : 'unbounded'} steps, above the cap of ${RULE_LIMITS.maxCost}`,
    };
  let value: unknown;
  try {
    value = evaluate(logic as never, data);
  } catch (e) {
    return {
      outcome: 'open',
      message: `the rule could not be evaluated: ${e instanceof Error ? e.message.slice(0, 200) : 'error'}`,
    };
  }
  const b = boolsiness(value);
  if (b === true) return { outcome: 'pass' };
  if (b === false) return { outcome: 'fail' };
  return { outcome: 'open', message: 'the rule evaluated to a value that is neither truthy nor falsy' };
}

/**
 * Evaluate a CertLogic expression to its value, with the same guards (the conformance suite's `evaluate` cases).
 * Throws an Error with the reason when the expression may not run or fails.
 * @example evaluateGuarded({ '+': [1, 2] }, {}) // 3
 */
export function evaluateGuarded(logic: unknown, data: unknown): unknown {
  const size = measure(logic);
  if (!size.ok) throw new Error(size.reason);
  const cost = estimateCost(logic, longestArray(data));
  if (cost > RULE_LIMITS.maxCost)
    throw new Error(`evaluation could take ${cost} steps, above the cap of ${RULE_LIMITS.maxCost}`);
  return evaluate(logic as never, data);
}

/**
 * The library's validator behind the size guard (the conformance suite's `validate` cases).
 * @example validateLogic({ var: 'a..b' }).length // 1
 */
export function validateLogic(logic: unknown): Array<{ expr: unknown; message: string }> {
  const size = measure(logic);
  if (!size.ok) return [{ expr: logic, message: size.reason! }];
  try {
    return validateFormat(logic as never);
  } catch (e) {
    return [
      {
        expr: logic,
        message: `the validator failed on it (${e instanceof Error ? e.message.slice(0, 120) : 'error'})`,
      },
    ];
  }
}
