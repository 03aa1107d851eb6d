/**
 * The client registry of SMART Backend Services: who may ask for a token, with which keys and scopes.
 * Kept as JSON in `DATA_DIR/auth/clients.json` (written by `gdhcn-gateway clients add|disable|enable`, atomically by
 * rename), optionally merged with an operator's file (AUTH_CLIENTS_FILE, kept in Git; the data-dir entry of the same
 * id wins, so `clients disable` works on either). Both files are re-read when they change, so a disabled client is
 * refused on its very next request. See docs/decisions/ for why a file and not the FHIR store.
 */
import {
  existsSync,
  type FSWatcher,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import type { JSONWebKeySet } from 'jose';

export interface ClientRecord {
  id: string;
  name: string;
  /** Public keys, inline. */
  jwks?: JSONWebKeySet;
  /** Or where to fetch them (through the guarded fetch, AUTH_JWKS_ALLOW). */
  jwksUri?: string;
  /** The most this client may be granted. */
  scopes: string[];
  enabled: boolean;
  createdAt?: string;
}

const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class ClientRegistryError extends Error {
  override name = 'ClientRegistryError';
}

/** Checks one record as read from a file or given on the command line. */
export function checkClient(c: unknown, where: string): ClientRecord {
  const r = c as Partial<ClientRecord> | null;
  if (!r || typeof r !== 'object') throw new ClientRegistryError(`${where}: a client must be an object`);
  if (typeof r.id !== 'string' || !CLIENT_ID.test(r.id))
    throw new ClientRegistryError(`${where}: id must be 1–64 of A–Z a–z 0–9 . _ -`);
  if (!Array.isArray(r.scopes) || r.scopes.some((s) => typeof s !== 'string'))
    throw new ClientRegistryError(`${where}: scopes must be a list of strings`);
  if (!r.jwks === !r.jwksUri) throw new ClientRegistryError(`${where}: give exactly one of jwks and jwksUri`);
  if (r.jwks && !Array.isArray(r.jwks.keys))
    throw new ClientRegistryError(`${where}: jwks must be a JWK Set ({"keys": [...]})`);
  if (r.jwks?.keys.some((k) => 'd' in k || 'k' in k))
    throw new ClientRegistryError(`${where}: jwks must hold public keys only`);
  if (r.jwksUri !== undefined && (typeof r.jwksUri !== 'string' || !URL.canParse(r.jwksUri)))
    throw new ClientRegistryError(`${where}: jwksUri must be a URL`);
  return {
    id: r.id,
    name: typeof r.name === 'string' ? r.name : r.id,
    ...(r.jwks ? { jwks: r.jwks } : {}),
    ...(r.jwksUri ? { jwksUri: r.jwksUri } : {}),
    scopes: r.scopes,
    enabled: r.enabled !== false,
    ...(typeof r.createdAt === 'string' ? { createdAt: r.createdAt } : {}),
  };
}

interface Cached {
  stamp: string;
  clients: ClientRecord[];
}

function stampOf(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

function readClients(path: string): ClientRecord[] {
  if (!existsSync(path)) return [];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ClientRegistryError(`${path}: not JSON (${(err as Error).message})`);
  }
  const list = (json as { clients?: unknown } | null)?.clients;
  if (!Array.isArray(list)) throw new ClientRegistryError(`${path}: expected {"clients": [...]}`);
  return list.map((c, i) => checkClient(c, `${path} clients[${i}]`));
}

export interface ClientRegistry {
  /** The client as it stands now (files re-read when changed), or undefined. */
  get(id: string): ClientRecord | undefined;
  list(): ClientRecord[];
  /** Adds or replaces a client in the data-dir file. */
  put(client: ClientRecord): void;
  /** Marks a client disabled in the data-dir file; false when there is no such client. */
  disable(id: string): boolean;
  /** Marks a client enabled again in the data-dir file (it wins over AUTH_CLIENTS_FILE); false when there is none. */
  enable(id: string): boolean;
  /** The data-dir file that `put`, `disable` and `enable` write. */
  readonly path: string;
  /** Stops watching the files (a watched registry only). */
  close(): void;
}

/**
 * A watched registry still looks at the files' stamps this often when no change was signalled, for file systems
 * whose change notifications do not arrive (some network and container mounts).
 */
const RESTAT_MS = 1000;

/**
 * Change signals for the registry files: the folders are watched (the CLI replaces a file by rename, which a watch
 * on the file itself would lose). `changed()` is true until `checked()`; when a folder cannot be watched the signal
 * stays on, so every call looks at the stamps as an unwatched registry does.
 */
function watchFiles(files: string[], now: () => number) {
  let dirty = true;
  let lastCheck = 0;
  let watchers: FSWatcher[] = [];
  const names = new Set(files.map((f) => basename(f)));
  const start = (): boolean => {
    try {
      for (const dir of new Set(files.map((f) => dirname(f)))) {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(String(name))) dirty = true;
        });
        w.on('error', () => stop());
        watchers.push(w);
      }
      return true;
    } catch {
      stop();
      return false;
    }
  };
  const stop = () => {
    for (const w of watchers) w.close();
    watchers = [];
  };
  let watching = start();
  // On close the signal stays on: a closed registry still answers, by stamps.
  return {
    changed: () => !watching || dirty || now() - lastCheck >= RESTAT_MS,
    checked: () => {
      dirty = false;
      lastCheck = now();
    },
    touch: () => {
      dirty = true;
    },
    close: () => {
      stop();
      watching = false;
    },
  };
}

