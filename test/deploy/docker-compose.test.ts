/**
 * docker-compose.yml and the Dockerfile are read against the configuration schema (there is no Docker engine on the
 * build machines): a variable the server does not know is a silent no-op in production, so it fails here.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS, parseConfig } from '../../src/config/schema.ts';

const ROOT = resolve(import.meta.dirname, '../..');
/** Read by Node or by the schema's derived defaults rather than being keys of their own. */
const PROCESS_VARIABLES = new Set(['NODE_ENV']);
const known = new Set<string>([...CONFIG_KEYS.map((k) => k.env), ...PROCESS_VARIABLES]);

interface ComposeService {
  environment?: Record<string, string | number | boolean> | string[];
}

/** `environment:` as a map, whether the file writes it as a map or as `KEY=value` lines. */
function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(env.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** `ENV A=1 B=2` instructions of a Dockerfile, continuation lines joined. */
function dockerfileEnv(text: string): Record<string, string> {
  const joined = text.replace(/\\\n\s*/g, ' ');
  const out: Record<string, string> = {};
  for (const line of joined.split('\n')) {
    const m = /^ENV\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const pair of m[1]!.matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)) out[pair[1]!] = pair[2]!;
  }
  return out;
}

describe('docker-compose.yml and Dockerfile against the configuration schema', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, ComposeService & { build?: unknown }>;
  };
  const dockerfile = dockerfileEnv(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const ours = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

  test('when the compose file is parsed, then the gateway service is the one built from the Dockerfile', () => {
    expect(ours.map(([name]) => name)).toEqual(['gdhcn']);
  });

  test('when the gateway service sets environment variables, then every one is a variable the server knows', () => {
    const env = environmentOf(ours[0]![1]);
    expect(Object.keys(env).length).toBeGreaterThan(0);
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
  });

  test('when the Dockerfile sets environment variables, then every one is a variable the server knows', () => {
    expect(Object.keys(dockerfile)).toEqual(expect.arrayContaining(['NODE_ENV', 'PORT', 'DATA_DIR']));
    expect(Object.keys(dockerfile).filter((name) => !known.has(name))).toEqual([]);
  });

  test('when the image and compose environments are combined, then the configuration parses without a problem', () => {
    const env = { ...dockerfile, ...environmentOf(ours[0]![1]) };
    const config = parseConfig(env);
    expect(config.storage).toBe('mongodb');
    expect(config.mongodbUrl).toBe(env.MONGODB_URL);
    expect(config.dataDir).toBe('/data');
  });

  test('when a variable is misspelled, then the check names it', () => {
    const env = environmentOf({ environment: ['STORAGE=mongodb', 'MONGO_URL=mongodb://x'] });
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual(['MONGO_URL']);
  });
});
