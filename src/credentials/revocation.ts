/**
 * This issuer's revocation list: a revoked credential is a `Basic` resource (code `revoked`) whose identifier is
 * the credential id (HCERT UVCI / HCID, SMART Health Card `rid`). Revoking is idempotent (the entry's id derives
 * from the credential id); deleting the entry un-revokes. The list answers only for credentials this server issued:
 * for another issuer it has nothing to say, and `$verify` reports the check as skipped rather than as a pass.
 */
import type { Basic } from '@medplum/fhirtypes';
import { hash } from 'node:crypto';
import type { ResourceStore } from '../storage/store.ts';
import type { RevocationCheck } from './verify-options.ts';

export const CREDENTIAL_ID_SYSTEM = 'https://gdhcn-gateway.org/fhir/NamingSystem/credential-id';
export const STATUS_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/credential-status';

/**
 * The entry's id is derived from the credential id, so `$verify` asks with a read by primary key (a search per
 * verification cost about a third of `$verify`'s CPU) and revoking twice lands on the same entry.
 */
export function revocationEntryId(credentialId: string): string {
  return hash('sha256', credentialId, 'hex');
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
export async function revokeCredential(
  store: ResourceStore,
  input: RevocationInput,
): Promise<{ entry: Basic; alreadyRevoked: boolean }> {
  const id = revocationEntryId(input.credentialId);
  const existing = await store.read('Basic', id);
  if (existing.status === 'found') return { entry: existing.resource as Basic, alreadyRevoked: true };
  const entry: Basic = {
    resourceType: 'Basic',
    id,
    identifier: [{ system: CREDENTIAL_ID_SYSTEM, value: input.credentialId }],
    code: {
      coding: [{ system: STATUS_SYSTEM, code: 'revoked', display: 'Revoked credential' }],
      ...(input.reason ? { text: input.reason } : {}),
    },
    created: input.now.toISOString().slice(0, 10),
    author: { display: input.requester },
  };
  const written = await store.update(entry);
  return { entry: written.resource as Basic, alreadyRevoked: false };
}

/**
 * Takes a credential off the revocation list (`$unrevoke-credential`); false when it was not on it.
 * @example await unrevokeCredential(store, 'URN:UVCI:01:XX:…') // true
 */
export async function unrevokeCredential(store: ResourceStore, credentialId: string): Promise<boolean> {
  const id = revocationEntryId(credentialId);
  if ((await store.read('Basic', id)).status !== 'found') return false;
  await store.delete('Basic', id);
  return true;
}

/**
 * The revocation source `$verify` uses: answers for HCERTs of this issuer's country signed with one of its kids, and
 * for SMART Health Cards with our `iss` and SHC kid (by their `rid`).
 * @example verifyCredential(hc1, { ...options, isRevoked: revocationSource(store, { country: 'XX', kids: () => ['RbhGBRNho78='] }) })
 */
export function revocationSource(
  store: ResourceStore,
  own: { country: string; kids: () => readonly string[]; shc?: { iss: string; kid: string } },
): RevocationCheck {
  return async ({ format, issuer, kid, credentialId }) => {
    if (!credentialId || kid === undefined) return undefined;
    const ours =
      format === 'shc'
        ? own.shc !== undefined && issuer === own.shc.iss && kid === own.shc.kid
        : issuer === own.country && own.kids().includes(kid);
    if (!ours) return undefined;
    return (await store.read('Basic', revocationEntryId(credentialId))).status === 'found';
  };
}
