/**
 * GDHCN trust-list refresh: keeps the last good list in memory and in `cacheFile` (reloaded at start, so
 * verification works offline and across restarts). A refresh that fails — source down, garbage, over the size
 * cap, empty, or sharply shrunk — keeps the last good list, records the error and turns the status 'degraded'.
 * Past `maxAgeMs` every lookup carries a staleness warning. No timers here: see `startTrustListSchedule`.
 * https://smart.who.int/trust/concepts_did_gdhcn.html
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { TrustError, type TrustErrorCode } from './errors.ts';
import type { DidDocument } from './did-trustlist.ts';
import { describeSource, readTrustSource, type TrustSource } from './read-source.ts';
import type { ShcIssuer, ShcKey } from './shc-directory.ts';
import { buildTrustList, type CertificateDetail, type KeyCandidate, type TrustList, type TrustListCounts } from './trust-list.ts';

export type { TrustSource } from './read-source.ts';

export interface TrustLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TrustListSyncOptions {
  /** Where the GDHCN list comes from; absent = local entries only (development). */
  source?: TrustSource;
  fetch: typeof fetch;
  cacheFile: string;
  /** Size cap of one download (default 10 MiB). */
  maxBytes?: number;
  /** Age after which lookups carry a `TRUSTLIST_STALE` warning. */
  maxAgeMs: number;
  now: () => Date;
  logger?: TrustLogger;
  /** A refresh with fewer than this share of the last good list's certificates is refused (default 0.5). */
  minKeepRatio?: number;
  timeoutMs?: number;
  /** Always-trusted entries merged into every list (TRUST_SELF, see `trustSelf`). */
  local?: { documents: readonly DidDocument[]; shcIssuers: readonly ShcIssuer[] };
  /** SHC issuers from a VCI directory file (see `parseShcDirectory`). */
  shcIssuers?: readonly ShcIssuer[];
}

export interface TrustWarning {
  code: 'TRUSTLIST_STALE' | 'TRUSTLIST_NEVER_FETCHED';
  message: string;
}

export interface TrustErrorRecord {
  code: TrustErrorCode;
  message: string;
  at: string;
}

export type RefreshResult = { ok: true; counts: TrustListCounts } | { ok: false; error: TrustErrorRecord };

export interface TrustStatus {
  state: 'ok' | 'degraded' | 'stale' | 'empty';
  source: string;
  fetchedAt: string | undefined;
  lastAttemptAt: string | undefined;
  stale: boolean;
  counts: TrustListCounts;
  lastError: TrustErrorRecord | undefined;
  /** Per-certificate verdicts, with `detail: true`. */
  certificates?: CertificateDetail[];
  rejected?: TrustList['rejected'];
}

export interface TrustListSync {
  refresh(): Promise<RefreshResult>;
  status(options?: { detail?: boolean }): TrustStatus;
  /** The list in use (last good remote list merged with local entries). */
  list(): TrustList;
  lookupByKid(kid: string | Uint8Array, options?: { country?: string; asOf?: Date }): { candidates: KeyCandidate[]; warnings: TrustWarning[] };
  lookupShc(iss: string, kid: string): { key: ShcKey | undefined; warnings: TrustWarning[] };
  lookupByDidUrl(didUrl: string, options?: { asOf?: Date }): { candidate: KeyCandidate | undefined; warnings: TrustWarning[] };
}

interface Good {
  list: TrustList;
  fetchedAt: Date;
  remoteEntries: number;
}

interface CacheFile {
  version: 1;
  source: string;
  fetchedAt: string;
  documents: unknown;
}

const asDocuments = (json: unknown): unknown[] => (Array.isArray(json) ? json : [json]);
const entryCount = (c: TrustListCounts): number => c.csca + c.dsc + c.shcKeys;

