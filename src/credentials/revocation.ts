/**
 * This issuer's revocation list: a revoked credential is a `Basic` resource (code `revoked`) whose identifier is
 * the credential id (HCERT UVCI / HCID, SMART Health Card `rid`). Revoking is idempotent (conditional create on that identifier), and the
 * list answers only for credentials this server issued: for another issuer it has nothing to say, and `$verify`
 * reports the check as skipped rather than as a pass.
 */
import type { Basic } from '@medplum/fhirtypes';
import type { SearchQuery } from '../fhir/search/query.ts';
import type { ResourceStore } from '../storage/store.ts';
import type { RevocationCheck } from './verify-options.ts';

export const CREDENTIAL_ID_SYSTEM = 'https://gdhcn-gateway.org/fhir/NamingSystem/credential-id';
const STATUS_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/credential-status';

function byCredentialId(credentialId: string): SearchQuery {
  return {
    resourceType: 'Basic',
    filters: [
      { code: 'identifier', type: 'token', values: [{ kind: 'token', system: CREDENTIAL_ID_SYSTEM, code: credentialId }] },
      { code: 'code', type: 'token', values: [{ kind: 'token', system: STATUS_SYSTEM, code: 'revoked' }] },
    ],
    sort: [],
    count: 1,
    offset: 0,
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
  };
}

export interface RevocationInput {
  credentialId: string;
  reason?: string;
  requester: string;
  now: Date;
}

/**
 * Put a credential on this issuer's revocation list. Returns the entry and whether it was already there.
 * @example await revokeCredential(store, { credentialId: 'URN:UVCI:01:XX:…', reason: 'issued in error', requester: 'his-1', now })
 */
export async function revokeCredential(store: ResourceStore, input: RevocationInput): Promise<{ entry: Basic; alreadyRevoked: boolean }> {
  const entry: Basic = {
    resourceType: 'Basic',
    identifier: [{ system: CREDENTIAL_ID_SYSTEM, value: input.credentialId }],
    code: { coding: [{ system: STATUS_SYSTEM, code: 'revoked', display: 'Revoked credential' }], ...(input.reason ? { text: input.reason } : {}) },
    created: input.now.toISOString().slice(0, 10),
    author: { display: input.requester },
  };
  const result = await store.create(entry, { ifNoneExist: byCredentialId(input.credentialId) });
  return { entry: result.resource as Basic, alreadyRevoked: result.outcome === 'existing' };
}

/**
 * The revocation source `$verify` uses: answers for HCERTs of this issuer's country signed with one of its kids, and
 * for SMART Health Cards with our `iss` and SHC kid (by their `rid`).
 * @example verifyCredential(hc1, { ...options, isRevoked: revocationSource(store, { country: 'XX', kids: () => ['RbhGBRNho78='] }) })
 */
export function revocationSource(store: ResourceStore, own: { country: string; kids: () => readonly string[]; shc?: { iss: string; kid: string } }): RevocationCheck {
  return async ({ format, issuer, kid, credentialId }) => {
    if (!credentialId || kid === undefined) return undefined;
    const ours = format === 'shc' ? own.shc !== undefined && issuer === own.shc.iss && kid === own.shc.kid : issuer === own.country && own.kids().includes(kid);
    if (!ours) return undefined;
    const found = await store.search(byCredentialId(credentialId));
    return found.resources.length > 0;
  };
}
