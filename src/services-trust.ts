/**
 * Composition of the issuer keys and the trust list from the configuration (part of the composition root).
 * Without configured keys, development keys are made on first start in DATA_DIR/keys, and said loudly.
 */
import { join } from 'node:path';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { ensureDevKeys } from './trust/dev-keys.ts';
import { loadIssuerKeys, type IssuerKeySet } from './trust/issuer-keys.ts';
import { didWebFromUrl } from './trust/publish.ts';
import { readShcDirectoryFile } from './trust/shc-directory.ts';
import { createTrustListSync, startTrustListSchedule, type TrustListSync } from './trust/sync.ts';
import { trustSelf } from './trust/trust-self.ts';
import { loadTrustAnchor } from './trust/trustlist-proof.ts';
import { renewalStatus } from './trust/renewal.ts';
import { createRevocations, type Revocations } from './trust/revocations.ts';
import type { TrustSource } from './trust/read-source.ts';

export interface TrustServices {
  issuerKeys: IssuerKeySet;
  /** This issuer's DID (did:web of ISSUER_URL/trust), as its DID document names it. */
  did: string;
  trust: TrustListSync;
  /** Other issuers' revocation data (EU DCC batches, SHC CRLs). */
  revocations: Revocations;
  stop(): void;
}

export interface TrustOverrides {
  /** Keys made by the caller (tests reuse one set). */
  issuerKeys?: IssuerKeySet;
  /** The fetch the trust-list refresh uses; defaults to the global one. */
  fetch?: typeof fetch;
}

/** `dir` holds the development keys and the trust-list cache (DATA_DIR, or a throw-away folder in tests). */
export async function createTrustServices(
  config: Config,
  log: Logger,
  now: () => Date,
  dir: string,
  overrides: TrustOverrides = {},
): Promise<TrustServices> {
  const issuerKeys = overrides.issuerKeys ?? (await openIssuerKeys(config, log, now(), join(dir, 'keys')));
  for (const warning of issuerKeys.warnings) log.warn({ warning }, 'issuer keys');
  const renewal = renewalStatus(issuerKeys, now(), config.dscRenewalMarginMs);
  for (const d of renewal.due)
    log.warn(
      { kid: d.kid, notAfter: d.notAfter, daysLeft: d.daysLeft },
      `DSC ${d.state === 'expired' ? 'has expired' : 'is due for renewal'}: onboard a new DSC (both verify until the old one ends)`,
    );
  const did = didWebFromUrl(`${config.issuerUrl}/trust`);
  const source = config.trustListUrl
    ? { url: config.trustListUrl }
    : config.trustListFile
      ? { file: config.trustListFile }
      : undefined;
  const trust = createTrustListSync({
    source,
    fetch: overrides.fetch ?? globalThis.fetch,
    cacheFile: join(dir, 'trust', 'trustlist-cache.json'),
    maxBytes: config.trustListMaxBytes,
    maxAgeMs: config.trustListMaxAgeMs,
    now,
    logger: log,
    local: config.trustSelf ? await trustSelf(issuerKeys, { did, issuerUrl: config.issuerUrl }) : undefined,
    shcIssuers: config.shcDirectoryFile ? await shcDirectory(config.shcDirectoryFile, log) : undefined,
    anchor: config.trustListAnchor ? loadTrustAnchor(config.trustListAnchor) : undefined,
    references: { allow: config.trustListRefAllow, maxDepth: config.trustListRefMaxDepth },
    domains: config.trustListDomains,
  });
  if (source && !config.trustListAnchor)
    log.warn(
      { source: 'url' in source ? source.url : source.file },
      'TRUSTLIST_ANCHOR is not set: the trust list proof is not checked',
    );
  const asSource = (s: string): TrustSource => (/^https?:\/\//.test(s) ? { url: s } : { file: s });
  const revocations = createRevocations({
    dccSources: config.revocationDccSources.map(asSource),
    shcSources: config.revocationShcSources.map(asSource),
    fetch: overrides.fetch ?? globalThis.fetch,
    maxBytes: config.trustListMaxBytes,
    cacheFile: join(dir, 'revocations.json'),
    now,
    logger: log,
    trustsDccKid: (kid, country) => trust.lookupByKid(kid, { country }).candidates.some((c) => c.verdict.ok),
    trustsShcKey: (iss, kid) => trust.lookupShc(iss, kid).key !== undefined,
    ...(config.revocationShcAuto ? { shcCrlKeys: () => shcKeysWithCrl(trust) } : {}),
  });
  const withRevocations =
    config.revocationDccSources.length + config.revocationShcSources.length > 0 || config.revocationShcAuto;
  // Revocation data is refreshed after the trust list, whose kids it is checked against.
  const refreshAll = {
    refresh: async () => {
      const result = source ? await trust.refresh() : { ok: true as const, counts: trust.list().counts() };
      if (withRevocations) await revocations.refresh();
      return result;
    },
  };
  const schedule =
    source || withRevocations
      ? startTrustListSchedule(refreshAll, { intervalMs: config.trustListRefreshMs, runNow: true })
      : undefined;
  log.info(
    { source: source ? ('url' in source ? source.url : source.file) : 'none', trustSelf: config.trustSelf, did },
    'trust list ready',
  );
  return { issuerKeys, did, trust, revocations, stop: () => schedule?.stop() };
}

async function openIssuerKeys(config: Config, log: Logger, now: Date, devDir: string): Promise<IssuerKeySet> {
  if (config.issuerCscaCert) {
    return loadIssuerKeys({
      cscaCertPath: config.issuerCscaCert,
      dscCertPaths: config.issuerDscCerts,
      dscKeyPaths: config.issuerDscKeys,
      shcKeyPath: config.issuerShcKey,
      shcCertPath: config.issuerShcCert,
      shcRetiredPaths: config.issuerShcRetiredKeys,
      now,
    });
  }
  const paths = await ensureDevKeys({ dir: devDir, country: config.issuerCountry, now });
  // Said loudly once at start by the ATTENTION line (startup-notes.ts); the detail is here.
  log.info(
    { dir: devDir, generated: paths.generated },
    'DEVELOPMENT KEYS: signing with a self-made CSCA/DSC that no GDHCN verifier trusts; configure ISSUER_CSCA_CERT, ISSUER_DSC_CERTS and ISSUER_DSC_KEYS for real use',
  );
  return loadIssuerKeys({ ...paths, now });
}

/** Trusted SHC keys that say they publish a CRL (`crlVersion` in their JWK), except our own: we serve that one. */
function shcKeysWithCrl(trust: TrustListSync): { iss: string; kid: string }[] {
  return trust
    .list()
    .shcKeys()
    .filter((k) => k.source !== 'self' && typeof (k.jwk as { crlVersion?: unknown }).crlVersion === 'number')
    .map((k) => ({ iss: k.iss, kid: k.kid }));
}

async function shcDirectory(path: string, log: Logger) {
  const directory = await readShcDirectoryFile(path);
  for (const problem of directory.problems) log.warn({ problem }, 'SHC issuer directory');
  return directory.issuers;
}
