/**
 * gdhcn-gateway CLI: `keys init`, `ig install`, `validate`. Calls the same modules as the server,
 * never its HTTP API. Exit codes: 0 ok, 1 the command failed, 2 the command line was wrong.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../config/schema.ts';
import { TrustError } from '../trust/errors.ts';
import { generateDevKeys } from '../trust/dev-keys.ts';
import { runIgInstall } from './ig-install.ts';
import { runValidate } from './validate.ts';
import { runRulesTest, RULES_TEST_USAGE, RulesUsageError } from './rules-test.ts';

const USAGE = `usage: gdhcn-gateway <command>

commands:
  keys init [--country XX] [--dir DIR] [--force]
      make a development CSCA, a DSC signed by it and an SMART Health Card key
      (default DIR: $DATA_DIR/keys; refuses to overwrite unless --force)
  ig install [name@version ...]
      install the packages of ig/packages.json (or those named) and their dependencies
      from the FHIR package registry (FHIR_PACKAGE_REGISTRY) into FHIR_PACKAGE_CACHE
  validate <file|dir>... [--profile URL] [--ig PKG] [--format text|json|html] [--output FILE]
      validate FHIR JSON resources; exit 1 when any has errors (validate --help for more)
${RULES_TEST_USAGE}`;

class UsageError extends Error {}

export async function runCli(argv: string[], env: Record<string, string | undefined>, out: (s: string) => void): Promise<number> {
  try {
    const [command, sub, ...rest] = argv;
    if (command === 'validate') return await runValidate(argv.slice(1), { env, cwd: process.cwd(), out });
    if (command === 'rules' && sub === 'test') return await runRulesTest(rest, { out });
    if (command === 'keys' && sub === 'init') return await keysInit(rest, env, out);
    if (command === 'ig' && sub === 'install') return await runIgInstall(rest, { env, out, fetch: globalThis.fetch });
    if (command === undefined || command === 'help' || command === '--help') {
      out(USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command: ${[command, sub].filter(Boolean).join(' ')}`);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof RulesUsageError) {
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

async function keysInit(args: string[], env: Record<string, string | undefined>, out: (s: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { country: { type: 'string' }, dir: { type: 'string' }, force: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = parseConfig(env, values.country ? { issuerCountry: values.country.toUpperCase() } : {});
  if (!/^[A-Z]{2}$/.test(config.issuerCountry)) throw new UsageError(`--country must be an ISO 3166-1 alpha-2 code, got "${values.country}"`);
  const dir = values.dir ?? join(config.dataDir, 'keys');
  const paths = await generateDevKeys({ dir, country: config.issuerCountry, now: new Date(), overwrite: values.force === true });
  out(`Development keys for ${config.issuerCountry} written to ${dir}:\n`);
  for (const p of [paths.cscaCertPath, ...paths.dscCertPaths, ...paths.dscKeyPaths, paths.shcKeyPath]) out(`  ${p}\n`);
  out('These keys are for development and tests only: no GDHCN verifier trusts them.\n');
  return 0;
}
