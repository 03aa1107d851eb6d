/**
 * The console's Verify page in Chromium against a real server: a pasted HCERT is "Valid" with every check passed
 * and the patient shown; a picture of a tampered QR code is "Not valid" naming the signature check; French works;
 * axe-core finds no serious or critical violation. The time from the click to the verdict is measured in the page
 * and reported (not asserted).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import QRCode from 'qrcode';
import type { Page } from 'playwright-core';
import { decodeBase45, encodeBase45 } from '../../src/formats/hcert/base45.ts';
import {
  operation,
  seedPatient,
  seriousViolations,
  startConsole,
  verdictOf,
  type ConsoleHarness,
} from './console-harness.ts';

let c: ConsoleHarness;
let page: Page;
let hc1: string;

beforeAll(async () => {
  c = await startConsole();
  await seedPatient(c.t);
  hc1 = (await operation(c.t, 'Immunization/imm1/$issue-hcert?qrFormat=none')).hc1;
  page = await c.newPage();
}, 120_000);
afterAll(() => c?.close());

/** The HCERT with one letter of the signed payload changed (the signature left as it was). */
function tampered(text: string): string {
  const cose = inflateSync(decodeBase45(text.slice(4)));
  const at = cose.indexOf(Buffer.from('Anna'));
  expect(at).toBeGreaterThan(0);
  const changed = Buffer.from(cose);
  changed.write('Anne', at);
  return `HC1:${encodeBase45(deflateSync(changed))}`;
}

async function open(): Promise<void> {
  await page.goto('about:blank'); // a fresh page, not a hash change that keeps the form as it was
  await page.goto(`${c.origin}/console/#/verify`);
  await page.getByLabel('Credential', { exact: true }).waitFor();
}

describe('Verify page', () => {
  test('when a valid HC1 is pasted and verified, then the verdict reads Valid, every check passed and the patient is shown', async () => {
    await open();
    await page.getByLabel('Credential', { exact: true }).fill(hc1);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    const { word, ms } = await verdictOf(page);
    expect(word).toBe('Valid');
    const failed = await page.locator('tr.check.fail').count();
    expect(failed).toBe(0);
    expect(await page.locator('tr.check.pass[data-check="signature"]').count()).toBe(1);
    expect(await page.locator('.patient-name').innerText()).toContain('Müller-Lüdenscheidt');
    expect(await page.locator('tr.immunization').count()).toBe(1);
    // Reported, not asserted: the issue asks for under 300 ms on this machine.
    console.log(`console: time to verdict after paste = ${ms} ms`);
    expect(ms).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('when a PNG of a tampered QR code is uploaded, then the verdict reads Not valid and names the failed signature check', async () => {
    const png = join(mkdtempSync(join(tmpdir(), 'console-qr-')), 'tampered.png');
    writeFileSync(png, await QRCode.toBuffer(tampered(hc1), { errorCorrectionLevel: 'Q', margin: 4, scale: 4 }));
    await open();
    await page.getByLabel('Or a picture of the QR code').setInputFiles(png);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    const { word } = await verdictOf(page);
    expect(word).toBe('Not valid');
    expect(await page.locator('.banner .failed li').allInnerTexts()).toEqual([
      expect.stringMatching(/^Signature \(signature\) — /),
    ]);
    expect(await page.locator('tr.check.fail').getAttribute('data-check')).toBe('signature');
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('when nothing is given, then the page says what to give and calls nobody', async () => {
    await open();
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    expect(await page.getByRole('alert').innerText()).toBe('Paste a credential or pick a picture first.');
  });

  test('when French is chosen, then the page and the verdict speak French', async () => {
    await open();
    await page.getByLabel('Language').selectOption('fr');
    await page.getByLabel('Justificatif', { exact: true }).fill(hc1);
    await page.getByRole('button', { name: 'Vérifier', exact: true }).click();
    expect((await verdictOf(page)).word).toBe('Valide');
    expect(await page.evaluate('document.documentElement.lang')).toBe('fr');
    await page.getByLabel('Langue').selectOption('en');
  });
});
