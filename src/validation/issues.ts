/**
 * Collects validation issues; merges duplicates (same message id, severity and expression), which
 * document Bundles produce when one resource is reached through several paths.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, type IssueSeverity } from '../fhir/outcome.ts';
import { MESSAGES, type MessageId } from './messages.ts';

export interface IssueSink {
  add(id: MessageId, expression: string, text: string, severity?: IssueSeverity): void;
  /** Appends issues computed elsewhere (e.g. a cached validation of the same resource). */
  addAll(issues: readonly OperationOutcomeIssue[]): void;
  readonly issues: OperationOutcomeIssue[];
  errorCount(): number;
}

/** The lists sinks hold: free of duplicates by construction, so a sink that starts with one need not check it. */
const DUPLICATE_FREE = new WeakSet<readonly OperationOutcomeIssue[]>();

const keyOf = (i: OperationOutcomeIssue): string =>
  `${i.severity}|${i.details?.coding?.[0]?.code}|${i.expression?.[0]}|${i.details?.text}`;

const isError = (i: OperationOutcomeIssue): boolean => i.severity === 'error' || i.severity === 'fatal';

export function createIssueSink(): IssueSink {
  const issues: OperationOutcomeIssue[] = [];
  DUPLICATE_FREE.add(issues);
  // Keys of issues[0 … keyed): built only when a later issue must be compared with them. A resource's cached issues
  // handed to the empty sink of its caller (every top-level validation) are never keyed a second time.
  const seen = new Set<string>();
  let keyed = 0;
  let errors = 0;
  const push = (i: OperationOutcomeIssue): void => {
    for (; keyed < issues.length; keyed++) seen.add(keyOf(issues[keyed]!));
    const key = keyOf(i);
    if (seen.has(key)) return;
    seen.add(key);
    keyed++;
    if (isError(i)) errors++;
    issues.push(i);
  };
  return {
    add(id, expression, text, severity) {
      const def = MESSAGES[id];
      push(issue({ severity: severity ?? def.severity, code: def.code, id, text, expression }));
    },
    addAll(list) {
      if (issues.length === 0 && DUPLICATE_FREE.has(list)) {
        for (const i of list) {
          if (isError(i)) errors++;
          issues.push(i);
        }
        return;
      }
      for (const i of list) push(i);
    },
    issues,
    errorCount: () => errors,
  };
}

/**
 * A sink for trials whose issues are thrown away (a value tried against a slice): it only counts errors, so no issue
 * is built or compared. The walk that keeps the result runs again with a real sink.
 */
export function createCountingSink(): IssueSink {
  let errors = 0;
  return {
    add(id, _expression, _text, severity) {
      const s = severity ?? MESSAGES[id].severity;
      if (s === 'error' || s === 'fatal') errors++;
    },
    addAll(list) {
      for (const i of list) if (isError(i)) errors++;
    },
    issues: [],
    errorCount: () => errors,
  };
}
