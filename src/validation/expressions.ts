/**
 * An Expression whose language is FHIRPath (`text/fhirpath`) must parse (https://hl7.org/fhir/R4/metadatatypes.html#Expression),
 * as the HL7 validator checks it. Only the syntax is judged: names and functions are resolved when it runs.
 * Verdicts are kept per expression text (bounded), as the same expressions recur across resources.
 */
import { parseFhirPath } from '@medplum/core';
import type { IssueSink } from './issues.ts';

const verdicts = new Map<string, string | undefined>();
const MAX_REMEMBERED = 5_000;

function syntaxProblem(expression: string): string | undefined {
  if (verdicts.has(expression)) return verdicts.get(expression);
  let problem: string | undefined;
  try {
    parseFhirPath(expression);
  } catch (err) {
    problem = (err as Error).message;
  }
  if (verdicts.size >= MAX_REMEMBERED) verdicts.clear();
  verdicts.set(expression, problem);
  return problem;
}

/** Reports an Expression value (`obj`) in FHIRPath whose expression does not parse. */
export function checkExpression(sink: IssueSink, obj: Record<string, unknown>, path: string): void {
  if (obj.language !== 'text/fhirpath' || typeof obj.expression !== 'string') return;
  const problem = syntaxProblem(obj.expression);
  if (problem)
    sink.add(
      'EXPRESSION_FHIRPATH_INVALID',
      `${path}.expression`,
      `The value of the expression '${obj.expression}' is not a valid FHIRPath: ${problem}`,
    );
}
