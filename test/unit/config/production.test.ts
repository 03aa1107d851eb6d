/** What NODE_ENV=production refuses at start: one clear message per setting. */
import { pino } from 'pino';
import { type ConfigError, parseConfig } from '../../../src/config/schema.ts';
import { createServices } from '../../../src/services.ts';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    parseConfig(env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
};

const GOOD = {
  NODE_ENV: 'production',
  FHIR_BASE_URL: 'https://gateway.health.example/fhir',
  ISSUER_CSCA_CERT: 'csca.pem',
  ISSUER_DSC_CERTS: 'dsc.pem',
  ISSUER_DSC_KEYS: 'dsc.key',
  ISSUER_SHC_KEY: 'shc.key',
};

test('when production is configured with real keys and an https public URL, then the configuration parses', () => {
  expect(problemsOf(GOOD)).toEqual([]);
  expect(parseConfig(GOOD)).toMatchObject({ production: true, auth: true, host: '127.0.0.1' });
});

test('when AUTH=off in production, then start is refused naming AUTH', () => {
  expect(problemsOf({ ...GOOD, AUTH: 'off' })).toEqual([
    'AUTH=off is refused with NODE_ENV=production: every write and signature would be open to anyone who can reach the server',
  ]);
});

test('when AUTH=off outside production, then it parses (local experiments)', () => {
  expect(parseConfig({ AUTH: 'off' }).auth).toBe(false);
});

test('when production has no issuer keys, then the development keys are refused naming ISSUER_CSCA_CERT and ISSUER_SHC_KEY', () => {
  const { ISSUER_CSCA_CERT: _a, ISSUER_DSC_CERTS: _b, ISSUER_DSC_KEYS: _c, ISSUER_SHC_KEY: _d, ...noKeys } = GOOD;
  expect(problemsOf(noKeys)).toEqual([
    'ISSUER_CSCA_CERT (with ISSUER_DSC_CERTS and ISSUER_DSC_KEYS) is required with NODE_ENV=production: development issuer keys are refused',
    'ISSUER_SHC_KEY is required with NODE_ENV=production: a development SMART Health Card key is refused',
  ]);
});

test('when the public base URL is localhost or plain http in production, then start is refused naming the setting', () => {
  expect(problemsOf({ ...GOOD, FHIR_BASE_URL: 'http://gateway.health.example/fhir' })).toContain(
    'FHIR_BASE_URL must be an https URL with NODE_ENV=production, got http://gateway.health.example/fhir',
  );
  expect(problemsOf({ ...GOOD, FHIR_BASE_URL: 'https://localhost/fhir' })).toContain(
    "FHIR_BASE_URL must be this server's public address with NODE_ENV=production, not https://localhost/fhir",
  );
});

const quiet = { inMemory: true, log: pino({ level: 'silent' }) };

test('when production names a validation profile that is not loaded, then createServices refuses naming VALIDATION_PROFILES', async () => {
  const config = {
    ...parseConfig({}),
    production: true,
    validationProfiles: { Immunization: 'http://example.org/StructureDefinition/not-loaded' },
  };
  await expect(createServices(config, quiet)).rejects.toThrow(
    /VALIDATION_PROFILES names profiles that are not loaded \(http:\/\/example.org\/StructureDefinition\/not-loaded\)/,
  );
});

test('when production allows $install-package and no client holds the admin scope, then createServices refuses naming PACKAGE_INSTALL', async () => {
  const config = { ...parseConfig({}), production: true, packageInstall: true, validationProfiles: {} };
  await expect(createServices(config, quiet)).rejects.toThrow(
    /PACKAGE_INSTALL=true with NODE_ENV=production needs an admin client: register one with scope system\/\$install-package/,
  );
});
