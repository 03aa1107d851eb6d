/**
 * What the `validate` command hands to its report writers (text, JSON, HTML): one entry per file with the
 * OperationOutcome that judged it, plus the packages it was judged against. Helpers here read issues the way
 * the HL7 validator reports them: fatal counts as an error, information as a note.
 * https://hl7.org/fhir/R4/operationoutcome.html
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { PackageSummary } from '../packages/types.ts';

/** The outcome of one file. `file` is the path as shown to the user (relative to the working directory). */
export interface FileResult {
  readonly file: string;
  /** What was validated, e.g. `Immunization/abc`; absent when the file held no resource. */
  readonly resource?: string;
  /** Profiles the resource was checked against: the base definition, its `meta.profile` claims, `--profile`. */
  readonly profiles: readonly string[];
  readonly outcome: OperationOutcome;
}

export interface ValidationReport {
  /** Name and version of the engine, from the outcome's validated-with extension. */
  readonly engine: string;
  readonly packages: readonly PackageSummary[];
  /** Package loading warnings worth a reader's attention (missing dependencies are in `packages`). */
  readonly warnings: readonly string[];
  readonly files: readonly FileResult[];
}

export type SeverityGroup = 'error' | 'warning' | 'information';

/** Groups in the order a reader wants them: errors first. */
export const SEVERITY_GROUPS: readonly SeverityGroup[] = ['error', 'warning', 'information'];

export interface SeverityCounts {
  errors: number;
  warnings: number;
  notes: number;
}

export function groupOf(issue: OperationOutcomeIssue): SeverityGroup {
  if (issue.severity === 'fatal' || issue.severity === 'error') return 'error';
  return issue.severity === 'warning' ? 'warning' : 'information';
}

export function issuesIn(outcome: OperationOutcome, group: SeverityGroup): OperationOutcomeIssue[] {
  return (outcome.issue ?? []).filter((i) => groupOf(i) === group);
}

export function countIssues(outcome: OperationOutcome): SeverityCounts {
  return {
    errors: issuesIn(outcome, 'error').length,
    warnings: issuesIn(outcome, 'warning').length,
    notes: issuesIn(outcome, 'information').length,
  };
}

export function totalCounts(files: readonly FileResult[]): SeverityCounts {
  const total: SeverityCounts = { errors: 0, warnings: 0, notes: 0 };
  for (const f of files) {
    const c = countIssues(f.outcome);
    total.errors += c.errors;
    total.warnings += c.warnings;
    total.notes += c.notes;
  }
  return total;
}

/** `1 error`, `2 errors`: the summary line reads as English. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function summaryLine(c: SeverityCounts): string {
  return `${plural(c.errors, 'error')}, ${plural(c.warnings, 'warning')}, ${plural(c.notes, 'note')}`;
}

/** The stable message id (`details.coding[0].code`), or the IssueType code when the issue has none. */
export function messageIdOf(issue: OperationOutcomeIssue): string {
  return issue.details?.coding?.[0]?.code ?? issue.code;
}

export function textOf(issue: OperationOutcomeIssue): string {
  return issue.details?.text ?? issue.diagnostics ?? '';
}

export function expressionOf(issue: OperationOutcomeIssue): string {
  return (issue.expression ?? issue.location ?? []).join(', ');
}

/** Every missing dependency with the packages that need it, sorted, for the report headers. */
export function missingDependencies(packages: readonly PackageSummary[]): { ref: string; neededBy: string[] }[] {
  const byRef = new Map<string, string[]>();
  for (const p of packages) {
    for (const ref of p.missingDependencies) byRef.set(ref, [...(byRef.get(ref) ?? []), `${p.id}#${p.version}`]);
  }
  return [...byRef.keys()].sort().map((ref) => ({ ref, neededBy: byRef.get(ref) ?? [] }));
}
