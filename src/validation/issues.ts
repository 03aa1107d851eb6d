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

export function createIssueSink(): IssueSink {
  const issues: OperationOutcomeIssue[] = [];
  const seen = new Set<string>();
  let errors = 0;
  const push = (i: OperationOutcomeIssue): void => {
    const key = `${i.severity}|${i.details?.coding?.[0]?.code}|${i.expression?.[0]}|${i.details?.text}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (i.severity === 'error' || i.severity === 'fatal') errors++;
    issues.push(i);
  };
  return {
    add(id, expression, text, severity) {
      const def = MESSAGES[id];
      push(issue({ severity: severity ?? def.severity, code: def.code, id, text, expression }));
    },
    addAll(list) {
      for (const i of list) push(i);
    },
    issues,
    errorCount: () => errors,
  };
}
