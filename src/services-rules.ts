/**
 * Composition of the EU DCC business-rule source from the configuration (part of the composition root): RULES_URL
 * (signed) or RULES_FILE, verified with RULES_SIGNING_KEY, refreshed every RULES_REFRESH, cached in DATA_DIR.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { createRuleSource, type RuleSource } from './rules/rule-source.ts';

export interface RuleServices {
  source: RuleSource | undefined;
  stop(): void;
}

function readKey(file: string): KeyObject {
  try {
    const text = readFileSync(file, 'utf8');
    return text.trim().startsWith('{')
      ? createPublicKey({ key: JSON.parse(text) as never, format: 'jwk' })
      : createPublicKey(text);
  } catch (e) {
    throw new Error(
      `RULES_SIGNING_KEY ${file} is not a readable PEM (SPKI) or JWK public key: ${(e as Error).message}`,
    );
  }
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
    ...(config.rulesSigningKey ? { key: readKey(config.rulesSigningKey) } : {}),
    allowUnsigned: config.rulesAllowUnsigned,
    now,
    logger: log,
  });
  await source.refresh();
  const timer = setInterval(() => void source.refresh(), config.rulesRefreshMs);
  timer.unref();
  return { source, stop: () => clearInterval(timer) };
}
