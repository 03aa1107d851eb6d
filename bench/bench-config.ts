/**
 * The configuration every bench server starts from: loopback, any port, silent, and access control, the audit
 * trail, the public rate limit and validation threads off unless the bench asks for them (bench/auth.ts measures
 * auth and audit, bench/abuse.ts the validation threads).
 */
import { pino } from 'pino';
import { parseConfig, type Config } from '../src/config/schema.ts';
import { createServices, type Services } from '../src/services.ts';

/** @example const config = benchConfig(dir, { fhirPackages: [PACKAGES_DIR] }) */
export function benchConfig(
  dataDir: string,
  overrides: Partial<Config> = {},
  env: Record<string, string | undefined> = {},
): Config {
  return parseConfig(env, {
    dataDir,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    auth: false,
    audit: false,
    publicRateLimit: 0,
    validationWorkers: 0,
    ...overrides,
  });
}

/** The server's services on a bench configuration, logging nothing. */
export function benchServices(config: Config): Promise<Services> {
  return createServices(config, { log: pino({ level: 'silent' }) });
}
