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
import { verifyTrustListProof, type TrustAnchor } from './trustlist-proof.ts';
import { referencesOf, resolveReferences } from './trustlist-refs.ts';
import {
  buildTrustList,
  type CertificateDetail,
  type KeyCandidate,
  type TrustList,
  type TrustListCounts,
} from './trust-list.ts';

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
  /** TRUSTLIST_DOMAINS: only these domains' entries are used (empty or absent = all). */
  domains?: readonly string[];
  /** TRUSTLIST_ANCHOR: when set, every document (root and references) must carry a proof it verifies. */
  anchor?: TrustAnchor;
  /** `trustlist-ref` resolution: allowed URL prefixes (default: the source URL's origin) and depth cap (default 8). */
  references?: { allow?: readonly string[]; maxDepth?: number; maxDocuments?: number };
}

export interface ProofStatus {
  /** `verified`: the list in use carries proofs the anchor verifies; `none`: no verified list yet; `unchecked`: no TRUSTLIST_ANCHOR configured. */
  state: 'verified' | 'unchecked' | 'none';
  anchor: string | undefined;
  /** Newest `proof.created` of the list in use (lists older than this are refused as rollbacks). */
  created: string | undefined;
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
  proof: ProofStatus;
  /** Sub-lists resolved from `trustlist-ref` references in the list in use. */
  referencedDocuments: number;
  /** Per-certificate verdicts, with `detail: true`. */
  certificates?: CertificateDetail[];
  rejected?: TrustList['rejected'];
}

export interface TrustListSync {
  refresh(): Promise<RefreshResult>;
  status(options?: { detail?: boolean }): TrustStatus;
  /** The list in use (last good remote list merged with local entries). */
  list(): TrustList;
  lookupByKid(
    kid: string | Uint8Array,
    options?: { country?: string; asOf?: Date },
  ): { candidates: KeyCandidate[]; warnings: TrustWarning[] };
  lookupShc(iss: string, kid: string): { key: ShcKey | undefined; warnings: TrustWarning[] };
  lookupByDidUrl(
    didUrl: string,
    options?: { asOf?: Date },
  ): { candidate: KeyCandidate | undefined; warnings: TrustWarning[] };
}

interface Good {
  list: TrustList;
  fetchedAt: Date;
  remoteEntries: number;
  /** Newest proof.created (undefined when unproven). */
  created: Date | undefined;
  referenced: number;
}

interface CacheFile {
  version: 1;
  source: string;
  fetchedAt: string;
  documents: unknown;
  /** Proof version of `documents` (they were verified before being written). */
  created?: string;
  /** Sub-lists resolved from references, verified like the root. */
  referenced?: unknown[];
}

/** Mutable state of one sync instance (held in its closure, never at module level). */
interface SyncState {
  readonly options: TrustListSyncOptions;
  readonly sourceName: string;
  readonly build: (remote: unknown[]) => TrustList;
  readonly localOnly: TrustList;
  readonly localEntries: number;
  good: Good | undefined;
  lastError: TrustErrorRecord | undefined;
  lastAttemptAt: Date | undefined;
  inFlight: Promise<RefreshResult> | undefined;
}

const asDocuments = (json: unknown): unknown[] => (Array.isArray(json) ? json : [json]);
const entryCount = (c: TrustListCounts): number => c.csca + c.dsc + c.shcKeys;

function recordError(state: SyncState, e: unknown, at: Date): TrustErrorRecord {
  const err = e instanceof TrustError ? e : new TrustError('TRUSTLIST_MALFORMED', (e as Error).message);
  state.lastError = { code: err.code, message: err.message, at: at.toISOString() };
  state.options.logger?.error(
    { code: err.code, source: state.sourceName },
    `trust list refresh failed, keeping the last good list: ${err.message}`,
  );
  return state.lastError;
}

