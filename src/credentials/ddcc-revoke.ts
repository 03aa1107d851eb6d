/**
 * Revoke Health Certificate (DDCC IG): the registry and repository forget the document (ddcc-registry.ts:
 * DocumentReference entered-in-error, dropped from its Folder, document deleted) and the HCERT it carried goes on
 * this issuer's revocation list, so `$verify` answers revoked. One store transaction; revoking again is a no-op
 * that still answers true (the document is revoked).
 * http://smart.who.int/ddcc/transactions.html#revoke-health-certificate
 */
import type { DocumentReference } from '@medplum/fhirtypes';
import { fail } from '../fhir/outcome.ts';
import type { ResourceStore } from '../storage/store.ts';
import { unregisterDocument, URI_SYSTEM } from './ddcc-registry.ts';
import { revokeCredential } from './revocation.ts';

export interface RevokeDdccInput {
  /** The DDCC id (the document Bundle's id), or the id of the resource named by `target`. */
  ddccId: string;
  now: Date;
  requester: string;
  /** The instance the operation was called on, when it was (a DocumentReference names its document). */
  target?: { type?: string; id?: string };
}

export interface RevokedDdcc {
  revoked: boolean;
  /** false when the document had been revoked before. */
  changed: boolean;
  documentReferenceId: string;
}

const notFound = (text: string): never =>
  fail('not-found', { code: 'not-found', id: 'DDCC_DOCUMENT_NOT_FOUND', text, expression: 'id' });

/** The DDCC id a DocumentReference registered (its masterIdentifier `urn:uuid:<ddcc id>`). */
async function ddccIdOfReference(store: ResourceStore, id: string): Promise<string> {
  const read = await store.read('DocumentReference', id);
  const master = read.status === 'found' ? (read.resource as DocumentReference).masterIdentifier : undefined;
  if (master?.system !== URI_SYSTEM || !master.value?.startsWith('urn:uuid:'))
    return notFound(`DocumentReference/${id} registers no DDCC document of this server`);
  return master.value.slice('urn:uuid:'.length);
}

/**
 * @example await revokeHealthCertificate(store, { ddccId, now, requester: 'his-1' }) // → { revoked: true, changed: true, … }
 */
export async function revokeHealthCertificate(store: ResourceStore, input: RevokeDdccInput): Promise<RevokedDdcc> {
  if (input.target?.type === 'QuestionnaireResponse' && input.target.id)
    fail('invalid', {
      code: 'not-supported',
      id: 'DDCC_REVOKE_TARGET',
      text: 'A DDCC document is revoked by its DDCC id (QuestionnaireResponse/$revokeHealthCertificate with "id", or Bundle/{id}/$revokeHealthCertificate), not by the response it came from',
    });
  return store.transaction(async (tx) => {
    const ddccId =
      input.target?.type === 'DocumentReference' && input.target.id
        ? await ddccIdOfReference(tx, input.target.id)
        : input.ddccId;
    const done =
      (await unregisterDocument(tx, ddccId, input.now)) ?? notFound(`No DDCC document ${ddccId} was made here`);
    if (done.certificateId)
      await revokeCredential(tx, {
        credentialId: done.certificateId,
        reason: 'DDCC document revoked ($revokeHealthCertificate)',
        requester: input.requester,
        now: input.now,
      });
    return { revoked: true, changed: done.changed, documentReferenceId: done.documentReferenceId };
  });
}
