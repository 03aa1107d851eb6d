/**
 * Where the business rules come from: a file or a URL, refreshed like the trust list — the last good distribution
 * is kept in memory and in `cacheFile` (reloaded at start), and a refresh that fails keeps it and records why.
 *
 * Signatures: a distribution is signed as a compact JWS (RFC 7515) whose payload is the distribution JSON, verified
 * against the configured public key (ES256, ES384, PS256, RS256 or EdDSA; a `crit` header we do not understand is
 * refused by jose). A URL must serve a signed distribution; plain JSON is accepted only from a local file and only
 * when `allowUnsigned` is set. The EU gateway's own CMS signatures are not read here (see docs/decisions).
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { compactVerify, type CryptoKey, type KeyObject } from 'jose';
import { fetchCappedText } from '../trust/read-source.ts';
import { loadRuleSet, type RuleSet } from './evaluate-rules.ts';
import { RULE_LIMITS } from './limits.ts';
import { readDistribution, type RefusedEntry } from './rule-model.ts';

export type RuleSourceErrorCode =
  | 'RULES_FETCH_FAILED'
  | 'RULES_TOO_LARGE'
  | 'RULES_MALFORMED'
  | 'RULES_SIGNATURE_INVALID'
  | 'RULES_UNSIGNED'
  | 'RULES_EMPTY';

export class RuleSourceError extends Error {
  readonly code: RuleSourceErrorCode;
  constructor(code: RuleSourceErrorCode, message: string) {
    super(message);
    this.name = 'RuleSourceError';
    this.code = code;
  }
}

export type RuleSourceLocation = { url: string } | { file: string };

export interface RuleSourceOptions {
  source: RuleSourceLocation;
  fetch: typeof fetch;
  cacheFile: string;
  /** Public key of the rule publisher; without it only unsigned local files can be read. */
  key?: CryptoKey | KeyObject;
  allowUnsigned: boolean;
  maxBytes?: number;
  timeoutMs?: number;
  now: () => Date;
  logger?: { info(o: object, m: string): void; error(o: object, m: string): void };
}

export interface RuleSourceStatus {
  state: 'ok' | 'degraded' | 'empty';
  source: string;
  signed: boolean | undefined;
  fetchedAt: string | undefined;
  rules: number;
  valueSets: number;
  refused: RefusedEntry[];
  lastError: { code: RuleSourceErrorCode; message: string; at: string } | undefined;
}

export interface RuleSource {
  refresh(): Promise<{ ok: boolean }>;
  /** The rules in use; undefined before the first good load. */
  current(): RuleSet | undefined;
  status(): RuleSourceStatus;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;
const ALGORITHMS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'];

export const describeRuleSource = (s: RuleSourceLocation): string => ('url' in s ? s.url : `file:${s.file}`);

// The URL is the operator's (RULES_URL), like the trust list's; a redirect elsewhere is not followed.
const fetchText = (url: string, o: RuleSourceOptions, maxBytes: number): Promise<string> =>
  fetchCappedText(url, {
    fetch: o.fetch,
    maxBytes,
    timeoutMs: o.timeoutMs ?? 30_000,
    accept: 'application/jose, application/json',
    redirect: 'error',
    failed: (reason) => new RuleSourceError('RULES_FETCH_FAILED', `Rule download failed: ${reason}`),
    tooLarge: () => new RuleSourceError('RULES_TOO_LARGE', `The rule distribution exceeds the ${maxBytes}-byte cap`),
  });

/**
 * Read a rule file, refusing one over the cap before reading it.
 * @example await readRuleFile('rules.json', 8 << 20)
 */
export async function readRuleFile(file: string, maxBytes: number): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new RuleSourceError(
      'RULES_FETCH_FAILED',
      `Rule file cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (size > maxBytes)
    throw new RuleSourceError('RULES_TOO_LARGE', `The rule file has ${size} bytes, above the ${maxBytes}-byte cap`);
  return readFile(file, 'utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new RuleSourceError('RULES_MALFORMED', `The rule distribution is not JSON: ${(e as Error).message}`);
  }
}

/**
 * Text of a distribution → its JSON: a compact JWS is verified against `key`; plain JSON only when `unsignedOk`.
 * @example await openDistribution(jws, { key, unsignedOk: false })
 */
export async function openDistribution(
  text: string,
  o: { key?: CryptoKey | KeyObject; unsignedOk: boolean },
): Promise<{ json: unknown; signed: boolean }> {
  const t = text.trim();
  if (COMPACT_JWS.test(t)) {
    if (!o.key)
      throw new RuleSourceError(
        'RULES_SIGNATURE_INVALID',
        'The rule distribution is signed but no RULES_SIGNING_KEY is configured to verify it',
      );
    try {
      const { payload } = await compactVerify(t, o.key, { algorithms: ALGORITHMS });
      return { json: parseJson(new TextDecoder().decode(payload)), signed: true };
    } catch (e) {
      if (e instanceof RuleSourceError) throw e;
      throw new RuleSourceError(
        'RULES_SIGNATURE_INVALID',
        `The rule distribution's signature does not verify: ${(e as Error).message}`,
      );
    }
  }
  if (!o.unsignedOk)
    throw new RuleSourceError(
      'RULES_UNSIGNED',
      'The rule distribution is not signed (compact JWS); unsigned rules are read only from local files with RULES_ALLOW_UNSIGNED=true',
    );
  return { json: parseJson(t), signed: false };
}