/** What changed for one client between two readings of the registry files. */
export interface ClientChange {
  id: string;
  change: 'registered' | 'enabled' | 'disabled' | 'changed' | 'removed';
}

/** The changes from `before` to `after`, in id order. */
export function clientChanges(
  before: ReadonlyMap<string, ClientRecord>,
  after: ReadonlyMap<string, ClientRecord>,
): ClientChange[] {
  const changes: ClientChange[] = [];
  const ids = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const id of ids) {
    const b = before.get(id);
    const a = after.get(id);
    if (!a) changes.push({ id, change: 'removed' });
    else if (!b) changes.push({ id, change: 'registered' });
    else if (a.enabled !== b.enabled) changes.push({ id, change: a.enabled ? 'enabled' : 'disabled' });
    else if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ id, change: 'changed' });
  }
  return changes;
}

/**
 * @example
 * const clients = openClientRegistry({ path: 'data/auth/clients.json', configFile: 'clients.json' });
 * clients.get('his-1')?.enabled // true
 */
export function openClientRegistry(options: {
  path: string;
  configFile?: string;
  /**
   * The server's registry (asked on every authenticated request) watches the files' folders and looks at the
   * files' stamps only after a change signal, instead of a stat per request. Off for one-shot readers (the CLI).
   */
  watch?: boolean;
  /**
   * Told what changed each time the registry takes a change of its files into effect (not at the first reading):
   * the server audits it, whoever changed the file (the CLI, an operator's Git checkout, this registry).
   */
  onChange?: (changes: ClientChange[]) => void;
}): ClientRegistry {
  const files = [options.configFile, options.path].filter((p): p is string => Boolean(p));
  const signals = options.watch ? watchFiles(files, Date.now) : undefined;
  const cache = new Map<string, Cached>();
  const load = (path: string): ClientRecord[] => {
    const stamp = stampOf(path);
    const hit = cache.get(path);
    if (hit?.stamp === stamp) return hit.clients;
    const clients = readClients(path);
    cache.set(path, { stamp, clients });
    return clients;
  };
  // Every authenticated request asks: the merged view is rebuilt only when one of the files changed.
  let view: { sources: ClientRecord[][]; byId: Map<string, ClientRecord> } | undefined;
  const merged = (): Map<string, ClientRecord> => {
    if (view && signals && !signals.changed()) return view.byId;
    signals?.checked(); // before reading: a change signalled while reading is seen on the next call
    const sources = files.map(load);
    if (view && sources.every((list, i) => list === view!.sources[i])) return view.byId;
    const byId = new Map<string, ClientRecord>();
    for (const list of sources) for (const c of list) byId.set(c.id, c);
    const before = view?.byId;
    view = { sources, byId };
    if (before && options.onChange) {
      const changes = clientChanges(before, byId);
      if (changes.length) options.onChange(changes);
    }
    return byId;
  };
  const setEnabled = (id: string, enabled: boolean): boolean => {
    const current = merged().get(id);
    if (!current) return false;
    const own = load(options.path).filter((c) => c.id !== id);
    write([...own, { ...current, enabled }]);
    return true;
  };
  const write = (clients: ClientRecord[]): void => {
    mkdirSync(dirname(options.path), { recursive: true });
    const tmp = `${options.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ clients }, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, options.path);
    signals?.touch();
  };
  return {
    get: (id) => merged().get(id),
    list: () => [...merged().values()],
    put: (client) => {
      const own = load(options.path).filter((c) => c.id !== client.id);
      write([...own, checkClient(client, 'client')]);
    },
    disable: (id) => setEnabled(id, false),
    enable: (id) => setEnabled(id, true),
    path: options.path,
    close: () => signals?.close(),
  };
}
