/**
 * Composition of the EU DCC business-rule source from the configuration (part of the composition root): RULES_URL
 * (signed) or RULES_FILE, verified with RULES_SIGNING_KEY, refreshed every RULES_REFRESH, cached in DATA_DIR.
 */
import { join } from 'node:path';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { createRuleSource, type RuleSource } from './rules/rule-source.ts';
import { readRuleSigningKey } from './rules/signing-key.ts';

export interface RuleServices {
  source: RuleSource | undefined;
  stop(): void;
}

/** Reads the rules once before answering (so `$verify` has them from the first request), then on a timer. */
export async function createRuleServices(
  config: Config,
  log: Logger,
  now: () => Date,
  dir: string,
  fetchFn: typeof fetch = globalThis.fetch,
): Promise<RuleServices> {
  const location = config.rulesUrl
    ? { url: config.rulesUrl }
    : config.rulesFile
      ? { file: config.rulesFile }
      : undefined;
  if (!location) return { source: undefined, stop: () => undefined };
  const source = createRuleSource({
    source: location,
    fetch: fetchFn,
    cacheFile: join(dir, 'rules', 'rules-cache.json'),
    ...(config.rulesSigningKey ? { key: readRuleSigningKey(config.rulesSigningKey, 'RULES_SIGNING_KEY') } : {}),
    allowUnsigned: config.rulesAllowUnsigned,
    now,
    logger: log,
  });
  await source.refresh();
  const timer = setInterval(() => void source.refresh(), config.rulesRefreshMs);
  timer.unref();
  return { source, stop: () => clearInterval(timer) };
}
