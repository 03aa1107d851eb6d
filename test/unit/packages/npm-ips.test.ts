/**
 * HL7 IPS 2.0.0 as an npm devDependency (ADR 0064): `npm ci` put the published package in node_modules, with local
 * placeholders for the four declared dependencies the npm registry lacks at those versions. Nothing is downloaded
 * here: the test reads what the project's own install holds, and compares it with the archive in ../shared.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadPackages } from '../../../src/packages/load-packages.ts';
import { lockedRefs } from '../../../src/packages/integrity.ts';
import { isNpmPlaceholder, npmFhirPackageNames } from '../../../src/packages/npm-dependencies.ts';
import { createValidator } from '../../../src/validation/validator.ts';

const ROOT = resolve('.');
const SHARED_IPS = '../shared/fhir-packages/hl7.fhir.uv.ips#2.0.0.tgz';
const IPS_DIR = dirname(createRequire(import.meta.url).resolve('hl7.fhir.uv.ips/package.json'));
const lockedIds = new Set([...lockedRefs('ig/packages.json')].map((ref) => ref.split('#')[0]));
const npm = npmFhirPackageNames(ROOT, lockedIds);
const declared = JSON.parse(readFileSync(join(IPS_DIR, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

test('when the project is installed, then the locked IG devDependency is looked up in node_modules and the test-only examples package is not', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string> };
  expect(manifest.devDependencies['hl7.fhir.uv.ips']).toBe('2.0.0');
  expect(npm.names).toContain('hl7.fhir.uv.ips');
  expect(npm.names).not.toContain('hl7.fhir.r4.examples');
  expect(npm.dir).toBe(join(ROOT, 'node_modules'));
});

test('when a declared IPS dependency is not on npm at that version, then node_modules holds a placeholder with no FHIR content', () => {
  for (const [id, version] of Object.entries(declared.dependencies)) {
    const placeholder = JSON.parse(readFileSync(join(npm.dir, id, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(isNpmPlaceholder(npm.dir, id)).toBe(true);
    expect(placeholder).toMatchObject({ name: id, version });
    expect(placeholder.fhirVersions).toBeUndefined();
  }
  expect(isNpmPlaceholder(npm.dir, 'hl7.fhir.uv.ips')).toBe(false);
});

describe('when no configured folder holds IPS', () => {
  let set: Awaited<ReturnType<typeof loadPackages>>;
  beforeAll(async () => {
    set = await loadPackages({ npm });
  });

  test('then it is loaded from node_modules with the same content as the published archive', async () => {
    const fromArchive = await loadPackages({ files: [SHARED_IPS], includeCore: false });
    const ips = set.summaries.find((s) => s.id === 'hl7.fhir.uv.ips');
    expect(ips).toMatchObject({ version: '2.0.0', source: IPS_DIR, usedForValidation: true });
    expect(ips?.counts).toEqual(fromArchive.summaries[0].counts);
    expect(ips?.examples).toBe(fromArchive.summaries[0].examples);
  });

  test('then the placeholders are not loaded, and each dependency npm lacks is reported as missing, naming the placeholder', () => {
    const ips = set.summaries.find((s) => s.id === 'hl7.fhir.uv.ips');
    const notCore = Object.entries(declared.dependencies).filter(([id]) => id !== 'hl7.fhir.r4.core');
    expect(set.summaries.filter((s) => s.source.includes('npm-placeholders'))).toEqual([]);
    expect([...(ips?.missingDependencies ?? [])].sort()).toEqual(notCore.map(([id, v]) => `${id}#${v}`).sort());
    for (const [id, version] of notCore) {
      expect(set.warnings).toContain(
        `package hl7.fhir.uv.ips#2.0.0 depends on ${id}#${version}, which is not loaded (node_modules holds only a placeholder: the npm registry does not publish it at that version): profiles, extensions and value sets from it cannot be checked`,
      );
    }
  });

  test('then the minimal IPS example validates with 0 errors against the Bundle profile', () => {
    const bundle = JSON.parse(readFileSync(join(IPS_DIR, 'example', 'Bundle-bundle-minimal.json'), 'utf8'));
    const outcome = createValidator(set).validate(bundle, {
      profile: 'http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips',
    });
    expect(outcome.issue.filter((i) => i.severity === 'error')).toEqual([]);
    expect(outcome.issue.map((i) => i.code)).not.toContain('not-found');
  });
});

test('when a configured folder already gives IPS, then node_modules does not load it a second time', async () => {
  const set = await loadPackages({ files: [SHARED_IPS], npm, includeCore: false });
  expect(set.summaries.filter((s) => s.id === 'hl7.fhir.uv.ips').map((s) => s.source)).toEqual([SHARED_IPS]);
  expect(set.warnings.filter((w) => w.includes('already loaded'))).toEqual([]);
});