/** Builds a candidate list and applies the alarms: empty, or shrunk below `minKeepRatio` of the last good one. */
function adopt(
  state: SyncState,
  documents: unknown,
  fetchedAt: Date,
  proven: { created?: Date; referenced?: unknown[] } = {},
): Good {
  const referenced = proven.referenced ?? [];
  const list = state.build([...asDocuments(documents), ...referenced]);
  const remoteEntries = entryCount(list.counts()) - state.localEntries;
  if (remoteEntries <= 0) throw new TrustError('TRUSTLIST_EMPTY', 'Trust list contains no certificates');
  const ratio = state.options.minKeepRatio ?? 0.5;
  if (state.good && remoteEntries < state.good.remoteEntries * ratio) {
    throw new TrustError(
      'TRUSTLIST_SHRUNK',
      `Trust list shrank from ${state.good.remoteEntries} to ${remoteEntries} entries; refused`,
    );
  }
  return { list, fetchedAt, remoteEntries, created: proven.created, referenced: referenced.length };
}

/** Start-up: the cached last good list, so that verification works before (or without) the first download. */
function loadCache(state: SyncState): void {
  try {
    const cached = JSON.parse(readFileSync(state.options.cacheFile, 'utf8')) as CacheFile;
    if (state.options.anchor && !cached.created)
      throw new TrustError(
        'TRUSTLIST_PROOF_MISSING',
        'Cached trust list was stored without a verified proof; waiting for a download',
      );
    const referenced = Array.isArray(cached.referenced) ? cached.referenced : [];
    state.good = adopt(state, cached.documents, new Date(cached.fetchedAt), {
      created: cached.created ? new Date(cached.created) : undefined,
      referenced,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') recordError(state, e, state.options.now());
  }
}

async function persist(
  state: SyncState,
  documents: unknown,
  fetchedAt: Date,
  good: Good,
  referenced: unknown[],
): Promise<void> {
  const body: CacheFile = {
    version: 1,
    source: state.sourceName,
    fetchedAt: fetchedAt.toISOString(),
    documents,
    created: good.created?.toISOString(),
    referenced,
  };
  const file = state.options.cacheFile;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(body));
    await rename(tmp, file); // atomic: a crash never leaves a half-written cache
  } catch (e) {
    state.options.logger?.warn({ cacheFile: file }, `trust list cache not written: ${(e as Error).message}`);
  }
}

async function refreshOnce(state: SyncState): Promise<RefreshResult> {
  const { options } = state;
  const at = options.now();
  state.lastAttemptAt = at;
  if (!options.source) return { ok: true, counts: state.localOnly.counts() };
  try {
    const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    const timeoutMs = options.timeoutMs ?? 30_000;
    const documents = await readTrustSource(options.source, { fetch: options.fetch, maxBytes, timeoutMs });
    const created = await checkProofs(state, asDocuments(documents));
    const referenced = await resolveAll(state, asDocuments(documents), maxBytes, timeoutMs);
    const next = adopt(state, documents, at, { created, referenced });
    await persist(state, documents, at, next, referenced);
    state.good = next;
    state.lastError = undefined;
    const counts = next.list.counts();
    options.logger?.info(
      {
        source: state.sourceName,
        dsc: counts.dsc,
        csca: counts.csca,
        invalid: counts.invalid,
        proof: options.anchor ? 'verified' : 'unchecked',
        referenced: referenced.length,
      },
      'trust list refreshed',
    );
    return { ok: true, counts };
  } catch (e) {
    return { ok: false, error: recordError(state, e, at) };
  }
}

/**
 * With an anchor: every root document's proof verifies, and the newest `proof.created` is not older than the list
 * held (rollback). Returns that newest date. Without an anchor: nothing is checked (status says `unchecked`).
 */
async function checkProofs(state: SyncState, documents: unknown[]): Promise<Date | undefined> {
  const anchor = state.options.anchor;
  if (!anchor) return undefined;
  let newest: Date | undefined;
  for (const [i, doc] of documents.entries()) {
    const { created } = await verifyTrustListProof(
      doc,
      anchor,
      documents.length > 1 ? `Trust list document ${i}` : 'Trust list',
    );
    if (!newest || created > newest) newest = created;
  }
  const held = state.good?.created;
  if (newest && held && newest < held) {
    throw new TrustError(
      'TRUSTLIST_ROLLBACK',
      `Trust list signed at ${newest.toISOString()} is older than the list held (signed at ${held.toISOString()}); refused`,
    );
  }
  return newest;
}

