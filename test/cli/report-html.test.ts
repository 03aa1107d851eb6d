/**
 * The HTML report of `gdhcn-gateway validate --format html`, opened in headless Debian Chromium through
 * playwright-core (no downloaded browser): the issue list is there, grouped and filterable, and untrusted
 * strings from the validated resources cannot inject markup or scripts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { escapeHtml } from '../../src/cli/report-html.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/global-setup.ts';
import { BROKEN, inProcess, memoisedLoader, tempDir } from './validate-support.ts';

const cli = inProcess(memoisedLoader());
const INJECTED = '<script>window.__pwned = 1</script>';
const INJECTED_KEY = '<img src=x onerror="window.__pwned = 2">';

let browser: BrowserContext;
let page: Page;
let files: string[];
let expected: { file: string; outcome: OperationOutcome }[];

beforeAll(async () => {
  const dir = tempDir('cli-html-');
  const hostile = join(dir, 'hostile-&-<b>.json');
  writeFileSync(hostile, JSON.stringify({ resourceType: 'Patient', id: 'h1', gender: INJECTED, [INJECTED_KEY]: 1 }));
  files = [join(BROKEN, 'imm-extension-value-and-children.json'), join(BROKEN, 'imm-bad-id.json'), hostile];
  const report = join(dir, 'report.html');
  expect((await cli([...files, '--format', 'html', '--output', report])).code).toBe(1);
  expected = JSON.parse((await cli([...files, '--format', 'json'])).stdout);
  // A persistent context gives the browser a fresh profile folder of our own (--user-data-dir).
  browser = await chromium.launchPersistentContext(tempDir('chromium-profile-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  page = await browser.newPage();
  await page.goto(pathToFileURL(report).href);
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('HTML report in Chromium', () => {
  test('when the report is opened, then every issue of every file is one row of the issue tables', async () => {
    const total = expected.reduce((n, r) => n + r.outcome.issue.length, 0);
    expect(await page.locator('tr.issue').count()).toBe(total);
    expect(await page.locator('details.file').count()).toBe(files.length);
    expect(await page.locator('tr.issue.error').count()).toBe(
      expected.reduce((n, r) => n + r.outcome.issue.filter((i) => i.severity === 'error').length, 0),
    );
  });

  test('when a file has errors, warnings and notes, then its severity headings come in that order with their counts', async () => {
    const headings = await page.locator('#file-1 .group h3').allInnerTexts();
    expect(headings).toEqual(['Errors (2)', 'Warnings (1)', expect.stringMatching(/^Notes \(\d+\)$/)]);
    expect(await page.locator('#file-1 summary').innerText()).toMatch(/Failure · 2 errors, 1 warning, \d+ notes?/);
  });

  test('when an issue is shown, then its row holds the FHIRPath expression, the text and the message id', async () => {
    const row = page.locator('#file-1 tr.issue.warning').first();
    expect(await row.locator('td.expr').innerText()).toBe('Immunization.extension[1].extension[0]');
    expect(await row.locator('td.id').innerText()).toBe('EXTENSION_UNKNOWN');
    expect(await row.locator('td.text').innerText()).toBe('Unknown extension http://example.org/x');
    expect(await page.locator('#file-2 td.expr').allInnerTexts()).toContain('Immunization.id');
  });

  test('when the errors checkbox is cleared, then the error groups hide and the warnings stay (CSS only, no script)', async () => {
    const errors = page.locator('#file-1 .group.error');
    const warnings = page.locator('#file-1 .group.warning');
    expect(await errors.isVisible()).toBe(true);
    await page.locator('#show-error').uncheck();
    expect(await errors.isVisible()).toBe(false);
    expect(await warnings.isVisible()).toBe(true);
    await page.locator('#show-error').check();
    expect(await errors.isVisible()).toBe(true);
  });

  test('when a resource carries <script> and markup in its strings, then they show as text and nothing runs or loads', async () => {
    const hostile = page.locator('#file-3');
    expect(await hostile.locator('h2').innerText()).toBe(files[2]); // outside the working directory: shown whole
    expect(await hostile.locator('td.text').allInnerTexts()).toContainEqual(expect.stringContaining(INJECTED));
    expect(await hostile.locator('td.expr').allInnerTexts()).toContainEqual(expect.stringContaining(INJECTED_KEY));
    // Expressions as strings: they run in the page, and this project's TypeScript has no DOM types.
    expect(await page.evaluate("document.querySelectorAll('script, img, iframe, link, b').length")).toBe(0);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
  });
});

test('when text holds the five HTML special characters, then each is escaped', () => {
  expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
    '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
  );
});
