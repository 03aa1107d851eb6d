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

const isError = (i: OperationOutcomeIssue): boolean => i.severity === 'error' || i.severity === 'fatal';

/**
 * Two issues are the same when severity, message id, first expression and text are: compared field by field. A key
 * string per issue (the four joined) cost a long concatenation and its hash for every issue, most of them never equal
 * to any other (a CodeSystem's informational "not checked" notes: one per code).
 */
function same(a: OperationOutcomeIssue, b: OperationOutcomeIssue): boolean {
  return (
    a.expression?.[0] === b.expression?.[0] &&
    a.details?.coding?.[0]?.code === b.details?.coding?.[0]?.code &&
    a.severity === b.severity &&
    a.details?.text === b.details?.text
  );
}

/** Up to this many issues a sink compares a new one with each; beyond, it indexes them by expression. */
const SCAN_LIMIT = 16;

/** One per validated resource and profile, so made as a class (one object) rather than an object of closures. */
class Sink implements IssueSink {
  readonly issues: OperationOutcomeIssue[] = [];
  // issues[0 … indexed) by their first expression: built only once the list outgrows a linear scan. A resource's
  // cached issues handed to the empty sink of its caller (every top-level validation) are never compared again.
  // An expression's one issue, or its issues once a second one shares it (most expressions have one).
  private byExpression: Map<string | undefined, OperationOutcomeIssue | OperationOutcomeIssue[]> | undefined =
    undefined;
  private indexed = 0;
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
    if (issues.length < SCAN_LIMIT) {
      for (let j = 0; j < issues.length; j++) if (same(issues[j]!, i)) return;
    } else {
      const index = (this.byExpression ??= new Map());
      for (; this.indexed < issues.length; this.indexed++) {
        const known = issues[this.indexed]!;
        const at = known.expression?.[0];
        const group = index.get(at);
        if (group === undefined) index.set(at, known);
        else if (Array.isArray(group)) group.push(known);
        else index.set(at, [group, known]);
      }
      const at = i.expression?.[0];
      const group = index.get(at);
      if (group === undefined) index.set(at, i);
      else if (Array.isArray(group)) {
        for (const known of group) if (same(known, i)) return;
        group.push(i);
      } else {
        if (same(group, i)) return;
        index.set(at, [group, i]);
      }
      this.indexed++;
    }
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
