/**
 * The console's Validate and Packages pages in Chromium against a real server with the shared IG packages: the DDCC
 * example validates with no error (from the Validate page and in one click from the Packages page); a broken resource
 * shows its error, and choosing the error lights up the element; text that is not JSON is refused before any call.
 * Expected counts come from the API and the package archives, not from this file. axe-core checks each page.
 */
import { readFileSync } from 'node:fs';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { DDCC_IMMUNIZATION, packageExample, sharedArchiveManifests } from '../helpers/shared-packages.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { seriousViolations, startConsole, type ConsoleHarness } from './console-harness.ts';

const DDCC_FILE = 'who.ddcc#1.0.0.tgz';
const DDCC_EXAMPLE = 'Immunization-DDCCImmunizationEnglish.json';

let c: ConsoleHarness;
let page: Page;

beforeAll(async () => {
  c = await startConsole();
  page = await c.newPage();
}, 120_000);
afterAll(() => c?.close());

/** Error count of the server's own $validate answer for the same input. */
async function apiErrors(resource: Record<string, unknown>, profile: string): Promise<number> {
  const res = await request(c.t.app)
    .post(`/fhir/${String(resource.resourceType)}/$validate?profile=${encodeURIComponent(profile)}`)
    .set('Content-Type', FHIR_JSON)
    .send(JSON.stringify(resource));
  expect(res.status).toBe(200);
  return (res.body.issue as { severity: string }[]).filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .length;
}

async function openValidate(): Promise<void> {
  await page.goto('about:blank');
  await page.goto(`${c.origin}/console/#/validate`);
  await page.getByLabel('Resource (JSON)').waitFor();
}

async function validateInPage(resource: unknown, profile: string): Promise<void> {
  await openValidate();
  await page.getByLabel('Resource (JSON)').fill(typeof resource === 'string' ? resource : JSON.stringify(resource));
  await page.getByLabel('Profile', { exact: true }).fill(profile);
  await page.getByRole('button', { name: 'Validate', exact: true }).click();
}

describe('Validate page', () => {
  test('when the DDCC Immunization example is validated against its profile, then the page says No errors, as $validate does', async () => {
    const example = packageExample(DDCC_FILE, DDCC_EXAMPLE);
    expect(await apiErrors(example, DDCC_IMMUNIZATION)).toBe(0);
    await validateInPage(example, DDCC_IMMUNIZATION);
    await page.locator('section.outcome').waitFor();
    expect(await page.locator('#outcome-title').textContent()).toBe('No errors');
    expect(await page.locator('li.issue.error').count()).toBe(0);
    // The searchable profile list holds the DDCC profiles of the loaded package.
    expect(await page.locator(`datalist option[value="${DDCC_IMMUNIZATION}"]`).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('when a resource has a bad status code, then its error is listed, and choosing it highlights the status element', async () => {
    const broken = { ...packageExample(DDCC_FILE, DDCC_EXAMPLE), status: 'not-a-status' };
    const errors = await apiErrors(broken, DDCC_IMMUNIZATION);
    expect(errors).toBeGreaterThan(0);
    await validateInPage(broken, DDCC_IMMUNIZATION);
    await page.locator('section.outcome').waitFor();
    expect(await page.locator('li.issue.error').count()).toBe(errors);
    expect(await page.locator('#outcome-title').textContent()).toBe(`${errors} error(s)`);
    await page.locator('li.issue.error button[data-expression="Immunization.status"]').first().click();
    expect(await page.locator('pre.json .line.hl').allTextContents()).toEqual(['  "status": "not-a-status",\n']);
    expect(await seriousViolations(page)).toEqual([]);
    // The CLI's HTML report of the same outcome, downloaded from the page.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download the HTML report' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('validation-report.html');
    const html = readFileSync((await download.path())!, 'utf8');
    expect(html).toContain('FHIR validation report');
    expect(html.match(/<tr class="issue error"/g)).toHaveLength(errors);
  });

  test('when the text is not JSON, then the page says so and sends nothing', async () => {
    await validateInPage('{"resourceType": "Patient",', '');
    expect(await page.getByRole('alert').textContent()).toMatch(/^This is not a FHIR resource in JSON:/);
  });
});

describe('Packages page', () => {
  test('when opened, then every loaded package is a row, and the DDCC package lists its examples; one click validates the DDCC example with 0 errors', async () => {
    const listed = await request(c.t.app).get('/fhir/$packages');
    const ids = (listed.body.parameter as { name: string; part: { name: string; valueString?: string }[] }[])
      .filter((p) => p.name === 'package')
      .map((p) => p.part.find((x) => x.name === 'id')!.valueString);
    await page.goto(`${c.origin}/console/#/packages`);
    await page.locator('table.package-table tbody tr').first().waitFor();
    expect(
      await page
        .locator('table.package-table tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-package'))),
    ).toEqual(ids);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Open package who.ddcc' }).click();
    await page.locator('li.example').first().waitFor();
    const archive = sharedArchiveManifests().find((m) => m.file.endsWith(DDCC_FILE))!;
    expect(await page.locator('li.example').count()).toBe(archive.exampleFiles);
    await page.getByRole('button', { name: `Validate example ${DDCC_EXAMPLE}` }).click();
    const verdict = page.locator(`li.example[data-file="${DDCC_EXAMPLE}"] .example-verdict`);
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-errors')).toBe('0');
    expect(await verdict.textContent()).toMatch(/^0 error\(s\), \d+ warning\(s\)$/);
    expect(await seriousViolations(page)).toEqual([]);
  });
});
