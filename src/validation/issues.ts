/**
 * Collects validation issues; merges duplicates (same message id, severity and expression), which
 * document Bundles produce when one resource is reached through several paths.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, type IssueSeverity } from '../fhir/outcome.ts';
import { MESSAGES, type MessageId } from './messages.ts';

export interface IssueSink {
  add(id: MessageId, expression: string, text: string, severity?: IssueSeverity): void;
  /**
   * Appends issues computed elsewhere (e.g. a cached validation of the same resource). `unique`: the list is another
   * sink's, so free of duplicates by construction (an empty sink then takes it without comparing).
   */
  addAll(issues: readonly OperationOutcomeIssue[], unique?: boolean): void;
  readonly issues: OperationOutcomeIssue[];
  errorCount(): number;
}

const keyOf = (i: OperationOutcomeIssue): string =>
  `${i.severity}|${i.details?.coding?.[0]?.code}|${i.expression?.[0]}|${i.details?.text}`;

const isError = (i: OperationOutcomeIssue): boolean => i.severity === 'error' || i.severity === 'fatal';

/** One per validated resource and profile, so made as a class (one object) rather than an object of closures. */
class Sink implements IssueSink {
  readonly issues: OperationOutcomeIssue[] = [];
  // Keys of issues[0 … keyed): built only when a later issue must be compared with them. A resource's cached issues
  // handed to the empty sink of its caller (every top-level validation) are never keyed a second time.
  private seen: Set<string> | undefined = undefined;
  private keyed = 0;
  private errors = 0;

  add(id: MessageId, expression: string, text: string, severity?: IssueSeverity): void {
    const def = MESSAGES[id];
    this.push(issue({ severity: severity ?? def.severity, code: def.code, id, text, expression }));
  }

  addAll(list: readonly OperationOutcomeIssue[], unique = false): void {
    if (unique && this.issues.length === 0) {
      for (const i of list) {
        if (isError(i)) this.errors++;
        this.issues.push(i);
      }
      return;
    }
    for (const i of list) this.push(i);
  }

  errorCount(): number {
    return this.errors;
  }

  private push(i: OperationOutcomeIssue): void {
    const issues = this.issues;
    const seen = (this.seen ??= new Set());
    for (; this.keyed < issues.length; this.keyed++) seen.add(keyOf(issues[this.keyed]!));
    const key = keyOf(i);
    if (seen.has(key)) return;
    seen.add(key);
    this.keyed++;
    if (isError(i)) this.errors++;
    issues.push(i);
  }
}

export function createIssueSink(): IssueSink {
  return new Sink();
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
