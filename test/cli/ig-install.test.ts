/**
 * `ig install` against a FHIR package registry double served on 127.0.0.1, with an npm double standing in for the
 * user's `npm` (the npm registry source): neither real registry is reached.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIgInstall } from '../../src/cli/ig-install.ts';
import { loadPackages } from '../../src/packages/load-packages.ts';
import type { NpmRunner } from '../../src/packages/npm-source.ts';
import { tarGz } from '../helpers/tar-builder.ts';

function pkg(name: string, version: string, dependencies: Record<string, string>): Buffer {
  return tarGz([
    { name: 'package/package.json', data: JSON.stringify({ name, version, fhirVersions: ['4.0.1'], dependencies }) },
    {
      name: 'package/ValueSet-x.json',
      data: JSON.stringify({
        resourceType: 'ValueSet',
        id: 'x',
        url: `http://example.org/${name}/ValueSet/x`,
        status: 'active',
      }),
    },
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

/** The npm double's registry: package → version → archive (as `npm pack` would write it). */
const npmPublished: Record<string, Record<string, Buffer>> = {
  'example.npmonly': { '3.0.0': pkg('example.npmonly', '3.0.0', {}) },
  'example.later': {
    '5.1.0': pkg('example.later', '5.1.0', {}),
    '5.3.0-ballot-tc1': pkg('example.later', '5.3.0-ballot-tc1', {}),
  },
  // HL7 IPS as the npm registry publishes it (the same archive as ../shared), and the nearest versions npm has of its
  // dependencies, declaring what the real ones declare; hl7.fhir.uv.ipa is not on npm at all.
  'hl7.fhir.uv.ips': { '2.0.0': readFileSync('../shared/fhir-packages/hl7.fhir.uv.ips#2.0.0.tgz') },
  'hl7.terminology.r4': {
    // Like the real one, it republishes a terminology.hl7.org code system the R4 core carries too (allowed here).
    '7.0.1': tarGz([
      {
        name: 'package/package.json',
        data: JSON.stringify({
          name: 'hl7.terminology.r4',
          version: '7.0.1',
          fhirVersions: ['4.0.1'],
          dependencies: { 'hl7.fhir.r4.core': '4.0.1', 'hl7.fhir.uv.extensions.r4': '5.2.0' },
        }),
      },
      {
        name: 'package/CodeSystem-action-type.json',
        data: JSON.stringify({
          resourceType: 'CodeSystem',
          url: 'http://terminology.hl7.org/CodeSystem/action-type',
          status: 'active',
          content: 'complete',
        }),
      },
    ]),
  },
  'hl7.fhir.uv.extensions.r4': {
    '5.3.0-ballot-tc1': pkg('hl7.fhir.uv.extensions.r4', '5.3.0-ballot-tc1', {
      'hl7.fhir.r4.core': '4.0.1',
      'hl7.terminology.r4': '6.5.0',
    }),
  },
  'example.npmevil': {
    '1.0.0': tarGz([
      { name: 'package/package.json', data: JSON.stringify({ name: 'example.npmevil', version: '1.0.0' }) },
      { name: 'package/../../escape.json', data: '{}' },
    ]),
  },
};
const npmCalls: string[][] = [];
/** `npm view <id> versions --json` and `npm pack <id>@<v> --pack-destination <dir> --json`, answered from npmPublished. */
const npmDouble: NpmRunner = async (args) => {
  npmCalls.push([...args]);
  const notFound = { code: 1, stdout: '', stderr: 'npm error code E404' };
  if (args[0] === 'view') {
    const versions = npmPublished[args[1] as string];
    return versions ? { code: 0, stdout: JSON.stringify(Object.keys(versions)), stderr: '' } : notFound;
  }
  if (args[0] === 'pack') {
    const [name, version] = (args[1] as string).split('@') as [string, string];
    const bytes = npmPublished[name]?.[version];
    if (!bytes) return notFound;
    const filename = `${name}-${version}.tgz`;
    writeFileSync(join(args[3] as string, filename), bytes);
    return { code: 0, stdout: JSON.stringify([{ filename }]), stderr: '' };
  }
  return { code: 1, stdout: '', stderr: 'unexpected npm command' };
};

async function run(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runIgInstall(args, { env, out: (s) => (out += s), fetch: globalThis.fetch, npm: npmDouble });
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
  const res = await run(['example.a@1.0.0'], {
    FHIR_PACKAGE_REGISTRY: `http://127.0.0.1:${port}`,
    FHIR_PACKAGE_CACHE: mkdtempSync(join(tmpdir(), 'c-')),
  });
  expect(res.code).toBe(1);
  expect(res.out).toContain(
    `ig install failed: cannot reach the FHIR package registry at http://127.0.0.1:${port} (ECONNREFUSED)`,
  );
  expect(res.out).toContain('copy the package .tgz files into ig/packages/');
});

