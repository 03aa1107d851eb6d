/**
 * Composition of the validation engine from the configuration: IG packages from ig/packages, the package
 * store in DATA_DIR, FHIR_PACKAGES and the shared package cache; the validator; the ingest policy.
 * Installing a package at run time rebuilds all three and swaps them in at once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { loadPackages } from './packages/load-packages.ts';
import { npmFhirPackageNames } from './packages/npm-dependencies.ts';
import type { FhirPackage, PackageSet } from './packages/types.ts';
import { lockedRefs, pinnedBy } from './packages/integrity.ts';
import { createIngestPolicy, type IngestPolicy } from './validation/ingest-policy.ts';
import { createValidator, type Validator } from './validation/validator.ts';

/** Small or unpublished packages shipped with the server (see ig/packages.json). */
const IG_DIR = fileURLToPath(new URL('../ig/packages', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The lock list: its packages are pinned (packages/integrity.ts). */
const LOCK_FILE = fileURLToPath(new URL('../ig/packages.json', import.meta.url));

export interface ValidationState {
  packages: PackageSet;
  validator: Validator;
  policy: IngestPolicy;
}

export interface ValidationService {
  current(): ValidationState;
  /** Folder where uploaded packages are kept (DATA_DIR/packages). */
  readonly packageStoreDir: string;
  /** Whether a loaded package is pinned (core, locked or configured) rather than uploaded. */
  readonly pinned: (pkg: FhirPackage) => boolean;
  /** Reloads every package source, e.g. after an upload. */
  reload(): Promise<ValidationState>;
}

export async function createValidationService(
  config: Config,
  log: Logger,
  dataDir: string,
): Promise<ValidationService> {
  const packageStoreDir = join(dataDir, 'packages');
  const locked = lockedRefs(LOCK_FILE);
  const pinned = pinnedBy(locked, packageStoreDir);
  const lockedIds = new Set([...locked].map((ref) => ref.split('#')[0]));
  const load = async (): Promise<ValidationState> => {
    const started = performance.now();
    const packages = await loadPackages({
      dirs: [IG_DIR, packageStoreDir].filter((d) => existsSync(d)),
      files: config.fhirPackages,
      cacheDir: existsSync(config.fhirPackageCache) ? config.fhirPackageCache : undefined,
      npm: config.fhirPackagesNodeModules ? npmFhirPackageNames(ROOT, lockedIds) : undefined,
    });
    const validator = createValidator(packages, {
      unknownProfileSeverity: config.validationUnknownProfile,
      unknownExtensionSeverity: config.validationUnknownExtension,
      pinned,
    });
    const policy = createIngestPolicy(validator, config.validationProfiles, config.validationMode);
    report(log, packages, policy, Math.round(performance.now() - started));
    return { packages, validator, policy };
  };
  let state = await load();
  return {
    packageStoreDir,
    pinned,
    current: () => state,
    reload: async () => {
      state = await load();
      return state;
    },
  };
}

function report(log: Logger, packages: PackageSet, policy: IngestPolicy, ms: number): void {
  log.info({ packages: packages.summaries.map((s) => `${s.id}#${s.version}`), ms }, 'FHIR packages loaded');
  // Missing dependencies of the IG packages are many and expected (see $packages): one line here, each at debug.
  for (const warning of packages.warnings) log.debug({ warning }, 'FHIR packages');
  if (packages.warnings.length > 0) {
    log.warn(
      { count: packages.warnings.length },
      `FHIR packages: ${packages.warnings.length} dependency warning(s), none fatal; listed by GET /fhir/$packages and at LOG_LEVEL=debug`,
    );
  }
  for (const profile of policy.missingProfiles) {
    log.info(
      { profile, mode: policy.mode },
      'INGEST PROFILE NOT LOADED: writes are checked against the base definition only and every write carries a warning; add the IG package (ig/packages, FHIR_PACKAGES or npm run ig:install)',
    );
  }
}
