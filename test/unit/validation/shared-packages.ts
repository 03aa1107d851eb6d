/** Loads the real packages of ../shared/fhir-packages once per test file (they are never copied into the repo). */
import { loadPackages } from '../../../src/packages/load-packages.ts';
import type { PackageSet } from '../../../src/packages/types.ts';

export const SHARED_PACKAGES = '../shared/fhir-packages';

let cached: Promise<PackageSet> | undefined;

export function sharedPackages(): Promise<PackageSet> {
  cached ??= loadPackages({ dirs: [SHARED_PACKAGES] });
  return cached;
}
