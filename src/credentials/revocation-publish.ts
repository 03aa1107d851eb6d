/**
 * Our revocations in the shapes other verifiers import: an SMART Health Card CRL per SHC kid
 * (`/.well-known/crl/{kid}.json`: `{ kid, method: "rid", ctr, rids }`, https://spec.smarthealth.cards/#revocation)
 * and our HCERT revocations as an EU DCC revocation batch per DSC kid (hashType UCI: the first 16 bytes of
 * SHA-256 of each revoked certificate id, base64). Only hashes and rids are published, never a credential id.
 * `ctr` is the number of revoked entries: it only grows, since un-revoking is not offered on the wire.
 */
import type { Basic } from '@medplum/fhirtypes';
import type { ResourceStore } from '../storage/store.ts';
import { dccHash, type DccBatch } from '../trust/revocations.ts';
import { CREDENTIAL_ID_SYSTEM } from './revocation.ts';

const STATUS_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/credential-status';
const RID = /^[\w-]{1,64}$/;

/** Every credential id on our list (bounded page size; the list is small by nature). */
export async function revokedCredentialIds(store: ResourceStore, max = 100_000): Promise<string[]> {
  const result = await store.search({
    resourceType: 'Basic',
    filters: [{ code: 'code', type: 'token', values: [{ kind: 'token', system: STATUS_SYSTEM, code: 'revoked' }] }],
    sort: [],
    count: max,
    offset: 0,
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
  });
  return (result.resources as Basic[])
    .flatMap((b) => b.identifier?.filter((i) => i.system === CREDENTIAL_ID_SYSTEM).map((i) => i.value ?? '') ?? [])
    .filter(Boolean);
}

/** The SHC CRL of `kid`: the revoked ids that are rids. */
export function buildShcCrl(
  kid: string,
  ids: readonly string[],
): { kid: string; method: 'rid'; ctr: number; rids: string[] } {
  const rids = ids.filter((id) => RID.test(id)).sort();
  return { kid, method: 'rid', ctr: Math.max(1, rids.length), rids };
}

/** One EU DCC batch (hashType UCI) per DSC kid of our country. */
export function buildDccBatches(
  country: string,
  kids: readonly string[],
  ids: readonly string[],
  expires: Date,
): DccBatch[] {
  const hashes = ids
    .filter((id) => !RID.test(id))
    .map((uci) => ({ hash: dccHash('UCI', { uci })!.toString('base64') }));
  return kids.map((kid) => ({ country, kid, hashType: 'UCI', expires: expires.toISOString(), entries: hashes }));
}
