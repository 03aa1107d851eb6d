/**
 * Readiness (`GET /readyz`): can this instance take traffic? Each check passes, warns (the instance serves, in a
 * degraded way, and says why) or fails (take it out of rotation). Storage and packages are required; a stale trust
 * list only warns, since every instance shares the same upstream list and taking them all out would help no one.
 */
import type { ResourceStore } from './storage/store.ts';
import type { IssuerKeySet } from './trust/issuer-keys.ts';
import type { TrustListSync } from './trust/sync.ts';
import type { ValidationState } from './services-validation.ts';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface ReadinessCheck {
  status: CheckStatus;
  /** Why, when not `pass`; facts otherwise. */
  reason?: string;
  [fact: string]: unknown;
}

export interface Readiness {
  status: 'ready' | 'degraded' | 'not-ready';
  checks: Record<'storage' | 'packages' | 'issuerKeys' | 'trustList', ReadinessCheck>;
}

export interface ReadinessSources {
  store: ResourceStore;
  validation: () => ValidationState;
  issuerKeys: IssuerKeySet;
  trust: TrustListSync;
  now: () => Date;
  /** The signing DSC must stay valid at least this long. */
  keyMinValidityMs: number;
  /** How long the storage probe may take before it counts as unreachable. */
  storageTimeoutMs?: number;
}

const DAY = 86_400_000;
/** Thrown inside the probe transaction so that nothing it wrote is kept. */
class ProbeRollback extends Error {}

/**
 * Proves the store answers and accepts a write: one write inside a transaction that is then rolled back, so the
 * probe leaves no resource and no history behind.
 */
async function storageCheck(store: ResourceStore, timeoutMs: number): Promise<ReadinessCheck> {
  const probe = store
    .transaction(async (tx) => {
      await tx.update({
        resourceType: 'Basic',
        id: 'readiness-probe',
        code: { text: 'readiness probe (rolled back)' },
      } as never);
      throw new ProbeRollback();
    })
    .then(
      () => ({ status: 'fail' as const, reason: 'the probe transaction was not rolled back' }),
      (err: unknown) =>
        err instanceof ProbeRollback
          ? { status: 'pass' as const, storage: store.describe() }
          : { status: 'fail' as const, reason: `storage write failed: ${(err as Error).message}` },
    );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessCheck>((done) => {
    timer = setTimeout(
      () => done({ status: 'fail', reason: `storage did not answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function packagesCheck(state: ValidationState): ReadinessCheck {
  const loaded = state.packages.summaries.map((s) => `${s.id}#${s.version}`);
  const missing = state.policy.missingProfiles;
  if (missing.length > 0)
    return { status: 'fail', reason: `configured ingest profile(s) not loaded: ${missing.join(', ')}`, loaded };
  return { status: 'pass', loaded };
}

function issuerKeysCheck(keys: IssuerKeySet, now: Date, minMs: number): ReadinessCheck {
  const at = now.getTime();
  const usable = keys.dscs.filter(
    (d) => d.certificate.notBefore.getTime() <= at && d.certificate.notAfter.getTime() > at,
  );
  const until = Math.max(0, ...usable.map((d) => d.certificate.notAfter.getTime()));
  const csca = keys.csca.notAfter.getTime();
  const validUntil = Math.min(until, csca);
  const days = Math.floor((validUntil - at) / DAY);
  const facts = {
    country: keys.country,
    validUntil: validUntil > 0 ? new Date(validUntil).toISOString() : undefined,
    daysLeft: Math.max(0, days),
  };
  if (usable.length === 0) return { status: 'fail', reason: 'no document signer certificate is valid now', ...facts };
  if (validUntil - at < minMs) {
    return {
      status: 'fail',
      reason: `the signing keys expire in ${Math.max(0, days)} day(s), less than the ${Math.round(minMs / DAY)} required (READYZ_KEY_MIN_VALIDITY)`,
      ...facts,
    };
  }
  return { status: 'pass', ...facts };
}

function trustListCheck(trust: TrustListSync): ReadinessCheck {
  const s = trust.status();
  const facts = {
    state: s.state,
    source: s.source,
    fetchedAt: s.fetchedAt,
    entries: s.counts.csca + s.counts.dsc + s.counts.shcKeys,
  };
  switch (s.state) {
    case 'ok':
      return { status: 'pass', ...facts };
    case 'stale':
      return {
        status: 'warn',
        reason: `the trust list is stale: fetched ${s.fetchedAt ?? 'never'}, refreshes have not replaced it`,
        ...facts,
      };
    case 'degraded':
      return {
        status: 'warn',
        reason: `the last trust-list refresh failed (${s.lastError?.code}: ${s.lastError?.message}); the last good list is in use`,
        ...facts,
      };
    case 'empty':
      return { status: 'fail', reason: `no trust list from ${s.source} has been loaded yet`, ...facts };
  }
}

export async function checkReadiness(sources: ReadinessSources): Promise<Readiness> {
  const checks = {
    storage: await storageCheck(sources.store, sources.storageTimeoutMs ?? 5_000),
    packages: packagesCheck(sources.validation()),
    issuerKeys: issuerKeysCheck(sources.issuerKeys, sources.now(), sources.keyMinValidityMs),
    trustList: trustListCheck(sources.trust),
  };
  const all = Object.values(checks).map((c) => c.status);
  const status = all.includes('fail') ? 'not-ready' : all.includes('warn') ? 'degraded' : 'ready';
  return { status, checks };
}
