/**
 * The composition root: createServices(config) builds everything the entry points need, with no globals,
 * so tests can build it twice in one process. close() releases what it opened.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type Config } from './config/schema.ts';
import { loadBaseDefinitions } from './fhir/base-definitions.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics, instrumentStore, type Metrics } from './metrics.ts';
import { createCredentialServices, type CredentialServices } from './services-credentials.ts';
import { createBulkIssuer, type BulkIssuer } from './credentials/bulk-issue.ts';
import { recordsOfImmunization } from './http/operations/records.ts';
import { createRuleServices } from './services-rules.ts';
import { createTrustServices, type TrustOverrides, type TrustServices } from './services-trust.ts';
import { createValidationService, type ValidationService } from './services-validation.ts';
import { createMongoStore } from './storage/mongo/mongo-store.ts';
import { createSqliteStore } from './storage/sqlite/sqlite-store.ts';
import type { ResourceStore } from './storage/store.ts';
import { createAuditLog, type AuditLog } from './audit/audit-log.ts';
import { clientChangeFacts, createAuthServices, type AuthOverrides, type AuthServices } from './services-auth.ts';
import { createValidationPool, type ValidationPool } from './validation-pool.ts';

export interface Services extends TrustServices {
  config: Config;
  auth: AuthServices;
  audit: AuditLog;
  log: Logger;
  store: ResourceStore;
  validation: ValidationService;
  /** Worker threads for large resources (VALIDATION_WORKERS; absent when 0). */
  validationPool?: ValidationPool;
  credentials: CredentialServices;
  /** `$issue-hcert-bulk` jobs: worked in the background, resumed from the store at start-up. */
  bulk: BulkIssuer;
  /** Prometheus instruments on this instance's own registry. */
  metrics: Metrics;
  version: string;
  now: () => Date;
  close(): Promise<void>;
}

export interface ServiceOverrides extends TrustOverrides, AuthOverrides {
  log?: Logger;
  now?: () => Date;
  /** Use an in-memory database and throw-away key and cache folders instead of DATA_DIR (tests). */
  inMemory?: boolean;
  /** Credentials per committed `$issue-hcert-bulk` batch (tests use small ones to stop a job half-way). */
  bulkBatchSize?: number;
  /** The fetch `$verify` uses for allow-listed remote SHL manifests. */
  shlFetch?: typeof fetch;
}

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const now = overrides.now ?? (() => new Date());
  // Loading the R4 definitions takes a moment: do it at start-up, not on the first write.
  loadBaseDefinitions();
  const dataDir = overrides.inMemory ? mkdtempSync(join(tmpdir(), 'gdhcn-')) : config.dataDir;
  mkdirSync(dataDir, { recursive: true });
  let trust: TrustServices | undefined;
  const metrics = createMetrics({ trust: () => trust!.trust, now });
  const store = instrumentStore(await openStore(config, overrides, now), metrics);
  log.info({ storage: store.describe() }, 'storage ready');
  const validation = await createValidationService(config, log, dataDir);
  const missing = validation.current().policy.missingProfiles;
  if (config.production && missing.length > 0) {
    await store.close();
    throw new ConfigError([
      `VALIDATION_PROFILES names profiles that are not loaded (${missing.join(', ')}): with NODE_ENV=production records would be stored unchecked; add their IG packages (ig/packages, FHIR_PACKAGES or npm run ig:install)`,
    ]);
  }
  trust = await createTrustServices(config, log, now, dataDir, overrides);
  const startedTrust = trust;
  const audit = createAuditLog({ store, log });
  const auth = await createAuthServices(
    config,
    log,
    dataDir,
    now,
    overrides,
    {
      claimJti: (key, expiresAt) => store.claimOnce(key, expiresAt),
      // A client disabled, re-enabled, added or changed (by the CLI or in AUTH_CLIENTS_FILE) is audited as it takes effect.
      ...(config.audit
        ? { onClientChange: (changes) => changes.forEach((c) => audit.enqueue(clientChangeFacts(c, now()))) }
        : {}),
    },
    () => startedTrust.trust.list(),
  ).catch(async (err: unknown) => {
    startedTrust.stop();
    await store.close();
    throw err;
  });
  const rules = await createRuleServices(config, log, now, dataDir, overrides.fetch);
  const credentials = createCredentialServices({
    config,
    store,
    validation,
    trust,
    now,
    rules: rules.source,
    ...(overrides.shlFetch ? { fetch: overrides.shlFetch } : {}),
  });
  const bulk = createBulkIssuer({
    store,
    issuer: () => credentials.issuer(),
    now,
    records: (s, id) => recordsOfImmunization(s, id, config.fhirBaseUrl),
    retentionMs: config.bulkOutputRetentionMs,
    audit: config.audit,
    onError: (err, what) => log.error({ err }, what),
    ...(overrides.bulkBatchSize ? { batchSize: overrides.bulkBatchSize } : {}),
  });
  // Started last (nothing after it can fail) and in the background: until a worker has its packages, large resources are validated inline.
  const validationPool =
    config.validationWorkers > 0 ? createValidationPool(config, dataDir, config.validationWorkers) : undefined;
  if (validationPool) {
    const reload = validation.reload;
    validation.reload = async () => {
      const state = await reload();
      validationPool.reload();
      return state;
    };
  }
  // Unfinished jobs continue from their last committed batch, in the background.
  bulk.resume().catch((err: unknown) => log.error({ err }, 'bulk issuance jobs could not be resumed'));
  return {
    ...trust,
    config,
    auth,
    audit,
    log,
    store,
    validation,
    ...(validationPool ? { validationPool } : {}),
    credentials,
    bulk,
    metrics,
    version: VERSION,
    now,
    close: async () => {
      trust!.stop();
      rules.stop();
      auth.clients.close();
      await validationPool?.close();
      await bulk.close();
      await audit.flush();
      await store.close();
      if (overrides.inMemory) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function openStore(config: Config, overrides: ServiceOverrides, now: () => Date): Promise<ResourceStore> {
  if (config.storage === 'mongodb') {
    return createMongoStore({ url: config.mongodbUrl as string, now, transactions: config.mongodbTransactions });
  }
  if (overrides.inMemory) return createSqliteStore({ path: ':memory:', now });
  return createSqliteStore({ path: join(config.dataDir, 'fhir.db'), synchronous: config.sqliteSynchronous, now });
}
