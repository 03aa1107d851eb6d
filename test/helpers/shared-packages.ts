/** The real WHO IG packages of ../shared/fhir-packages (read in place, never copied into the repo). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readPackageTgz } from '../../src/packages/read-package.ts';

export const SHARED_PACKAGES_DIR = new URL('../../../shared/fhir-packages', import.meta.url).pathname;

export const SHARED_PACKAGE_FILES = readdirSync(SHARED_PACKAGES_DIR)
  .filter((f) => f.endsWith('.tgz'))
  .sort()
  .map((f) => join(SHARED_PACKAGES_DIR, f));

export const DDCC_IMMUNIZATION = 'http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization';

/** An example resource of a shared package, by file name (e.g. `Immunization-DDCCImmunizationEnglish.json`). */
export function packageExample(packageFile: string, exampleFile: string): Record<string, unknown> {
  const pkg = readPackageTgz(join(SHARED_PACKAGES_DIR, packageFile));
  const found = pkg.examples.find((e) => e.file === exampleFile);
  if (!found) throw new Error(`${exampleFile} is not an example of ${packageFile}`);
  return structuredClone(found.resource) as Record<string, unknown>;
}
