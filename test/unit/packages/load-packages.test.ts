import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readTar } from '../../../src/packages/tar.ts';
import { nearestVersion } from '../../../src/packages/nearest-version.ts';
import { loadPackages } from '../../../src/packages/load-packages.ts';
import { checkLock, readLock } from '../../../src/packages/lock.ts';
import { buildTar } from './tar-builder.ts';
import { sharedArchiveManifests } from '../../helpers/shared-packages.ts';

const SHARED = '../shared/fhir-packages';
const DDCC = `${SHARED}/who.ddcc#1.0.0.tgz`;
const IPS = `${SHARED}/hl7.fhir.uv.ips#2.0.0.tgz`;

/** Lays a package archive out as `npm install` does: the contents of `package/` in `<nodeModules>/<name>`. */
function installAsNpm(nodeModules: string, archive: string, name: string): void {
  for (const entry of readTar(readFileSync(archive))) {
    if (!entry.name.startsWith('package/') || entry.name.endsWith('/')) continue;
    const target = join(nodeModules, name, entry.name.slice('package/'.length));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.data);
  }
}

describe('nearestVersion', () => {
  test.each([
    ['5.2.0', ['5.1.0', '5.3.0-ballot-tc1'], '5.3.0-ballot-tc1'],
    ['6.5.0', ['7.0.1'], '7.0.1'],
    ['1.1.0', ['2.0.0', '1.0.0'], '1.0.0'],
    ['1.1.0', ['1.1.0', '1.0.0'], '1.1.0'],
    ['2.0.0', ['2.1.0', '2.1.0-ballot'], '2.1.0'],
  ])('when %s is wanted and %j are held, then %s is picked', (wanted, held, picked) => {
    expect(nearestVersion(wanted, held)).toBe(picked);
  });

  test('when nothing is held, then there is no pick', () => {
    expect(nearestVersion('1.0.0', [])).toBeUndefined();
  });
});

