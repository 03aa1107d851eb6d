/**
 * How the server serves the console (src/http/console-static.ts): the page revalidated on every load, hashed assets
 * cached for good, the strict Content-Security-Policy on each, the brotli or gzip twin when the browser accepts it,
 * `/` sending browsers to the console, 404 for anything else under /console/assets, and a 503 that says how to build
 * the console when it is not built. The console is public (PUBLIC_PATHS) even with access control on.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, get, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { CONSOLE_CSP, CONSOLE_DIR, mountConsole } from '../../src/http/console-static.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { ensureConsoleBuilt } from '../console/console-harness.ts';

let t: AuthTestApp;
let script: string;

beforeAll(async () => {
  ensureConsoleBuilt();
  t = await createAuthTestApp();
  script = readdirSync(join(CONSOLE_DIR, 'assets')).find((f) => f.endsWith('.js'))!;
});
afterAll(() => t.close());

test('when /console/ is asked for without a token, then the page comes with no-cache and the strict CSP', async () => {
  const res = await request(t.app).get('/console/');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-cache');
  expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
  expect(CONSOLE_CSP).toContain("script-src 'self'");
  expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  expect(res.text).toBe(readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8'));
  // No inline script in the built page: every script has a src under /console/assets/.
  expect(res.text.match(/<script[^>]*>/g)?.every((tag) => /src="\/console\/assets\//.test(tag))).toBe(true);
  expect((await request(t.app).get('/console')).status).toBe(200);
});

/** The bytes as sent (supertest would unpack them), through a real listener. */
async function rawGet(path: string, encoding: string) {
  const server = createServer(t.app);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((ok, fail) => {
      get({ host: '127.0.0.1', port, path, headers: { 'Accept-Encoding': encoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', fail);
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}

test('when a hashed asset is asked for with brotli or gzip accepted, then that twin is sent, cached immutable, and it unpacks to the file', async () => {
  const raw = readFileSync(join(CONSOLE_DIR, 'assets', script));
  const br = await rawGet(`/console/assets/${script}`, 'gzip, br');
  expect(br.headers['content-encoding']).toBe('br');
  expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect(br.headers['content-security-policy']).toBe(CONSOLE_CSP);
  expect(br.headers.vary).toContain('Accept-Encoding');
  expect(br.body.length).toBeLessThan(raw.length);
  expect(brotliDecompressSync(br.body).equals(raw)).toBe(true);
  const gz = await rawGet(`/console/assets/${script}`, 'gzip');
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(gunzipSync(gz.body).equals(raw)).toBe(true);
  const plain = await rawGet(`/console/assets/${script}`, 'identity');
  expect(plain.headers['content-encoding']).toBeUndefined();
  expect(plain.body.equals(raw)).toBe(true);
});

test('when an asset that is not in the build, a compressed twin by name, or a path outside is asked for, then 404', async () => {
  for (const path of [
    '/console/assets/nope.js',
    `/console/assets/${script}.br`,
    '/console/assets/..%2F..%2Fpackage.json',
    '/console/index.html',
  ]) {
    expect([path, (await request(t.app).get(path)).status]).toEqual([path, 404]);
  }
});

test('when / is asked for, then the browser is sent to the console', async () => {
  const res = await request(t.app).get('/');
  expect(res.status).toBe(302);
  expect(res.headers.location).toBe('/console/');
});

test('when the console is not built, then /console answers 503 saying how to build it', async () => {
  const app = express();
  mountConsole(app, mkdtempSync(join(tmpdir(), 'console-empty-')));
  const res = await request(app).get('/console/');
  expect(res.status).toBe(503);
  expect(res.text).toBe('The console is not built: run `npm run build:console`.\n');
});