test('when the registry does not have the package, then exit 1 naming the URL', async () => {
  const res = await run(['example.none@9.9.9'], {
    FHIR_PACKAGE_REGISTRY: registry,
    FHIR_PACKAGE_CACHE: mkdtempSync(join(tmpdir(), 'c-')),
  });
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

describe('the npm registry as a source (npm double)', () => {
  test('when the FHIR registry lacks a package that npm has, then it is installed from npm (npm view, npm pack) into the cache', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'c-'));
    npmCalls.length = 0;
    const res = await run(['example.npmonly@3.0.0'], { FHIR_PACKAGE_REGISTRY: registry, FHIR_PACKAGE_CACHE: cache });
    expect(res.code).toBe(0);
    expect(res.out).toContain(
      `${registry}/example.npmonly/3.0.0 answered 404 Not Found; asking the npm registry (npm pack)`,
    );
    expect(res.out).toContain('installed example.npmonly#3.0.0');
    expect(npmCalls.map((c) => c.slice(0, 2))).toEqual([
      ['view', 'example.npmonly'],
      ['pack', 'example.npmonly@3.0.0'],
    ]);
    expect(
      JSON.parse(readFileSync(join(cache, 'example.npmonly#3.0.0', 'package', 'package.json'), 'utf8')),
    ).toMatchObject({ name: 'example.npmonly', version: '3.0.0' });
  });

  test('when npm has only other versions, then the nearest is installed and reported as a substitution', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'c-'));
    const res = await run(['example.later@5.2.0'], { FHIR_PACKAGE_REGISTRY: registry, FHIR_PACKAGE_CACHE: cache });
    expect(res.code).toBe(0);
    expect(res.out).toContain('installed example.later#5.3.0-ballot-tc1');
    expect(res.out).toContain('substituted example.later#5.2.0 → example.later#5.3.0-ballot-tc1');
    expect(readdirSync(cache)).toEqual(['example.later#5.3.0-ballot-tc1']);
  });

  test('when npm sends a hostile archive, then exit 1 and nothing is written to the cache', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'c-'));
    const res = await run(['example.npmevil@1.0.0'], { FHIR_PACKAGE_REGISTRY: registry, FHIR_PACKAGE_CACHE: cache });
    expect(res.code).toBe(1);
    expect(res.out).toContain('is outside package/');
    expect(readdirSync(cache)).toEqual([]);
  });

  test('when neither registry has the package, then exit 1 saying both were asked', async () => {
    const res = await run(['example.none@9.9.9'], {
      FHIR_PACKAGE_REGISTRY: registry,
      FHIR_PACKAGE_CACHE: mkdtempSync(join(tmpdir(), 'c-')),
    });
    expect(res.code).toBe(1);
    expect(res.out).toContain(
      `ig install failed: ${registry}/example.none/9.9.9 answered 404 Not Found; the npm registry (npm pack) does not have example.none either`,
    );
  });

  test('when the FHIR registry is unreachable, then hl7.fhir.uv.ips installs from npm with the nearest dependencies npm has, the one npm lacks is reported, and the server loads the substitutes', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const cache = mkdtempSync(join(tmpdir(), 'c-'));
    npmCalls.length = 0;
    const res = await run(['hl7.fhir.uv.ips@2.0.0'], {
      FHIR_PACKAGE_REGISTRY: `http://127.0.0.1:${port}`,
      FHIR_PACKAGE_CACHE: cache,
    });
    expect(res.code).toBe(0);
    expect(res.out).toContain('installed hl7.fhir.uv.ips#2.0.0');
    expect(res.out).toContain('substituted hl7.terminology.r4#6.5.0 → hl7.terminology.r4#7.0.1');
    expect(res.out).toContain(
      'substituted hl7.fhir.uv.extensions.r4#5.2.0 → hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1',
    );
    expect(res.out).toContain(
      'unavailable hl7.fhir.uv.ipa#1.1.0 (needed by hl7.fhir.uv.ips#2.0.0): no registry has it; the server lists it as a missing dependency',
    );
    expect(res.out).toContain('skipped hl7.fhir.r4.core#4.0.1');
    expect(readdirSync(cache).sort()).toEqual([
      'hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1',
      'hl7.fhir.uv.ips#2.0.0',
      'hl7.terminology.r4#7.0.1',
    ]);
    // Each stand-in is fetched once, although two packages ask for it at a version npm lacks.
    expect(npmCalls.filter((c) => c[0] === 'pack').map((c) => c[1])).toEqual([
      'hl7.fhir.uv.ips@2.0.0',
      'hl7.terminology.r4@7.0.1',
      'hl7.fhir.uv.extensions.r4@5.3.0-ballot-tc1',
    ]);
    const set = await loadPackages({
      files: [join(cache, 'hl7.fhir.uv.ips#2.0.0')],
      cacheDir: cache,
      includeCore: false,
    });
    const ips = set.summaries.find((s) => s.id === 'hl7.fhir.uv.ips');
    expect(ips?.substitutedDependencies).toEqual([
      { declared: 'hl7.terminology.r4#6.5.0', loaded: 'hl7.terminology.r4#7.0.1' },
      { declared: 'hl7.fhir.uv.extensions.r4#5.2.0', loaded: 'hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1' },
    ]);
    // The R4 core is left out of this load (includeCore: false); the server ships it.
    expect(ips?.missingDependencies).toEqual(['hl7.fhir.r4.core#4.0.1', 'hl7.fhir.uv.ipa#1.1.0']);
  });

  test('when a package asked for by name is on no registry, then the install still fails (only dependencies may be unavailable)', async () => {
    const res = await run(['hl7.fhir.uv.ipa@1.1.0'], {
      FHIR_PACKAGE_REGISTRY: registry,
      FHIR_PACKAGE_CACHE: mkdtempSync(join(tmpdir(), 'c-')),
    });
    expect(res.code).toBe(1);
    expect(res.out).toContain('the npm registry (npm pack) does not have hl7.fhir.uv.ipa either');
  });
});
