/**
 * The console's browser tests share this: a real server (createTestApp on SQLite :memory:, the shared IG packages,
 * development issuer keys, a fixed clock) listening on 127.0.0.1, the console bundle built if it is missing, and
 * Debian's Chromium driven through playwright-core (no downloaded browser). The server holds a DDCC patient with one
 * COVID-19 dose and an IPS document, ready to be issued from.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import type { Config } from '../../src/config/schema.ts';
import { CONSOLE_DIR } from '../../src/http/console-static.ts';
import { createTestApp, FHIR_JSON, type TestApp } from '../helpers/test-app.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/global-setup.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const SHL_BASE = 'https://gateway.test/shl';

export interface ConsoleHarness {
  t: TestApp;
  /** With `{ auth: true }`: the app with access control on, to mint tokens from. */
  auth?: AuthTestApp;
  /** http://127.0.0.1:<port> */
  origin: string;
  browser: BrowserContext;
  newPage(options?: { width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Builds dist/console when a fresh checkout has not (npm install normally does, through `prepare`). */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(CONSOLE_DIR, 'index.html'))) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-console.mjs')], { cwd: ROOT, stdio: 'ignore' });
}

export async function startConsole(
  config: Partial<Config> = {},
  options: { auth?: boolean } = {},
): Promise<ConsoleHarness> {
  ensureConsoleBuilt();
  const keys = await makeKeys();
  const settings = { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL, shlBaseUrl: SHL_BASE, ...config };
  const services = { now: () => NOW, issuerKeys: keys };
  const auth = options.auth ? await createAuthTestApp(settings, services) : undefined;
  const t = auth ?? (await createTestApp(settings, services));
  const server: Server = createServer(t.app);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'console-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    locale: 'en-GB',
  });
  return {
    t,
    ...(auth ? { auth } : {}),
    origin,
    browser,
    async newPage(options = {}) {
      const page = await browser.newPage();
      await page.setViewportSize({ width: options.width ?? 1280, height: options.height ?? 900 });
      return page;
    },
    async close() {
      await browser.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await t.close();
    },
  };
}

/** PUTs resources through the REST API (auth off in these apps unless the test turns it on). */
export const push = (t: TestApp, ...resources: Record<string, unknown>[]) => pushAs(t, undefined, ...resources);

/** As `push`, with a bearer token (access control on). */
export async function pushAs(t: TestApp, bearer: string | undefined, ...resources: Record<string, unknown>[]) {
  for (const r of resources) {
    const put = request(t.app).put(`/fhir/${String(r.resourceType)}/${String(r.id)}`);
    if (bearer) put.set('Authorization', `Bearer ${bearer}`);
    const res = await put.set('Content-Type', FHIR_JSON).send(JSON.stringify(r));
    if (res.status !== 201 && res.status !== 200) throw new Error(`push ${String(r.id)}: ${res.status} ${res.text}`);
  }
}

export const seedPatient = (t: TestApp, bearer?: string) =>
  pushAs(
    t,
    bearer,
    patient() as unknown as Record<string, unknown>,
    covidImmunization() as unknown as Record<string, unknown>,
  );

/** An operation call through the API, its Parameters answer as name → value. */
export async function operation(t: TestApp, path: string, body?: unknown): Promise<Record<string, any>> {
  const res = await request(t.app)
    .post(`/fhir/${path}`)
    .set('Content-Type', FHIR_JSON)
    .send(body === undefined ? '' : JSON.stringify(body));
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.text}`);
  const out: Record<string, any> = {};
  for (const p of res.body.parameter ?? []) {
    const key = Object.keys(p).find((k) => k.startsWith('value') || k === 'resource');
    out[p.name] = key ? p[key] : p;
  }
  return out;
}

/** axe-core on the page as it is: the serious and critical violations, as `id: target` lines. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

/** Waits for the verdict panel and returns its word and the time the page measured from click to answer. */
export async function verdictOf(page: Page): Promise<{ word: string; ms: number }> {
  const panel = page.locator('section.verdict');
  await panel.waitFor();
  return {
    word: (await panel.locator('.verdict-word').innerText()).trim(),
    ms: Number(await panel.getAttribute('data-ms')),
  };
}
