/** Loads the real packages of ../shared/fhir-packages (they are never copied into the repo). */
import { loadPackages } from '../../../src/packages/load-packages.ts';
import type { PackageSet } from '../../../src/packages/types.ts';

export const SHARED_PACKAGES = '../shared/fhir-packages';

export function sharedPackages(): Promise<PackageSet> {
  return loadPackages({ dirs: [SHARED_PACKAGES] });
}
