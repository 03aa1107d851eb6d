/**
 * gdhcn-gateway CLI: `keys init`, `ig install`, `validate`. Calls the same modules as the server,
 * never its HTTP API. Exit codes: 0 ok, 1 the command failed, 2 the command line was wrong.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../config/schema.ts';
import { TrustError } from '../trust/errors.ts';
import { runRulesTest, RULES_TEST_USAGE } from './rules-test.ts';
import { CliUsageError } from './cli-usage-error.ts';
import { GATEWAY_USAGE, ONBOARDING_USAGE } from './onboarding-usage.ts';

// Commands are loaded when used: `gdhcn-gateway token` runs inside `$(…)` in every README example and must not pay
// for loading the validation engine.
const runValidate: typeof import('./validate.ts').runValidate = async (...a) =>
  (await import('./validate.ts')).runValidate(...a);
const runIgInstall: typeof import('./ig-install.ts').runIgInstall = async (...a) =>
  (await import('./ig-install.ts')).runIgInstall(...a);
const generateDevKeys: typeof import('../trust/dev-keys.ts').generateDevKeys = async (...a) =>
  (await import('../trust/dev-keys.ts')).generateDevKeys(...a);
const runClients: typeof import('./clients.ts').runClients = async (...a) =>
  (await import('./clients.ts')).runClients(...a);
const onboarding = () => import('./onboarding.ts');
const gateway = () => import('./gateway-upload.ts');
const runToken: typeof import('./clients.ts').runToken = async (...a) => (await import('./clients.ts')).runToken(...a);

const USAGE = `usage: gdhcn-gateway <command>

commands:
  keys init [--country XX] [--dir DIR] [--force]
      make a development CSCA, a DSC signed by it and an SMART Health Card key
      (default DIR: $DATA_DIR/keys; refuses to overwrite unless --force)
  ig install [name@version ...]
      install the packages of ig/packages.json (or those named) and their dependencies
      from the FHIR package registry (FHIR_PACKAGE_REGISTRY) into FHIR_PACKAGE_CACHE
  clients add <id> --scopes "system/Immunization.cruds ..." (--jwks FILE | --jwks-uri URL) [--name NAME]
  clients list
  clients disable <id>
  clients enable <id>
      the SMART Backend Services client registry in $DATA_DIR/auth/clients.json
  token [--scope "system/Patient.rs ..."]
      print a bearer token for the local development client (made on first start outside production)
  validate <file|dir>... [--profile URL] [--ig PKG] [--format text|json|html] [--output FILE]
      validate FHIR JSON resources; exit 1 when any has errors (validate --help for more)
${ONBOARDING_USAGE}
${GATEWAY_USAGE}
${RULES_TEST_USAGE}`;

export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (s: string) => void,
): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    if (command === 'validate') return await runValidate(argv.slice(1), { env, cwd: process.cwd(), out });
    if (command === 'rules' && sub === 'test') return await runRulesTest(rest, { out });
    if (command === 'clients') return await runClients(argv.slice(1), env, out);
    if (command === 'token') return await runToken(argv.slice(1), env, out);
    if (command === 'keys' && sub === 'init') return await keysInit(rest, env, out);
    if (command === 'keys' && sub === 'csr') return await (await onboarding()).keysCsr(rest, env, out);
    if (command === 'keys' && sub === 'sign') return await (await onboarding()).keysSign(rest, env, out);
    if (command === 'keys' && sub === 'import') return await (await onboarding()).keysImport(rest, env, out);
    if (command === 'trust' && sub === 'upload') return await (await gateway()).trustUpload(rest, out);
    if (command === 'trust' && sub === 'revoke-upload') return await (await gateway()).trustRevokeUpload(rest, out);
    if (command === 'ig' && sub === 'install') return await runIgInstall(rest, { env, out, fetch: globalThis.fetch });
    if (command === undefined || command === 'help' || command === '--help') {
      out(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new CliUsageError(`unknown command: ${[command, sub].filter(Boolean).join(' ')}`);
  } catch (err) {
    if (err instanceof ConfigError && (command === 'token' || command === 'clients')) {
      out(`${err.message}\n`);
      return 1;
    }
    if (err instanceof CliUsageError || err instanceof ConfigError) {
      out(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof TrustError) {
      out(`${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

async function keysInit(
  args: string[],
  env: Record<string, string | undefined>,
  out: (s: string) => void,
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { country: { type: 'string' }, dir: { type: 'string' }, force: { type: 'boolean' } },
      strict: true,
    }));
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  const config = parseConfig(env, values.country ? { issuerCountry: values.country.toUpperCase() } : {});
  if (!/^[A-Z]{2}$/.test(config.issuerCountry))
    throw new CliUsageError(`--country must be an ISO 3166-1 alpha-2 code, got "${values.country}"`);
  const dir = values.dir ?? join(config.dataDir, 'keys');
  const paths = await generateDevKeys({
    dir,
    country: config.issuerCountry,
    now: new Date(),
    overwrite: values.force === true,
  });
  out(`Development keys for ${config.issuerCountry} written to ${dir}:\n`);
  for (const p of [paths.cscaCertPath, ...paths.dscCertPaths, ...paths.dscKeyPaths, paths.shcKeyPath]) out(`  ${p}\n`);
  out('These keys are for development and tests only: no GDHCN verifier trusts them.\n');
  return 0;
}
