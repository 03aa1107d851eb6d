/**
 * The HTML report of `gdhcn-gateway validate --format html`: one self-contained page (inline CSS, no script,
 * no external asset) that a person would rather read than the JSON. Per file: a verdict, the profiles checked,
 * and the issues grouped by severity, colour-coded, with location and message id. Severity filters are plain
 * checkboxes read by CSS `:has()`. Every piece of content is escaped, and a Content-Security-Policy forbids
 * scripts anyway, since validated resources and issue texts carry untrusted strings.
 * https://html.spec.whatwg.org/multipage/syntax.html#escapingString
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
  type SeverityGroup,
  type ValidationReport,
} from './report-model.ts';

const HEADINGS: Record<SeverityGroup, string> = { error: 'Errors', warning: 'Warnings', information: 'Notes' };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const CSS = `
:root{--err:#b3261e;--err-bg:#fdecea;--warn:#8a5300;--warn-bg:#fff4e0;--note:#0b57a4;--note-bg:#e8f1fb;--ok:#1e7b34;--ok-bg:#e7f5ea;--line:#d9d9de}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c1c21;background:#f6f6f8}
header,main{max-width:1100px;margin:0 auto;padding:16px 24px}h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.1em;margin:0;word-break:break-all}
h3{font-size:1em;margin:1em 0 .4em}code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.meta{color:#55555f}.totals span,.badge{display:inline-block;border-radius:12px;padding:2px 10px;margin:2px 4px 2px 0;font-weight:600}
.b-error{background:var(--err-bg);color:var(--err)}.b-warning{background:var(--warn-bg);color:var(--warn)}.b-information{background:var(--note-bg);color:var(--note)}
.b-ok{background:var(--ok-bg);color:var(--ok)}.b-files{background:#ececf1}
.filters{border:1px solid var(--line);border-radius:8px;padding:6px 12px;background:#fff}.filters label{margin-right:16px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{font-size:.85em;text-transform:uppercase;letter-spacing:.03em;color:#55555f}
.file{background:#fff;border:1px solid var(--line);border-left:6px solid var(--ok);border-radius:8px;margin:16px 0;padding:12px 16px}
.file.fail{border-left-color:var(--err)}.file.warn{border-left-color:#e0a000}.file>summary{cursor:pointer;list-style-position:outside}
.verdict{font-weight:700}.verdict.fail{color:var(--err)}.verdict.ok{color:var(--ok)}
.group.error h3{color:var(--err)}.group.warning h3{color:var(--warn)}.group.information h3{color:var(--note)}
tr.issue.error td:first-child{border-left:4px solid var(--err)}tr.issue.warning td:first-child{border-left:4px solid #e0a000}
tr.issue.information td:first-child{border-left:4px solid var(--note)}td.id code{color:#55555f;word-break:normal}
table.issues{table-layout:fixed}table.issues th:nth-child(1){width:34%}table.issues th:nth-child(3){width:230px}
body:has(#show-error:not(:checked)) .group.error,body:has(#show-warning:not(:checked)) .group.warning,
body:has(#show-information:not(:checked)) .group.information{display:none}
details.packages{margin:8px 0}ul.profiles{margin:4px 0;padding-left:20px}
`;

function badge(group: SeverityGroup | 'ok' | 'files', text: string): string {
  return `<span class="badge b-${group}">${escapeHtml(text)}</span>`;
}

function packagesBlock(report: ValidationReport): string {
  const rows = report.packages.map(
    (p) =>
      `<tr><td><code>${escapeHtml(`${p.id}#${p.version}`)}</code></td><td>${escapeHtml(p.fhirVersion)}</td><td>${p.usedForValidation ? 'yes' : 'no (not FHIR R4)'}</td></tr>`,
  );
  const missing = missingDependencies(report.packages).map(
    (m) => `<li><code>${escapeHtml(m.ref)}</code>, needed by ${escapeHtml(m.neededBy.join(', '))}</li>`,
  );
  const warnings = report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`);
  return `<details class="packages"><summary>Packages: ${plural(report.packages.length, 'package')}, ${missing.length} missing ${missing.length === 1 ? 'dependency' : 'dependencies'}</summary>
<table><thead><tr><th>Package</th><th>FHIR</th><th>Used to validate</th></tr></thead><tbody>${rows.join('')}</tbody></table>
${missing.length > 0 ? `<h3>Missing dependencies (their profiles, extensions and value sets cannot be checked)</h3><ul>${missing.join('')}</ul>` : ''}
${warnings.length > 0 ? `<h3>Package warnings</h3><ul>${warnings.join('')}</ul>` : ''}</details>`;
}

function filters(): string {
  const boxes = SEVERITY_GROUPS.map(
    (g) => `<label><input type="checkbox" id="show-${g}" checked> ${HEADINGS[g]}</label>`,
  );
  return `<fieldset class="filters"><legend>Show</legend>${boxes.join('')}</fieldset>`;
}

function issueRow(issue: OperationOutcomeIssue, group: SeverityGroup): string {
  const where = expressionOf(issue);
  return `<tr class="issue ${group}"><td class="expr"><code>${escapeHtml(where === '' ? '(no location)' : where)}</code></td><td class="text">${escapeHtml(textOf(issue))}</td><td class="id"><code>${escapeHtml(messageIdOf(issue))}</code></td></tr>`;
}

function issueGroups(result: FileResult): string {
  return SEVERITY_GROUPS.map((group) => {
    const issues = issuesIn(result.outcome, group);
    if (issues.length === 0) return '';
    return `<section class="group ${group}"><h3>${HEADINGS[group]} (${issues.length})</h3>
<table class="issues"><thead><tr><th>Location</th><th>Message</th><th>Message id</th></tr></thead><tbody>${issues.map((i) => issueRow(i, group)).join('')}</tbody></table></section>`;
  }).join('\n');
}

function fileSection(result: FileResult, index: number): string {
  const c = countIssues(result.outcome);
  const state = c.errors > 0 ? 'fail' : c.warnings > 0 ? 'warn' : 'ok';
  const verdict =
    c.errors > 0 ? `<span class="verdict fail">Failure</span>` : `<span class="verdict ok">Success</span>`;
  const profiles = result.profiles.map((p) => `<li><code>${escapeHtml(p)}</code></li>`).join('');
  return `<details class="file ${state}" id="file-${index + 1}" open><summary><h2>${escapeHtml(result.file)}</h2>
${verdict} · ${escapeHtml(summaryLine(c))}</summary>
${result.resource === undefined ? '' : `<p>Resource: <code>${escapeHtml(result.resource)}</code></p>`}
${profiles === '' ? '' : `<p>Checked against:</p><ul class="profiles">${profiles}</ul>`}
${issueGroups(result)}</details>`;
}

function fileIndex(files: readonly FileResult[]): string {
  const rows = files.map((f, i) => {
    const c = countIssues(f.outcome);
    return `<tr><td><a href="#file-${i + 1}"><code>${escapeHtml(f.file)}</code></a></td><td>${c.errors > 0 ? badge('error', 'Failure') : badge('ok', 'Success')}</td><td>${c.errors}</td><td>${c.warnings}</td><td>${c.notes}</td></tr>`;
  });
  return `<table class="index"><thead><tr><th>File</th><th>Verdict</th><th>Errors</th><th>Warnings</th><th>Notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The whole report as one HTML document. */
export function formatHtmlReport(report: ValidationReport): string {
  const t = totalCounts(report.files);
  const failed = report.files.filter((f) => countIssues(f.outcome).errors > 0).length;
  const title = `Validation report: ${plural(report.files.length, 'file')}, ${summaryLine(t)}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><header><h1>FHIR validation report</h1>
<p class="meta">${escapeHtml(report.engine)} · packages: ${escapeHtml(
    report.packages
      .filter((p) => p.usedForValidation)
      .map((p) => `${p.id}#${p.version}`)
      .join(', '),
  )}</p>
<p class="totals">${badge('files', plural(report.files.length, 'file'))}${badge(failed > 0 ? 'error' : 'ok', `${failed} with errors`)}${badge('error', plural(t.errors, 'error'))}${badge('warning', plural(t.warnings, 'warning'))}${badge('information', plural(t.notes, 'note'))}</p>
${packagesBlock(report)}
${fileIndex(report.files)}
${filters()}
</header>
<main>
${report.files.map(fileSection).join('\n')}
</main></body></html>
`;
}