interface Good {
  set: RuleSet;
  signed: boolean;
  fetchedAt: Date;
  refused: RefusedEntry[];
  valueSets: number;
}

async function adopt(text: string, o: RuleSourceOptions, fromFile: boolean, fetchedAt: Date): Promise<Good> {
  const { json, signed } = await openDistribution(text, {
    ...(o.key ? { key: o.key } : {}),
    unsignedOk: fromFile && o.allowUnsigned,
  });
  let d: ReturnType<typeof readDistribution>;
  try {
    d = readDistribution(json);
  } catch (e) {
    throw new RuleSourceError('RULES_MALFORMED', (e as Error).message);
  }
  if (d.rules.length === 0)
    throw new RuleSourceError(
      'RULES_EMPTY',
      `The rule distribution holds no usable rule${d.refused.length ? ` (${d.refused.length} refused: ${d.refused[0]!.at}: ${d.refused[0]!.reason})` : ''}`,
    );
  return {
    set: loadRuleSet(d.rules, d.valueSets),
    signed,
    fetchedAt,
    refused: d.refused,
    valueSets: d.valueSets.length,
  };
}

/**
 * The rule source client. Reads `cacheFile` at once (start-up); `refresh()` reads the source.
 * @example const rules = createRuleSource({ source: { file: 'rules.json' }, allowUnsigned: true, fetch, cacheFile, now })
 */
export function createRuleSource(o: RuleSourceOptions): RuleSource {
  const name = describeRuleSource(o.source);
  const maxBytes = o.maxBytes ?? RULE_LIMITS.maxBytes;
  let good: Good | undefined;
  let lastError: RuleSourceStatus['lastError'];
  let inFlight: Promise<{ ok: boolean }> | undefined;
  const record = (e: unknown): void => {
    const err = e instanceof RuleSourceError ? e : new RuleSourceError('RULES_MALFORMED', (e as Error).message);
    lastError = { code: err.code, message: err.message, at: o.now().toISOString() };
    o.logger?.error(
      { code: err.code, source: name },
      `business rules not loaded, keeping the last good set: ${err.message}`,
    );
  };
  const fromCache = (async () => {
    try {
      const cached = JSON.parse(readFileSync(o.cacheFile, 'utf8')) as {
        fetchedAt: string;
        text: string;
        fromFile: boolean;
      };
      good ??= await adopt(cached.text, o, cached.fromFile, new Date(cached.fetchedAt));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') record(e);
    }
  })();
  const once = async (): Promise<{ ok: boolean }> => {
    await fromCache;
    const at = o.now();
    try {
      const fromFile = 'file' in o.source;
      const text =
        'url' in o.source ? await fetchText(o.source.url, o, maxBytes) : await readRuleFile(o.source.file, maxBytes);
      good = await adopt(text, o, fromFile, at);
      lastError = undefined;
      await persist(o.cacheFile, { fetchedAt: at.toISOString(), text, fromFile });
      o.logger?.info(
        { source: name, rules: good.set.rules.length, refused: good.refused.length },
        'business rules loaded',
      );
      return { ok: true };
    } catch (e) {
      record(e);
      return { ok: false };
    }
  };
  return {
    refresh: () => (inFlight ??= once().finally(() => (inFlight = undefined))),
    current: () => good?.set,
    status: () => ({
      state: lastError ? 'degraded' : good ? 'ok' : 'empty',
      source: name,
      signed: good?.signed,
      fetchedAt: good?.fetchedAt.toISOString(),
      rules: good?.set.rules.length ?? 0,
      valueSets: good?.valueSets ?? 0,
      refused: good?.refused ?? [],
      lastError,
    }),
  };
}

async function persist(file: string, body: object): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, JSON.stringify(body));
    await rename(tmp, file);
  } catch {
    // A cache that cannot be written costs only the offline start; the rules in memory are good.
  }
}
