/**
 * The lock list `ig/packages.json`: which IG packages the server validates against (`id#version`),
 * their sha256 and where to find them. `checkLock` compares it with what was actually loaded.
 */
import { readFileSync } from 'node:fs';
import type { PackageSet } from './types.ts';

export interface LockEntry {
  /** `id#version`. */
  readonly package: string;
  /** sha256 (hex) of the `.tgz`. */
  readonly sha256: string;
  /** Where the deployment finds it: a path relative to the repository root, or `registry`. */
  readonly source: string;
}

export interface LockFile {
  readonly packages: readonly LockEntry[];
}

/** Reads and shape-checks a lock file; throws `Error` naming the first bad entry. */
export function readLock(path: string): LockFile {
  const json = JSON.parse(readFileSync(path, 'utf8')) as LockFile;
  for (const [i, e] of (json.packages ?? []).entries()) {
    if (
      !/^[^#\s]+#[^#\s]+$/.test(e.package ?? '') ||
      !/^[0-9a-f]{64}$/.test(e.sha256 ?? '') ||
      typeof e.source !== 'string'
    ) {
      throw new Error(`${path}: packages[${i}] needs package "id#version", a 64-hex sha256 and a source`);
    }
  }
  return json;
}

/**
 * Problems between a lock list and a loaded package set: locked packages not loaded, or loaded with
 * another sha256. An empty list means the set matches the lock.
 * @example checkLock(await loadPackages({ dirs: ['../shared/fhir-packages'] }), readLock('ig/packages.json'))
 */
export function checkLock(set: PackageSet, lock: LockFile): string[] {
  const problems: string[] = [];
  for (const entry of lock.packages) {
    const loaded = set.summaries.find((s) => `${s.id}#${s.version}` === entry.package);
    if (!loaded) problems.push(`locked package ${entry.package} is not loaded (expected from ${entry.source})`);
    else if (loaded.sha256 && loaded.sha256 !== entry.sha256) {
      problems.push(
        `package ${entry.package} from ${loaded.source} has sha256 ${loaded.sha256}, the lock says ${entry.sha256}`,
      );
    }
  }
  return problems;
}
