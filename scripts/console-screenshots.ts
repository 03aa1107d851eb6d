/**
 * Screenshots of each console page at desktop and phone width into docs/console/ (shown in the README):
 * `npm run docs:console`. It starts the same test server as the console's browser tests (test/console/
 * console-harness.ts: SQLite :memory:, the shared IG packages, development keys), fills it through the API, and drives
 * Debian's Chromium through each page's main flow.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { ipsMinimalBundle, packageExample } from '../test/helpers/shared-packages.ts';
import { operation, push, seedPatient, startConsole } from '../test/console/console-harness.ts';

const OUT = resolve(import.meta.dirname, '../docs/console');
const DDCC_PROFILE = 'http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization';

const c = await startConsole();
try {
  await seedPatient(c.t);
  const doc = ipsMinimalBundle();
  await push(c.t, doc);
  const hc1 = (await operation(c.t, 'Immunization/imm1/$issue-hcert?qrFormat=none')).hc1 as string;
  const shl = (await operation(c.t, `Bundle/${String(doc.id)}/$issue-shl?passcode=2468&qrFormat=none&vhl=false`))
    .shlink as string;
  const broken = { ...packageExample('who.ddcc#1.0.0.tgz', 'Immunization-DDCCImmunizationEnglish.json') };
  broken.status = 'not-a-status';
  mkdirSync(OUT, { recursive: true });

  const flows: Record<string, (page: Page) => Promise<void>> = {
    verify: async (page) => {
      await page.getByLabel('Credential', { exact: true }).fill(hc1);
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.locator('section.verdict').waitFor();
    },
    validate: async (page) => {
      await page.getByLabel('Resource (JSON)').fill(JSON.stringify(broken, null, 1));
      await page.getByLabel('Profile', { exact: true }).fill(DDCC_PROFILE);
      await page.getByRole('button', { name: 'Validate', exact: true }).click();
      await page.locator('li.issue.error button').first().click();
    },
    packages: async (page) => {
      await page.getByRole('button', { name: 'Open package who.ddcc' }).click();
      await page.locator('li.example').first().waitFor();
      await page.locator('li.example button').first().click();
      await page.locator('.example-verdict').first().waitFor();
      await page.locator('#package-title').scrollIntoViewIfNeeded();
    },
    shl: async (page) => {
      await page.getByLabel('Health Link', { exact: true }).fill(shl);
      await page.getByLabel('Passcode', { exact: true }).fill('2468');
      await page.getByRole('button', { name: 'Open', exact: true }).click();
      await page.locator('.shl-banner').waitFor();
    },
    issue: async (page) => {
      await page.locator('select option[value="p1"]').waitFor({ state: 'attached' });
      await page.getByRole('button', { name: 'HCERT (HC1)' }).click();
      await page.locator('section.verdict').waitFor();
    },
    trust: async (page) => {
      await page.locator('.trust-state').waitFor();
    },
  };

  for (const [width, height, name] of [
    [1280, 1000, 'desktop'],
    [390, 844, 'phone'],
  ] as const) {
    const page = await c.newPage({ width, height });
    for (const [id, flow] of Object.entries(flows)) {
      await page.goto('about:blank');
      await page.goto(`${c.origin}/console/#/${id}`);
      await page.locator('main h1').waitFor();
      await flow(page);
      // The answer is what the picture is for: bring the first result into view (the form stays above it).
      if (id !== 'packages')
        await page.locator('.result .banner, .result section, main h1').first().scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${OUT}/${id}-${name}.png` });
      process.stdout.write(`docs/console/${id}-${name}.png\n`);
    }
    await page.close();
  }
} finally {
  await c.close();
}
