/** The real WHO IG packages of ../shared/fhir-packages (read in place, never copied into the repo). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPackageTgz } from '../../src/packages/read-package.ts';
import { readTar } from '../../src/packages/tar.ts';

export const SHARED_PACKAGES_DIR = new URL('../../../shared/fhir-packages', import.meta.url).pathname;

export const SHARED_PACKAGE_FILES = readdirSync(SHARED_PACKAGES_DIR)
  .filter((f) => f.endsWith('.tgz'))
  .sort()
  .map((f) => join(SHARED_PACKAGES_DIR, f));

export const DDCC_IMMUNIZATION = 'http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization';

/** The HL7 IPS package of ../shared/fhir-packages and its document Bundle profile. */
export const IPS_PACKAGE_FILE = 'hl7.fhir.uv.ips#2.0.0.tgz';
export const IPS_BUNDLE = 'http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips';

/** The shared packages without the IPS one: the missing-package path (ingest profile not loaded). */
export const SHARED_PACKAGE_FILES_WITHOUT_IPS = SHARED_PACKAGE_FILES.filter((f) => !f.endsWith(`/${IPS_PACKAGE_FILE}`));

/** The smallest IPS document example (Composition, Patient, and one entry per required section). */
export const ipsMinimalBundle = (): Record<string, unknown> =>
  packageExample(IPS_PACKAGE_FILE, 'Bundle-bundle-minimal.json');

/** The Patient entry of an IPS document Bundle (the subject of its Composition). */
export function documentPatient(bundle: Record<string, unknown>): Record<string, unknown> & { id: string } {
  const entries = bundle.entry as Array<{ fullUrl?: string; resource: Record<string, unknown> }>;
  const subject = (entries[0]!.resource.subject as { reference: string }).reference;
  const found = entries.find((e) => e.fullUrl === subject)?.resource;
  if (found?.resourceType !== 'Patient' || typeof found.id !== 'string')
    throw new Error(`the Composition subject ${subject} is not a Patient entry with an id`);
  return structuredClone(found) as Record<string, unknown> & { id: string };
}

/** An example resource of a shared package, by file name (e.g. `Immunization-DDCCImmunizationEnglish.json`). */
export function packageExample(packageFile: string, exampleFile: string): Record<string, unknown> {
  const pkg = readPackageTgz(join(SHARED_PACKAGES_DIR, packageFile));
  const found = pkg.examples.find((e) => e.file === exampleFile);
  if (!found) throw new Error(`${exampleFile} is not an example of ${packageFile}`);
  return structuredClone(found.resource) as Record<string, unknown>;
}

export interface ArchiveManifest {
  readonly file: string;
  readonly name: string;
  readonly version: string;
  readonly fhirVersion: string;
  /** How many `package/example/*.json` files the archive holds. */
  readonly exampleFiles: number;
}

/**
 * What each shared archive says of itself, read straight from its tar entries (package/package.json and the file
 * names), so that tests compute expected lists and counts from the packages instead of writing them down.
 */
export function sharedArchiveManifests(): ArchiveManifest[] {
  return SHARED_PACKAGE_FILES.map((file) => {
    const entries = readTar(readFileSync(file));
    const manifest = JSON.parse(entries.find((e) => e.name === 'package/package.json')!.data.toString('utf8')) as {
      name: string;
      version: string;
      fhirVersions?: string[];
    };
    const exampleFiles = entries.filter((e) => /^package\/example\/[^/]+\.json$/.test(e.name)).length;
    return {
      file,
      name: manifest.name,
      version: manifest.version,
      fhirVersion: manifest.fhirVersions?.[0] ?? '4.0.1',
      exampleFiles,
    };
  });
}
