/**
 * The console as a whole, in Chromium: the first load of /console weighs under 300 KB as transferred (measured
 * here), no page breaks the Content-Security-Policy or is wider than the screen at desktop and phone width, every
 * page passes axe-core (no serious or critical violation), and with access control on the page is public, an API call without a token says how
 * to give one, and the token given is kept in the tab's sessionStorage only.
 */
import request from 'supertest';
import type { Page } from 'playwright-core';
import { seedPatient, seriousViolations, startConsole, type ConsoleHarness } from './console-harness.ts';

const PAGES = ['verify', 'validate', 'packages', 'shl', 'issue', 'trust'];
const BUDGET = 300 * 1024;

let c: ConsoleHarness;

beforeAll(async () => {
  c = await startConsole({}, { auth: true });
  const admin = await c.auth!.tokenFor('system/Patient.cruds system/Immunization.cruds');
  await seedPatient(c.t, admin);
  expect((await request(c.t.app).get('/fhir/Patient/p1')).status).toBe(401);
}, 120_000);
afterAll(() => c?.close());

/** Collects the CSP violations a page reports while `run` goes. */
async function cspViolations(page: Page, run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (m: { text(): string }) => {
    if (/Content Security Policy/i.test(m.text())) seen.push(m.text());
  };
  page.on('console', listener);
  await run();
  page.off('console', listener);
  return seen;
}

test('when /console is first loaded, then everything transferred weighs under 300 KB (brotli), and it is reported', async () => {
  const context = await c.browser.browser()?.newContext();
  const page = context ? await context.newPage() : await c.newPage();
  const sizes: Promise<number>[] = [];
  page.on('requestfinished', (req) => sizes.push(req.sizes().then((s) => s.responseBodySize + s.responseHeadersSize)));
  await page.goto(`${c.origin}/console/`, { waitUntil: 'networkidle' });
  await page.getByRole('heading', { name: 'Verify' }).waitFor();
  const total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  console.log(`console: first load of /console = ${total} bytes over ${sizes.length} requests (budget ${BUDGET})`);
  expect(sizes.length).toBeGreaterThanOrEqual(3); // page, script, style (and the public $packages-free start)
  expect(total).toBeGreaterThan(0);
  expect(total).toBeLessThan(BUDGET);
  await page.close();
  await context?.close();
});

describe.each([
  ['desktop', 1280, 900, true],
  ['phone', 390, 844, false],
])('every page at %s width', (_name, width, height, axe) => {
  test('when each page is opened, then the CSP is never broken and nothing is wider than the screen (axe-core: no serious or critical violation, checked once at desktop width)', async () => {
    const page = await c.newPage({ width, height });
    const found: Record<string, string[]> = {};
    const csp = await cspViolations(page, async () => {
      for (const name of PAGES) {
        await page.goto('about:blank');
        await page.goto(`${c.origin}/console/#/${name}`);
        await page.locator('main h1').waitFor();
        // Pages that load data settle first (their lists, or the alert saying a token is needed).
        await page.waitForLoadState('networkidle');
        found[name] = axe ? await seriousViolations(page) : [];
        expect([name, await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')]).toEqual([
          name,
          true,
        ]);
      }
    });
    expect(found).toEqual(Object.fromEntries(PAGES.map((p) => [p, []])));
    expect(csp).toEqual([]);
    await page.close();
  });
});

describe('with access control on', () => {
  test('when the Issue page is opened without a token, then it says a token is needed and how; with one, the patients are listed', async () => {
    const page = await c.newPage();
    await page.goto(`${c.origin}/console/#/issue`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('p').first().textContent()).toBe('This needs an API token.');
    expect(await alert.textContent()).toContain('npx gdhcn-gateway token');

    const bearer = await c.auth!.tokenFor('system/Patient.rs');
    await page.getByLabel('API token').fill(bearer);
    await page.getByRole('button', { name: 'Use', exact: true }).click();
    await page.goto('about:blank');
    await page.goto(`${c.origin}/console/#/issue`);
    await page.locator('select option[value="p1"]').waitFor({ state: 'attached' });
    expect(await page.evaluate(`sessionStorage.getItem('gdhcn-console-token')`)).toBe(bearer);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    await page.close();
  });

  test('when Verify is used without a token, then it works: $verify and the console are public', async () => {
    const page = await c.newPage();
    await page.goto(`${c.origin}/console/#/verify`);
    await page.getByLabel('Credential', { exact: true }).fill('HC1:not-a-credential');
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.locator('section.verdict').waitFor();
    expect(await page.locator('.verdict-word').textContent()).toBe('Not valid');
    await page.close();
  });
});
