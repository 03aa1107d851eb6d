/**
 * One issuer for the credential tests: real development keys (generateDevKeys), the shared IG packages, the real
 * validator, SQLite :memory: behind the storage port, and a trust list holding our own keys as a peer would see them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createValidator } from '../../../src/validation/validator.ts';
import { credentialTerminology } from '../../../src/credentials/mapping/terminology.ts';
import { NODE_RANDOMNESS, type IssuerContext, type ValidateFn } from '../../../src/credentials/issuer-context.ts';
import { trustLookupsFromList, type TrustLookups } from '../../../src/credentials/trust-lookups.ts';
import type { ShlContext } from '../../../src/credentials/shl-links.ts';
import { generateDevKeys } from '../../../src/trust/dev-keys.ts';
import { loadIssuerKeys, type IssuerKeySet } from '../../../src/trust/issuer-keys.ts';
import { trustSelf } from '../../../src/trust/trust-self.ts';
import { buildTrustList } from '../../../src/trust/trust-list.ts';
import { createSqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import type { ResourceStore } from '../../../src/storage/store.ts';
import { sharedPackages } from '../validation/shared-packages.ts';
import { ISSUER_ORG } from './fixtures.ts';

export const NOW = new Date('2026-06-01T00:00:00Z');
export const ISSUER_URL = 'https://issuer.test';
export const YEAR = 365 * 86_400;

export interface Harness {
  ctx: IssuerContext;
  shl: ShlContext;
  keys: IssuerKeySet;
  store: ResourceStore;
  validate: ValidateFn;
  /** A trust list holding our own DID document and SHC JWKS. */
  trust: TrustLookups;
  /** A trust list that knows nothing of us. */
  emptyTrust: TrustLookups;
}

export async function makeKeys(country = 'XX', now = NOW): Promise<IssuerKeySet> {
  const paths = await generateDevKeys({ dir: mkdtempSync(join(tmpdir(), 'cred-keys-')), country, now });
  return loadIssuerKeys({ ...paths, now });
}

export async function makeHarness(options: { keys?: IssuerKeySet } = {}): Promise<Harness> {
  const keys = options.keys ?? (await makeKeys());
  const packages = await sharedPackages();
  const validator = createValidator(packages);
  const validate: ValidateFn = (resource, profile) => validator.validate(resource, { profile });
  const store = createSqliteStore({ path: ':memory:', now: () => NOW });
  const self = await trustSelf(keys, { did: 'did:web:issuer.test:trust', issuerUrl: ISSUER_URL });
  const trust = trustLookupsFromList(
    buildTrustList({ documents: self.documents, shcIssuers: self.shcIssuers, now: NOW }),
  );
  const emptyTrust = trustLookupsFromList(buildTrustList({ documents: [], now: NOW }));
  const ctx: IssuerContext = {
    keys,
    terminology: credentialTerminology(packages),
    organization: ISSUER_ORG,
    store,
    validate,
    trust,
    shcIssuerUrl: ISSUER_URL,
    ...NODE_RANDOMNESS,
  };
  const shl: ShlContext = { store, shlBaseUrl: `${ISSUER_URL}/shl`, randomBytes: NODE_RANDOMNESS.randomBytes };
  return { ctx, shl, keys, store, validate, trust, emptyTrust };
}