export function createTrustListSync(options: TrustListSyncOptions): TrustListSync {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const local = { documents: options.local?.documents ?? [], shcIssuers: [...(options.local?.shcIssuers ?? []), ...(options.shcIssuers ?? [])] };
  const build = (remote: unknown[]): TrustList => buildTrustList({ documents: [...remote, ...local.documents], shcIssuers: local.shcIssuers, now: options.now() });
  const localOnly = build([]);
  const localEntries = entryCount(localOnly.counts());
  const sourceName = options.source ? describeSource(options.source) : 'local';
  let good: Good | undefined;
  let lastError: TrustErrorRecord | undefined;
  let lastAttemptAt: Date | undefined;
  let inFlight: Promise<RefreshResult> | undefined;

  const record = (e: unknown, at: Date): TrustErrorRecord => {
    const err = e instanceof TrustError ? e : new TrustError('TRUSTLIST_MALFORMED', (e as Error).message);
    lastError = { code: err.code, message: err.message, at: at.toISOString() };
    options.logger?.error({ code: err.code, source: sourceName }, `trust list refresh failed, keeping the last good list: ${err.message}`);
    return lastError;
  };

  const adopt = (documents: unknown, fetchedAt: Date): Good => {
    const list = build(asDocuments(documents));
    const remoteEntries = entryCount(list.counts()) - localEntries;
    if (remoteEntries <= 0) throw new TrustError('TRUSTLIST_EMPTY', 'Trust list contains no certificates');
    const ratio = options.minKeepRatio ?? 0.5;
    if (good && remoteEntries < good.remoteEntries * ratio) {
      throw new TrustError('TRUSTLIST_SHRUNK', `Trust list shrank from ${good.remoteEntries} to ${remoteEntries} entries; refused`);
    }
    return { list, fetchedAt, remoteEntries };
  };

  // Start-up: the cached last good list, so that verification works before (or without) the first download.
  if (options.source) {
    try {
      const cached = JSON.parse(readFileSync(options.cacheFile, 'utf8')) as CacheFile;
      good = adopt(cached.documents, new Date(cached.fetchedAt));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') record(e, options.now());
    }
  }

  const persist = async (documents: unknown, fetchedAt: Date): Promise<void> => {
    const body: CacheFile = { version: 1, source: sourceName, fetchedAt: fetchedAt.toISOString(), documents };
    const tmp = `${options.cacheFile}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(body));
      await rename(tmp, options.cacheFile); // atomic: a crash never leaves a half-written cache
    } catch (e) {
      options.logger?.warn({ cacheFile: options.cacheFile }, `trust list cache not written: ${(e as Error).message}`);
    }
  };

  const doRefresh = async (): Promise<RefreshResult> => {
    const at = options.now();
    lastAttemptAt = at;
    if (!options.source) return { ok: true, counts: localOnly.counts() };
    try {
      const documents = await readTrustSource(options.source, { fetch: options.fetch, maxBytes, timeoutMs: options.timeoutMs ?? 30_000 });
      const next = adopt(documents, at);
      await persist(documents, at);
      good = next;
      lastError = undefined;
      const counts = next.list.counts();
      options.logger?.info({ source: sourceName, dsc: counts.dsc, csca: counts.csca, invalid: counts.invalid }, 'trust list refreshed');
      return { ok: true, counts };
    } catch (e) {
      return { ok: false, error: record(e, at) };
    }
  };

  const current = (): TrustList => good?.list ?? localOnly;

  const warnings = (): TrustWarning[] => {
    if (!options.source) return [];
    if (!good) return [{ code: 'TRUSTLIST_NEVER_FETCHED', message: `No trust list from ${sourceName} has been loaded yet` }];
    const age = options.now().getTime() - good.fetchedAt.getTime();
    if (age <= options.maxAgeMs) return [];
    return [{ code: 'TRUSTLIST_STALE', message: `Trust list fetched at ${good.fetchedAt.toISOString()} is older than ${Math.round(options.maxAgeMs / 1000)} s` }];
  };

  return {
    refresh() {
      inFlight ??= doRefresh().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    status({ detail = false } = {}) {
      const list = current();
      const stale = warnings().length > 0;
      const state = lastError ? 'degraded' : options.source && !good && localEntries === 0 ? 'empty' : stale ? 'stale' : 'ok';
      const status: TrustStatus = {
        state,
        source: sourceName,
        fetchedAt: good?.fetchedAt.toISOString(),
        lastAttemptAt: lastAttemptAt?.toISOString(),
        stale,
        counts: list.counts(),
        lastError,
      };
      return detail ? { ...status, certificates: list.details(), rejected: list.rejected } : status;
    },
    list: current,
    lookupByKid: (kid, o) => ({ candidates: current().lookupByKid(kid, o), warnings: warnings() }),
    lookupShc: (iss, kid) => ({ key: current().lookupShc(iss, kid), warnings: warnings() }),
    lookupByDidUrl: (url, o) => ({ candidate: current().lookupByDidUrl(url, o), warnings: warnings() }),
  };
}

/** Runs `refresh` every `intervalMs` (unref'd, so it never keeps the process alive). */
export function startTrustListSchedule(sync: Pick<TrustListSync, 'refresh'>, options: { intervalMs: number; runNow?: boolean }): { stop(): void } {
  if (options.runNow) void sync.refresh();
  const timer = setInterval(() => void sync.refresh(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