describe('loadPackages', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gdhcn-pkg-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  test('when the shared folder is loaded, then the R4 core and every shared package are listed with versions and counts', async () => {
    const set = await loadPackages({ dirs: [SHARED] });
    expect(set.summaries.map((s) => `${s.id}#${s.version}@${s.fhirVersion}`)).toEqual([
      'hl7.fhir.r4.core#4.0.1@4.0.1',
      ...sharedArchiveManifests().map((m) => `${m.name}#${m.version}@${m.fhirVersion}`),
    ]);
    for (const m of sharedArchiveManifests())
      expect(set.summaries.find((s) => s.id === m.name)?.examples).toBe(m.exampleFiles);
    const ddcc = set.summaries.find((s) => s.id === 'who.ddcc');
    expect(ddcc?.counts.StructureDefinition).toBe(47);
    expect(ddcc?.examples).toBe(49);
    expect(ddcc?.sha256).toBe('a64a155ea9741f68f9af862087c2653b10c1d7fa7bfa7fed55bd2261365dd9f1');
  });

  test('when FHIR_PACKAGES names a folder holding package archives (as the README shows), then each archive in it is loaded', async () => {
    const set = await loadPackages({ files: [SHARED], includeCore: false });
    expect(set.summaries.map((s) => s.id)).toEqual(sharedArchiveManifests().map((m) => m.name));
    expect(set.warnings.filter((w) => w.includes('no package/package.json'))).toEqual([]);
  });

  test('when dependencies are missing, then each is a warning naming it and listed on the package, not a crash', async () => {
    const set = await loadPackages({ files: [DDCC] });
    const ddcc = set.summaries.find((s) => s.id === 'who.ddcc');
    expect(ddcc?.missingDependencies).toContain('hl7.fhir.uv.ips#1.1.0');
    expect(set.warnings).toContain(
      'package who.ddcc#1.0.0 depends on hl7.fhir.uv.ips#1.1.0, which is not loaded: profiles, extensions and value sets from it cannot be checked',
    );
  });

  test('when a package targets FHIR R5, then it is listed but marked as not used for R4 validation', async () => {
    const set = await loadPackages({ files: [`${SHARED}/smart.who.int.trust#1.1.6.tgz`], includeCore: false });
    expect(set.summaries[0].usedForValidation).toBe(false);
    expect(set.warnings).toContain(
      'package smart.who.int.trust#1.1.6 targets FHIR 5.0.0; it is listed but not used to validate R4 resources',
    );
  });

  test('when a folder is missing or a file is not a package, then loading warns and goes on', async () => {
    writeFileSync(join(tmp, 'broken.tgz'), 'not a tarball');
    const set = await loadPackages({ dirs: [join(tmp, 'nope'), tmp], includeCore: false });
    expect(set.packages).toHaveLength(0);
    expect(set.warnings[0]).toBe(`package folder ${join(tmp, 'nope')} does not exist`);
    expect(set.warnings[1]).toMatch(/^cannot read package .*broken\.tgz: /);
  });

  test('when the same package is given twice, then the second copy is ignored with a warning', async () => {
    const set = await loadPackages({ files: [DDCC, DDCC], includeCore: false });
    expect(set.packages).toHaveLength(1);
    expect(set.warnings[0]).toBe(`package who.ddcc#1.0.0 from ${DDCC} is already loaded; ignored`);
  });

  test('when a dependency is in the FHIR package cache, then it is loaded from there and no longer missing', async () => {
    const folder = join(tmp, 'hl7.fhir.uv.ipa#1.0.0', 'package');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'package.json'),
      JSON.stringify({ name: 'hl7.fhir.uv.ipa', version: '1.0.0', fhirVersions: ['4.0.1'] }),
    );
    writeFileSync(
      join(folder, 'ValueSet-x.json'),
      JSON.stringify({ resourceType: 'ValueSet', url: 'http://hl7.org/fhir/uv/ipa/ValueSet/x' }),
    );
    const set = await loadPackages({ files: [DDCC], cacheDir: tmp, includeCore: false });
    expect(set.summaries.map((s) => s.id)).toEqual(['who.ddcc', 'hl7.fhir.uv.ipa']);
    expect(set.summaries[0].missingDependencies).not.toContain('hl7.fhir.uv.ipa#1.0.0');
    expect(set.summaries[1].counts).toEqual({ ValueSet: 1 });
  });

  test('when a declared dependency version is not in the cache but others are, then the nearest is loaded and the substitution is reported', async () => {
    for (const version of ['5.1.0', '5.3.0-ballot-tc1']) {
      const folder = join(tmp, `hl7.fhir.uv.extensions.r4#${version}`, 'package');
      mkdirSync(folder, { recursive: true });
      writeFileSync(
        join(folder, 'package.json'),
        JSON.stringify({ name: 'hl7.fhir.uv.extensions.r4', version, fhirVersions: ['4.0.1'] }),
      );
    }
    const set = await loadPackages({ files: [IPS], cacheDir: tmp, includeCore: false });
    const ips = set.summaries.find((s) => s.id === 'hl7.fhir.uv.ips');
    expect(set.summaries.filter((s) => s.id === 'hl7.fhir.uv.extensions.r4').map((s) => s.version)).toEqual([
      '5.3.0-ballot-tc1',
    ]);
    expect(ips?.missingDependencies).not.toContain('hl7.fhir.uv.extensions.r4#5.2.0');
    expect(ips?.missingDependencies).toContain('hl7.fhir.uv.ipa#1.1.0');
    expect(ips?.substitutedDependencies).toEqual([
      { declared: 'hl7.fhir.uv.extensions.r4#5.2.0', loaded: 'hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1' },
    ]);
    expect(set.warnings).toContain(
      'package hl7.fhir.uv.ips#2.0.0 depends on hl7.fhir.uv.extensions.r4#5.2.0; hl7.fhir.uv.extensions.r4#5.3.0-ballot-tc1 is loaded instead',
    );
  });

  test('when FHIR packages are npm dependencies in node_modules, then they are loaded from there and non-FHIR npm packages are skipped', async () => {
    const nodeModules = join(tmp, 'node_modules');
    installAsNpm(nodeModules, IPS, 'hl7.fhir.uv.ips');
    mkdirSync(join(nodeModules, 'left-pad'), { recursive: true });
    writeFileSync(
      join(nodeModules, 'left-pad', 'package.json'),
      JSON.stringify({ name: 'left-pad', version: '1.3.0' }),
    );
    const fromNpm = await loadPackages({
      npm: { dir: nodeModules, names: ['hl7.fhir.uv.ips', 'left-pad', 'not-installed'] },
      includeCore: false,
    });
    const fromArchive = await loadPackages({ files: [IPS], includeCore: false });
    expect(fromNpm.summaries.map((s) => `${s.id}#${s.version}`)).toEqual(['hl7.fhir.uv.ips#2.0.0']);
    expect(fromNpm.summaries[0].source).toBe(join(nodeModules, 'hl7.fhir.uv.ips'));
    expect(fromNpm.summaries[0].counts).toEqual(fromArchive.summaries[0].counts);
    expect(fromNpm.summaries[0].examples).toBe(fromArchive.summaries[0].examples);
  });

  test('when a dependency is only in node_modules at another version, then it stands in and the package says so', async () => {
    const nodeModules = join(tmp, 'node_modules');
    installAsNpm(nodeModules, IPS, 'hl7.fhir.uv.ips');
    const set = await loadPackages({ files: [DDCC], npm: { dir: nodeModules, names: [] }, includeCore: false });
    const ddcc = set.summaries.find((s) => s.id === 'who.ddcc');
    expect(set.summaries.map((s) => s.id)).toContain('hl7.fhir.uv.ips');
    expect(ddcc?.missingDependencies).not.toContain('hl7.fhir.uv.ips#1.1.0');
    expect(ddcc?.substitutedDependencies).toContainEqual({
      declared: 'hl7.fhir.uv.ips#1.1.0',
      loaded: 'hl7.fhir.uv.ips#2.0.0',
    });
  });

  test('when a .tgz holds examples, then they are read from package/example and nested folders are skipped', async () => {
    const tgz = buildTar([
      {
        name: 'package/package.json',
        body: JSON.stringify({ name: 'test.pkg', version: '0.0.1', fhirVersions: ['4.0.1'] }),
      },
      {
        name: 'package/StructureDefinition-a.json',
        body: JSON.stringify({ resourceType: 'StructureDefinition', url: 'http://x/a' }),
      },
      { name: 'package/example/Patient-p.json', body: JSON.stringify({ resourceType: 'Patient', id: 'p' }) },
      { name: 'package/other/ig-r4.json', body: JSON.stringify({ resourceType: 'ImplementationGuide' }) },
    ]);
    writeFileSync(join(tmp, 'test.tgz'), tgz);
    const set = await loadPackages({ dirs: [tmp], includeCore: false });
    expect(set.packages[0].resources.map((r) => r.resourceType)).toEqual(['StructureDefinition']);
    expect(set.packages[0].examples.map((e) => e.file)).toEqual(['Patient-p.json']);
  });
});

describe('ig/packages.json lock list', () => {
  test('when the shared packages are loaded, then they match the lock list exactly', async () => {
    const set = await loadPackages({ dirs: [SHARED] });
    expect(checkLock(set, readLock('ig/packages.json'))).toEqual([]);
  });

  test('when a locked package is absent or differs, then checkLock names the problem', async () => {
    const set = await loadPackages({ files: [DDCC], includeCore: false });
    const lock = {
      packages: [
        { package: 'who.ddcc#1.0.0', sha256: '0'.repeat(64), source: 'x' },
        { package: 'a.b#1', sha256: '1'.repeat(64), source: 'y' },
      ],
    };
    expect(checkLock(set, lock)).toEqual([
      `package who.ddcc#1.0.0 from ${DDCC} has sha256 a64a155ea9741f68f9af862087c2653b10c1d7fa7bfa7fed55bd2261365dd9f1, the lock says ${'0'.repeat(64)}`,
      'locked package a.b#1 is not loaded (expected from y)',
    ]);
  });
});
