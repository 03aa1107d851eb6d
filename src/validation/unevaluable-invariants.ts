/**
 * R4 datatype invariants that the FHIRPath engine can never evaluate: age-1, cnt-3, dis-1 and drt-1 compare
 * `system = %ucum`, and the engine defines no `%ucum` variable. In each the variable is an operand of `=` under
 * `and` / `or` / `implies`, and this engine evaluates both operands of those operators every time, so every
 * evaluation, whatever the Age / Count / Distance / Duration value, ends in the same error, which the validator reports
 * as "not checked" (INVARIANT_NOT_EVALUATED) with the engine's message. The message is taken from the engine once per
 * expression; the direct form then throws it without evaluating: an evaluation that builds and wraps the error cost
 * about as much as validating a small resource, on every Age or Duration of a resource.
 * https://hl7.org/fhir/R4/datatypes.html#Age
 */
import { evalFhirPathTyped, parseFhirPath } from '@medplum/core';
import type { ResourceShortcut } from './shortcut-shape.ts';

const ALWAYS_UNDEFINED_VARIABLE: ReadonlySet<string> = new Set([
  // age-1
  '(code.exists() or value.empty()) and (system.empty() or system = %ucum) and (value.empty() or value.hasValue().not() or value > 0)',
  // cnt-3
  "(code.exists() or value.empty()) and (system.empty() or system = %ucum) and (code.empty() or code = '1') and (value.empty() or value.hasValue().not() or value.toString().contains('.').not())",
  // dis-1
  '(code.exists() or value.empty()) and (system.empty() or system = %ucum)',
  // drt-1
  'code.exists() implies ((system = %ucum) and value.exists())',
]);

/** The engine's own error for the expression, or undefined if it evaluates after all (then FHIRPath keeps it). */
function engineError(expression: string): string | undefined {
  try {
    evalFhirPathTyped(parseFhirPath(expression), [{ type: 'Quantity', value: {} }], {});
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : undefined;
  }
}

/**
 * The direct form of an invariant the engine cannot evaluate: it throws the engine's error; undefined for others.
 * @example unevaluableInvariant('code.exists() implies ((system = %ucum) and value.exists())')?.({}) // throws
 */
export function unevaluableInvariant(expression: string): ResourceShortcut | undefined {
  if (!ALWAYS_UNDEFINED_VARIABLE.has(expression)) return undefined;
  const message = engineError(expression);
  if (message === undefined) return undefined;
  // One error made here and thrown each time: a new Error per evaluation captured a stack trace (most of the cost of
  // an Age or Duration); the caller reads only its message.
  const error = new Error(message);
  return () => {
    throw error;
  };
}

/** The expressions handled here (for the test that compares each with the engine). */
export const UNEVALUABLE_EXPRESSIONS: readonly string[] = [...ALWAYS_UNDEFINED_VARIABLE];
