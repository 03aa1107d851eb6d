/**
 * The console's Health Link viewer, Issue and Trust pages in Chromium against a real server: a passcode-protected
 * link refuses a wrong passcode (attempts left shown) and then opens with the right one, showing the IPS summary
 * section by section; the Issue page mints an HCERT for a stored patient, shows its QR code and its verdict; the
 * Trust page shows the state, the counts and our published keys, and a broken trust-list file as degraded with its
 * error. axe-core checks each page.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { ipsMinimalBundle } from '../helpers/shared-packages.ts';
import {
  operation,
  push,
  seedPatient,
  seriousViolations,
  startConsole,
  verdictOf,
  type ConsoleHarness,
} from './console-harness.ts';

let c: ConsoleHarness;
let page: Page;

beforeAll(async () => {
  c = await startConsole();
  await seedPatient(c.t);
  page = await c.newPage();
}, 120_000);
afterAll(() => c?.close());

async function go(hash: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(`${c.origin}/console/${hash}`);
}

describe('Health Link viewer', () => {
  test('when a wrong passcode is given, then the link does not open and says so; with the right one, the IPS summary shows', async () => {
    const doc = ipsMinimalBundle();
    await push(c.t, doc);
    const issued = await operation(c.t, `Bundle/${String(doc.id)}/$issue-shl?passcode=2468&qrFormat=none&vhl=false`);
    const composition = (doc.entry as { resource: { resourceType: string; section?: unknown[] } }[])[0]!.resource;
    expect(composition.resourceType).toBe('Composition');

    await go('#/shl');
    await page.getByLabel('Health Link', { exact: true }).fill(issued.shlink);
    expect(await page.locator('.link-about dd').last().textContent()).toBe('yes');
    await page.getByLabel('Passcode', { exact: true }).fill('0000');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.locator('.shl-banner.bad').waitFor();
    expect(await page.locator('.shl-banner.bad .verdict-word').textContent()).toBe('The link could not be opened');
    expect(await page.locator('.shl-why').textContent()).toMatch(/passcode is missing or wrong; 4 attempt\(s\) left/);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('Passcode', { exact: true }).fill('2468');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.locator('.shl-banner.ok').waitFor();
    expect(await page.locator('.shl-banner.ok .verdict-word').textContent()).toBe('Health Link opened');
    expect(await page.locator('.result > .content section.ips-section').count()).toBe(composition.section!.length);
    expect(await page.locator('.result > .content .patient-name').count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('when the console is opened with a viewer URL (#shlink:/…), then the viewer has the link filled in', async () => {
    const doc = ipsMinimalBundle();
    const issued = await operation(c.t, `Bundle/${String(doc.id)}/$issue-shl?qrFormat=none&vhl=false`);
    await go(`#${issued.shlink}`);
    await page.getByLabel('Health Link', { exact: true }).waitFor();
    expect(await page.getByLabel('Health Link', { exact: true }).inputValue()).toBe(issued.shlink);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.locator('.shl-banner.ok').waitFor();
    expect(await page.locator('.result > .content section.ips-section').count()).toBeGreaterThan(0);
  });
});

describe('Issue page', () => {
  test('when an HCERT is minted for the stored patient, then its QR code shows and its verification reads Valid', async () => {
    await go('#/issue');
    await page.locator('select option[value="p1"]').waitFor({ state: 'attached' });
    await page.getByLabel('Patient', { exact: true }).selectOption('p1');
    await page.getByRole('button', { name: 'HCERT (HC1)' }).click();
    expect((await verdictOf(page)).word).toBe('Valid');
    expect(await page.locator('pre.credential').textContent()).toMatch(/^HC1:/);
    const qr = page.locator('img.qr');
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('when a Health Link is asked for a patient with nothing to summarise, then the error of the server is shown', async () => {
    await push(c.t, { resourceType: 'Patient', id: 'empty', name: [{ family: 'Nobody' }] });
    const res = await request(c.t.app).post('/fhir/Patient/empty/$issue-shl?qrFormat=none');
    expect(res.status).toBeGreaterThanOrEqual(400);
    await go('#/issue');
    await page.locator('select option[value="empty"]').waitFor({ state: 'attached' });
    await page.getByLabel('Patient', { exact: true }).selectOption('empty');
    await page.getByRole('button', { name: 'SMART Health Link' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(res.body.issue[0].details.text);
  });
});

describe('Trust page', () => {
  test('when opened, then the trust list state, the per-country counts and our published keys are shown', async () => {
    const status = (await request(c.t.app).get('/trust/status?detail=true')).body;
    const jwks = (await request(c.t.app).get('/.well-known/jwks.json')).body;
    await go('#/trust');
    await page.locator('.trust-state').waitFor();
    expect(await page.locator('.trust-state').textContent()).toBe(`Trust list state: ${status.state}`);
    expect(await page.locator('table.by-country tbody tr').count()).toBe(Object.keys(status.counts.byCountry).length);
    expect(await page.locator('table.certificates tbody tr').count()).toBe(status.certificates.length);
    expect(await page.locator('table.jwks tbody tr td:first-child').allTextContents()).toEqual(
      jwks.keys.map((k: { kid: string }) => k.kid),
    );
    expect(await seriousViolations(page)).toEqual([]);
  });
});

describe('Trust page with a broken trust-list file', () => {
  let broken: ConsoleHarness;
  afterAll(() => broken?.close());

  test('when the trust list cannot be read, then the page shows a state other than ok and the error', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'console-trust-')), 'trustlist.json');
    writeFileSync(file, 'this is not a trust list');
    broken = await startConsole({ trustListFile: file });
    await broken.t.services.trust.refresh();
    const status = (await request(broken.t.app).get('/trust/status')).body;
    expect(status.state).not.toBe('ok');
    const p = await broken.newPage();
    await p.goto(`${broken.origin}/console/#/trust`);
    await p.locator('.trust-state').waitFor();
    expect(await p.locator('.banner').getAttribute('class')).toBe('banner bad');
    expect(await p.locator('.trust-error').textContent()).toContain(status.lastError.message);
  });
});