async function resolveAll(
  state: SyncState,
  documents: unknown[],
  maxBytes: number,
  timeoutMs: number,
): Promise<unknown[]> {
  const { options } = state;
  if (!documents.some((d) => referencesOf(d).length > 0)) return [];
  const defaultAllow = options.source && 'url' in options.source ? [`${new URL(options.source.url).origin}/`] : [];
  const anchor = options.anchor;
  return resolveReferences(documents, {
    allow: options.references?.allow ?? defaultAllow,
    maxDepth: options.references?.maxDepth,
    maxDocuments: options.references?.maxDocuments,
    fetch: options.fetch,
    maxBytes,
    timeoutMs,
    verify: anchor
      ? async (doc, did) => void (await verifyTrustListProof(doc, anchor, `Referenced trust list ${did}`))
      : undefined,
  });
}

function staleness(state: SyncState): TrustWarning[] {
  if (!state.options.source) return [];
  const good = state.good;
  if (!good)
    return [{ code: 'TRUSTLIST_NEVER_FETCHED', message: `No trust list from ${state.sourceName} has been loaded yet` }];
  if (state.options.now().getTime() - good.fetchedAt.getTime() <= state.options.maxAgeMs) return [];
  return [
    {
      code: 'TRUSTLIST_STALE',
      message: `Trust list fetched at ${good.fetchedAt.toISOString()} is older than ${Math.round(state.options.maxAgeMs / 1000)} s`,
    },
  ];
}

function statusOf(state: SyncState, list: TrustList, detail: boolean): TrustStatus {
  const stale = staleness(state).length > 0;
  const empty = state.options.source && !state.good && state.localEntries === 0;
  const status: TrustStatus = {
    state: state.lastError ? 'degraded' : empty ? 'empty' : stale ? 'stale' : 'ok',
    source: state.sourceName,
    fetchedAt: state.good?.fetchedAt.toISOString(),
    lastAttemptAt: state.lastAttemptAt?.toISOString(),
    stale,
    counts: list.counts(),
    lastError: state.lastError,
    proof: {
      state: !state.options.anchor ? 'unchecked' : state.good?.created ? 'verified' : 'none',
      anchor: state.options.anchor?.description,
      created: state.good?.created?.toISOString(),
    },
    referencedDocuments: state.good?.referenced ?? 0,
  };
  return detail ? { ...status, certificates: list.details(), rejected: list.rejected } : status;
}

/**
 * Creates the trust-list client. Reads `cacheFile` synchronously at once (start-up), then `refresh()` downloads.
 * @see https://smart.who.int/trust/concepts_did_gdhcn.html
 */
export function createTrustListSync(options: TrustListSyncOptions): TrustListSync {
  const documents = options.local?.documents ?? [];
  const shcIssuers = [...(options.local?.shcIssuers ?? []), ...(options.shcIssuers ?? [])];
  const build = (remote: unknown[]): TrustList =>
    buildTrustList({ documents: [...remote, ...documents], shcIssuers, now: options.now(), domains: options.domains });
  const localOnly = build([]);
  const state: SyncState = {
    options,
    sourceName: options.source ? describeSource(options.source) : 'local',
    build,
    localOnly,
    localEntries: entryCount(localOnly.counts()),
    good: undefined,
    lastError: undefined,
    lastAttemptAt: undefined,
    inFlight: undefined,
  };
  if (options.source) loadCache(state);
  const current = (): TrustList => state.good?.list ?? localOnly;
  return {
    refresh() {
      state.inFlight ??= refreshOnce(state).finally(() => {
        state.inFlight = undefined;
      });
      return state.inFlight;
    },
    status: ({ detail = false } = {}) => statusOf(state, current(), detail),
    list: current,
    lookupByKid: (kid, o) => ({ candidates: current().lookupByKid(kid, o), warnings: staleness(state) }),
    lookupShc: (iss, kid) => ({ key: current().lookupShc(iss, kid), warnings: staleness(state) }),
    lookupByDidUrl: (url, o) => ({ candidate: current().lookupByDidUrl(url, o), warnings: staleness(state) }),
  };
}

/** Runs `refresh` every `intervalMs` (unref'd, so it never keeps the process alive). */
export function startTrustListSchedule(
  sync: Pick<TrustListSync, 'refresh'>,
  options: { intervalMs: number; runNow?: boolean },
): { stop(): void } {
  if (options.runNow) void sync.refresh();
  const timer = setInterval(() => void sync.refresh(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
