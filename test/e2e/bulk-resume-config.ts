/** The configuration the bulk resume test and its crashing worker process share (same data folder, packages, audit on). */
import type { Config } from '../../src/config/schema.ts';
import { BASE } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';

export function crashConfig(dataDir: string): Partial<Config> {
  return {
    fhirBaseUrl: BASE,
    logLevel: 'silent',
    auth: false,
    audit: true,
    publicRateLimit: 0,
    validationWorkers: 0,
    fhirPackages: SHARED_PACKAGE_FILES,
    issuerUrl: 'https://issuer.test',
    dataDir,
  };
}
