/**
 * The plain-text report of `gdhcn-gateway validate`, in the spirit of the HL7 validator's console output:
 * a header naming the packages, then per file the profiles checked, a `*FAILURE*`/`Success` summary line and
 * the issues grouped by severity with their location (FHIRPath) and stable message id, then a total.
 * Deterministic: no timings, no absolute paths beyond what the caller put in `file`.
 * https://confluence.hl7.org/display/FHIR/Using+the+FHIR+Validator
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import {
  countIssues,
  expressionOf,
  issuesIn,
  messageIdOf,
  missingDependencies,
  plural,
  SEVERITY_GROUPS,
  summaryLine,
  textOf,
  totalCounts,
  type FileResult,
  type SeverityCounts,
  type SeverityGroup,
  type ValidationReport,
} from './report-model.ts';

const HEADINGS: Record<SeverityGroup, string> = { error: 'Errors', warning: 'Warnings', information: 'Notes' };
const RULE_WIDTH = 78;

/** The header lines: engine, packages, missing dependencies, loader warnings (all known before any file). */
export function headerLines(report: Omit<ValidationReport, 'files'>): string[] {
  const used = report.packages.filter((p) => p.usedForValidation);
  const unused = report.packages.filter((p) => !p.usedForValidation);
  const lines = [
    `gdhcn-gateway validate (${report.engine})`,
    `Packages: ${used.map((p) => `${p.id}#${p.version}`).join(', ')}`,
  ];
  if (unused.length > 0) {
    lines.push(
      `Not used (not FHIR R4): ${unused.map((p) => `${p.id}#${p.version} (FHIR ${p.fhirVersion})`).join(', ')}`,
    );
  }
  const missing = missingDependencies(report.packages);
  if (missing.length > 0) {
    lines.push('Missing dependencies (their profiles, extensions and value sets cannot be checked):');
    for (const m of missing) lines.push(`  ${m.ref} (needed by ${m.neededBy.join(', ')})`);
  }
  if (report.warnings.length > 0) {
    lines.push('Package warnings:');
    for (const w of report.warnings) lines.push(`  ${w}`);
  }
  return lines;
}

function issueLines(issue: OperationOutcomeIssue): string[] {
  const where = expressionOf(issue);
  return [`  ${where === '' ? '(no location)' : where}  [${messageIdOf(issue)}]`, `      ${textOf(issue)}`];
}

/** The section of one file: what was validated, against what, the verdict, the issues by severity. */
export function formatFileSection(result: FileResult): string[] {
  const counts = countIssues(result.outcome);
  const title = `-- ${result.file} `;
  const lines = [`${title}${'-'.repeat(Math.max(3, RULE_WIDTH - title.length))}`];
  if (result.resource !== undefined) lines.push(`Resource: ${result.resource}`);
  result.profiles.forEach((p, i) => lines.push(`${i === 0 ? 'Profiles:' : '         '} ${p}`));
  lines.push(`${counts.errors > 0 ? '*FAILURE*' : 'Success'}: ${summaryLine(counts)}`);
  for (const group of SEVERITY_GROUPS) {
    const issues = issuesIn(result.outcome, group);
    if (issues.length === 0) continue;
    lines.push(`${HEADINGS[group]} (${issues.length}):`);
    for (const issue of issues) lines.push(...issueLines(issue));
  }
  return lines;
}

/** The final line over all files. */
export function totalLine(files: readonly FileResult[]): string {
  const failed = files.filter((f) => countIssues(f.outcome).errors > 0).length;
  return totalLineOf(files.length, failed, totalCounts(files));
}

/** The final line from running totals (the streaming report keeps counts, not the files' outcomes). */
export function totalLineOf(files: number, failed: number, counts: SeverityCounts): string {
  return `Total: ${plural(files, 'file')} (${failed} with errors): ${summaryLine(counts)}`;
}

/** The whole text report, ending with a newline. */
export function formatTextReport(report: ValidationReport): string {
  const lines = headerLines(report);
  for (const file of report.files) lines.push('', ...formatFileSection(file));
  lines.push('', totalLine(report.files));
  return `${lines.join('\n')}\n`;
}
