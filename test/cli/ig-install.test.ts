/** `ig install` against a package registry served on 127.0.0.1 (the real one is out of reach here). */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIgInstall } from '../../src/cli/ig-install.ts';
import { tarGz } from '../helpers/tar-builder.ts';

function pkg(name: string, version: string, dependencies: Record<string, string>): Buffer {
  return tarGz([
    { name: 'package/package.json', data: JSON.stringify({ name, version, fhirVersions: ['4.0.1'], dependencies }) },
    { name: 'package/ValueSet-x.json', data: JSON.stringify({ resourceType: 'ValueSet', id: 'x', url: `http://example.org/${name}/ValueSet/x`, status: 'active' }) },
  ]);
}

const packages: Record<string, Buffer> = {
  '/example.a/1.0.0': pkg('example.a', '1.0.0', { 'example.b': '2.0.0', 'hl7.fhir.r4.core': '4.0.1' }),
  '/example.b/2.0.0': pkg('example.b', '2.0.0', {}),
  '/example.evil/1.0.0': tarGz([
    { name: 'package/package.json', data: JSON.stringify({ name: 'example.evil', version: '1.0.0' }) },
    { name: 'package/../../../escape.json', data: '{}' },
  ]),
};

let server: Server;
let registry: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const body = packages[req.url ?? ''];
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/gzip' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function run(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runIgInstall(args, { env, out: (s) => (out += s), fetch: globalThis.fetch });
  return { code, out };
}

test('when a package is installed, then it and its dependencies land in the package cache, the R4 core is skipped, and a second run finds them cached', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'fhir-cache-'));
  const first = await run(['example.a@1.0.0'], { FHIR_PACKAGE_REGISTRY: registry, FHIR_PACKAGE_CACHE: cache });
  expect(first.code).toBe(0);
  expect(first.out).toContain('installed example.a#1.0.0');
  expect(first.out).toContain('installed example.b#2.0.0');
  expect(first.out).toContain('skipped hl7.fhir.r4.core#4.0.1');
  expect(readdirSync(cache).sort()).toEqual(['example.a#1.0.0', 'example.b#2.0.0']);
  expect(existsSync(join(cache, 'example.a#1.0.0', 'package', 'ValueSet-x.json'))).toBe(true);
  const second = await run(['example.a@1.0.0'], { FHIR_PACKAGE_REGISTRY: registry, FHIR_PACKAGE_CACHE: cache });
  expect(second.out).toContain('already in the cache: example.a#1.0.0');
});

test('when the registry cannot be reached, then exit 1 with what to do instead', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const res = await run(['example.a@1.0.0'], { FHIR_PACKAGE_REGISTRY: `http://127.0.0.1:${port}`, FHIR_PACKAGE_CACHE: mkdtempSync(join(tmpdir(), 'c-')) });
  expect(res.code).toBe(1);
  expect(res.out).toContain(`ig install failed: cannot reach the FHIR package registry at http://127.0.0.1:${port} (ECONNREFUSED)`);
  expect(res.out).toContain('copy the package .tgz files into ig/packages/');
});

test('when the registry does not have the package, then exit 1 naming the URL', async () => {
  const res = await run(['example.none@9.9.9'], { FHIR_PACKAGE_REGISTRY: registry, FHIR_PACKAGE_CACHE: mkdtempSync(join(tmpdir(), 'c-')) });
  expect(res.code).toBe(1);
  expect(res.out).toContain(`${registry}/example.none/9.9.9 answered 404`);
});

test('when the registry sends a hostile archive, then exit 1 and nothing is written to the cache', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'c-'));
  const res = await run(['example.evil@1.0.0'], { FHIR_PACKAGE_REGISTRY: registry, FHIR_PACKAGE_CACHE: cache });
  expect(res.code).toBe(1);
  expect(res.out).toContain('is outside package/');
  expect(readdirSync(cache)).toEqual([]);
});

test('when an argument is not name@version, then exit 2', async () => {
  const res = await run(['who.ddcc'], {});
  expect(res.code).toBe(2);
});
