/**
 * The server's configuration: one typed object, parsed and validated once from the environment,
 * then passed down explicitly. Every key documents itself; the README table is generated from CONFIG_KEYS.
 */
export interface Config {
  port: number;
  host: string;
  /** Public base of the FHIR API; every link the server writes starts with it. */
  fhirBaseUrl: string;
  dataDir: string;
  storage: 'sqlite' | 'mongodb';
  mongodbUrl?: string;
  sqliteSynchronous: 'FULL' | 'NORMAL';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  maxBodyBytes: number;
  searchDefaultCount: number;
  searchMaxCount: number;
  /** Trust X-Forwarded-* headers (only behind a proxy you control). */
  trustProxy: boolean;
}

interface KeySpec<K extends keyof Config> {
  key: K;
  env: string;
  doc: string;
  /** Shown in the docs; `undefined` means "no default". */
  defaultText: string;
  parse: (raw: string | undefined, partial: Partial<Config>) => Config[K];
}

class ConfigProblem extends Error {}

function intIn(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new ConfigProblem(`must be a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigProblem(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    const v = raw.trim();
    if (!(values as readonly string[]).includes(v)) throw new ConfigProblem(`must be one of ${values.join(', ')}, got "${raw}"`);
    return v as T;
  };
}

function bool(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigProblem(`must be true or false, got "${raw}"`);
}

function httpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigProblem(`must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigProblem(`must use http or https, got "${raw}"`);
  if (url.search || url.hash) throw new ConfigProblem('must not have a query or fragment');
  return raw.replace(/\/+$/, '');
}

/** `withDefault` applies the default when the variable is unset or empty. */
function spec<K extends keyof Config>(
  key: K,
  env: string,
  doc: string,
  fallback: Config[K] | ((partial: Partial<Config>) => Config[K]),
  parse: (raw: string) => Config[K],
): KeySpec<K> {
  const defaultText = typeof fallback === 'function' ? '(derived)' : String(fallback);
  return {
    key,
    env,
    doc,
    defaultText,
    parse: (raw, partial) => {
      if (raw === undefined || raw.trim() === '') {
        return typeof fallback === 'function' ? (fallback as (p: Partial<Config>) => Config[K])(partial) : fallback;
      }
      return parse(raw);
    },
  };
}

// Order matters: derived defaults read keys parsed before them.
export const CONFIG_KEYS = [
  spec('port', 'PORT', 'TCP port the HTTP server listens on.', 8080, intIn(0, 65535)),
  spec('host', 'HOST', 'Interface to listen on (`127.0.0.1` to keep it local).', '0.0.0.0', (s) => s.trim()),
  spec(
    'fhirBaseUrl',
    'FHIR_BASE_URL',
    'Public base URL of the FHIR API, used in every Location, fullUrl and link. Default: `http://localhost:<PORT>/fhir`.',
    (p) => `http://localhost:${p.port ?? 8080}/fhir`,
    httpUrl,
  ),
  spec('dataDir', 'DATA_DIR', 'Folder for the embedded database, keys and caches.', './data', (s) => s),
  spec('storage', 'STORAGE', 'Storage adapter: `sqlite` (embedded, default) or `mongodb`.', 'sqlite', oneOf(['sqlite', 'mongodb'] as const)),
  spec('mongodbUrl', 'MONGODB_URL', 'MongoDB connection string (required when STORAGE=mongodb).', undefined, (s) => s),
  spec(
    'sqliteSynchronous',
    'SQLITE_SYNCHRONOUS',
    '`FULL` (default): every acknowledged write survives power loss; `NORMAL`: survives a process crash, faster.',
    'FULL',
    oneOf(['FULL', 'NORMAL'] as const),
  ),
  spec('logLevel', 'LOG_LEVEL', 'pino log level.', 'info', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)),
  spec('maxBodyBytes', 'MAX_BODY_BYTES', 'Largest request body accepted; larger ones get 413 before they are read.', 10 * 1024 * 1024, intIn(1024, 1024 ** 3)),
  spec('searchDefaultCount', 'SEARCH_DEFAULT_COUNT', 'Page size when a search gives no `_count`.', 20, intIn(1, 10000)),
  spec('searchMaxCount', 'SEARCH_MAX_COUNT', 'Largest `_count` honoured; larger values are capped.', 1000, intIn(1, 10000)),
  spec('trustProxy', 'TRUST_PROXY', 'Honour X-Forwarded-* headers (only behind a reverse proxy you control).', false, bool),
] as const;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment into a Config, or throws a ConfigError listing every bad value. */
export function parseConfig(env: Record<string, string | undefined>, overrides: Partial<Config> = {}): Config {
  const partial: Partial<Config> = {};
  const problems: string[] = [];
  for (const s of CONFIG_KEYS) {
    try {
      const value = s.key in overrides ? overrides[s.key] : s.parse(env[s.env], partial);
      (partial as Record<string, unknown>)[s.key] = value;
    } catch (err) {
      if (!(err instanceof ConfigProblem)) throw err;
      problems.push(`${s.env} ${err.message}`);
    }
  }
  if (partial.storage === 'mongodb' && !partial.mongodbUrl) problems.push('MONGODB_URL is required when STORAGE=mongodb');
  if (partial.searchDefaultCount && partial.searchMaxCount && partial.searchDefaultCount > partial.searchMaxCount) {
    problems.push('SEARCH_DEFAULT_COUNT must not exceed SEARCH_MAX_COUNT');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return partial as Config;
}

/** The configuration table of the README, generated so the docs cannot drift. */
export function configTableMarkdown(): string {
  const rows = CONFIG_KEYS.map((s) => `| \`${s.env}\` | ${s.defaultText === 'undefined' ? '—' : `\`${s.defaultText}\``} | ${s.doc} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
