/**
 * Every issuance leaves a Provenance resource: who asked, what was signed (targets and source records), with which
 * kid, when, and the credential's id and expiry, so credentials can be listed per patient and audited.
 * https://hl7.org/fhir/R4/provenance.html
 */
import { hash } from 'node:crypto';
import type { Provenance, Reference } from '@medplum/fhirtypes';
import type { ResourceStore } from '../storage/store.ts';

export type CredentialFormat = 'hcert' | 'shc' | 'shl' | 'vhl';

export const ISSUANCE_EXTENSION = 'https://gdhcn-gateway.org/fhir/StructureDefinition/credential-issuance';
const FORMAT_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/credential-format';

export interface IssuanceRecord {
  format: CredentialFormat;
  patientId: string | undefined;
  /** Records the credential was made from, as `Type/id` (Immunization/…, Bundle/…). */
  sources: readonly string[];
  /** Who asked (client id, user, system name). */
  requester: string;
  /** Signing key id (HCERT kid, SHC kid); absent for an SHL without a signature. */
  kid?: string;
  /** Certificate id (UVCI / HCID), SHL link id hash, or the SHC's first 16 signature characters. */
  credentialId: string;
  issuedAt: Date;
  expiresAt?: Date;
}

export interface CredentialSummary extends IssuanceRecord {
  provenanceId: string;
}

function sub(url: string, value: string | undefined): { url: string; valueString: string }[] {
  return value === undefined ? [] : [{ url, valueString: value }];
}

/**
 * The Provenance resource for one issuance (not yet stored).
 * @example issuanceProvenance({ format: 'shc', patientId: 'p1', sources: [], requester: 'wallet', credentialId: 'x', issuedAt: now })
 */
export function issuanceProvenance(r: IssuanceRecord): Provenance {
  const target: Reference[] = [
    ...(r.patientId ? [{ reference: `Patient/${r.patientId}` }] : []),
    ...r.sources.map((s) => ({ reference: s })),
  ];
  return {
    resourceType: 'Provenance',
    target: target.length > 0 ? target : [{ display: r.credentialId }],
    recorded: r.issuedAt.toISOString(),
    activity: { coding: [{ system: FORMAT_SYSTEM, code: r.format }], text: `issue ${r.format}` },
    agent: [
      {
        type: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }],
        },
        who: { display: r.requester },
      },
    ],
    entity: r.sources.map((s) => ({ role: 'source' as const, what: { reference: s } })),
    extension: [
      {
        url: ISSUANCE_EXTENSION,
        extension: [
          ...sub('format', r.format),
          ...sub('kid', r.kid),
          ...sub('credentialId', r.credentialId),
          ...(r.expiresAt ? [{ url: 'expiresAt', valueDateTime: r.expiresAt.toISOString() }] : []),
        ] as never,
      },
    ],
  };
}

/**
 * Store the Provenance of one issuance through the storage port.
 * @example await recordIssuance(store, { format: 'hcert', patientId: 'p1', sources: ['Immunization/i1'], requester: 'client-a', kid, credentialId, issuedAt: now })
 */
export async function recordIssuance(store: ResourceStore, record: IssuanceRecord): Promise<Provenance> {
  const { resource } = await store.create(issuanceProvenance(record), {
    id: issuanceProvenanceId(record.credentialId),
  });
  return resource as Provenance;
}

/**
 * The Provenance id of an issuance derives from the credential id (random, server-made), so "did we issue this?"
 * is a read by primary key (`$revoke-credential` refuses ids it never issued).
 * @example issuanceProvenanceId('URN:UVCI:01:XX:…') // 64 hex characters
 */
export function issuanceProvenanceId(credentialId: string): string {
  return hash('sha256', `issuance|${credentialId}`, 'hex');
}

/**
 * The issuance of a credential id, when this server made it.
 * @example (await findIssuance(store, certificateId))?.format // 'hcert'
 */
export async function findIssuance(store: ResourceStore, credentialId: string): Promise<CredentialSummary | undefined> {
  const found = await store.read('Provenance', issuanceProvenanceId(credentialId));
  return found.status === 'found' ? readRecord(found.resource as Provenance) : undefined;
}

function readRecord(p: Provenance): CredentialSummary | undefined {
  const ext = p.extension?.find((e) => e.url === ISSUANCE_EXTENSION)?.extension ?? [];
  const get = (url: string): string | undefined => ext.find((e) => e.url === url)?.valueString;
  const format = get('format') as CredentialFormat | undefined;
  const credentialId = get('credentialId');
  if (!format || !credentialId || !p.id) return undefined;
  const patientRef = p.target.find((t) => t.reference?.startsWith('Patient/'))?.reference;
  const expires = ext.find((e) => e.url === 'expiresAt')?.valueDateTime;
  const out: CredentialSummary = {
    provenanceId: p.id,
    format,
    patientId: patientRef?.slice('Patient/'.length),
    sources: (p.entity ?? []).map((e) => e.what.reference ?? '').filter(Boolean),
    requester: p.agent[0]?.who.display ?? '',
    credentialId,
    issuedAt: new Date(p.recorded),
  };
  const kid = get('kid');
  if (kid) out.kid = kid;
  if (expires) out.expiresAt = new Date(expires);
  return out;
}

/**
 * Credentials issued for a patient, newest first (from their Provenance records).
 * @example (await listCredentials(store, 'p1')).map((c) => c.format)
 */
export async function listCredentials(
  store: ResourceStore,
  patientId: string,
  options: { max?: number } = {},
): Promise<CredentialSummary[]> {
  const result = await store.search({
    resourceType: 'Provenance',
    filters: [
      { code: 'target', type: 'reference', values: [{ kind: 'reference', resourceType: 'Patient', id: patientId }] },
    ],
    sort: [],
    count: options.max ?? 100,
    offset: 0,
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
  });
  return (result.resources as Provenance[])
    .map(readRecord)
    .filter((r): r is CredentialSummary => r !== undefined)
    .sort((a, b) => b.issuedAt.getTime() - a.issuedAt.getTime());
}
