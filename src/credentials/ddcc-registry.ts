/**
 * The DDCC Registry and Repository sides of the IG's transactions, kept through the storage port as MHD resources:
 * - Store Health Certificate: the signed DDCC document Bundle, stored under its DDCC id;
 * - Register Health Certificate (ITI-65 Provide Document Bundle): a DocumentReference (DDCCDocumentReference)
 *   pointing at it, the DDCC Folder (List, one per paper certificate, identified by its HCID) listing it, and the
 *   SubmissionSet (List) recording the submission;
 * - Revoke Health Certificate: the DocumentReference becomes entered-in-error, the Folder drops it, the document
 *   is deleted from the repository.
 * Retrieval (ITI-66/67/68) is plain FHIR search and read of these resources.
 * http://smart.who.int/ddcc/transactions.html · https://profiles.ihe.net/ITI/MHD/ITI-65.html
 */
import type { Bundle, DocumentReference, List, ListEntry } from '@medplum/fhirtypes';
import type { ResourceStore } from '../storage/store.ts';
import { DDCC } from './mapping/vaccination.ts';
import { CREDENTIAL_ID_SYSTEM } from './revocation.ts';

/** Identifiers whose value is a URI: `urn:HCID:<hcid>` for a folder, `urn:uuid:<ddcc id>` for a document. */
export const URI_SYSTEM = 'urn:ietf:rfc:3986';
const MHD_LIST_TYPES = 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes';
const DESIGNATION_TYPE = 'https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType';
const FOLDER_DESIGNATION = 'http://smart.who.int/ddcc/CodeSystem/DDCCFolderDesignationTypeCodesystem';
export const DDCC_DOCUMENT_CONTENT_TYPE = 'application/fhir+json';

export const folderIdentifier = (hcid: string) => ({ system: URI_SYSTEM, value: `urn:HCID:${hcid}` });
export const documentIdentifier = (ddccId: string) => ({ system: URI_SYSTEM, value: `urn:uuid:${ddccId}` });

const list = (code: 'folder' | 'submissionset') => ({ coding: [{ system: MHD_LIST_TYPES, code }] });

async function searchOne<T>(store: ResourceStore, type: string, code: string, value: string): Promise<T | undefined> {
  const result = await store.search({
    resourceType: type,
    filters: [{ code, type: 'token', values: [{ kind: 'token', system: URI_SYSTEM, code: value }] }],
    sort: [],
    count: 1,
    offset: 0,
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
  });
  return result.resources[0] as T | undefined;
}

/** The DDCC Folder of a paper certificate (its HCID), if one was made. */
export function findFolder(store: ResourceStore, hcid: string): Promise<List | undefined> {
  return searchOne<List>(store, 'List', 'identifier', folderIdentifier(hcid).value);
}

/** The DocumentReference registered for a DDCC document (by DDCC id). */
export function findDocumentReference(store: ResourceStore, ddccId: string): Promise<DocumentReference | undefined> {
  return searchOne<DocumentReference>(store, 'DocumentReference', 'identifier', documentIdentifier(ddccId).value);
}

export interface RegisterInput {
  /** The signed document; its `id` is the DDCC id. */
  document: Bundle & { id: string };
  patientId: string;
  hcid: string;
  /** The UVCI of the HCERT the document carries: what revoking the document puts on the revocation list. */
  certificateId: string;
  now: Date;
  newUuid: () => string;
  /** The Folder already made for this HCID (found inside the same store transaction). */
  folder?: List;
}

export interface Registered {
  documentReferenceId: string;
  folderId: string;
  submissionSetId: string;
}

function documentReference(input: RegisterInput, id: string): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id,
    meta: { profile: [`${DDCC}DDCCDocumentReference`] },
    masterIdentifier: documentIdentifier(input.document.id),
    identifier: [documentIdentifier(input.document.id), { system: CREDENTIAL_ID_SYSTEM, value: input.certificateId }],
    status: 'current',
    subject: { reference: `Patient/${input.patientId}` },
    date: input.now.toISOString(),
    content: [
      {
        attachment: {
          contentType: DDCC_DOCUMENT_CONTENT_TYPE,
          url: `Bundle/${input.document.id}`,
          title: 'DDCC document',
        },
      },
    ],
  };
}

function folderFor(input: RegisterInput, id: string, entries: ListEntry[]): List {
  return {
    resourceType: 'List',
    id,
    meta: { profile: [`${DDCC}DDCCFolder`] },
    extension: [
      { url: DESIGNATION_TYPE, valueCodeableConcept: { coding: [{ system: FOLDER_DESIGNATION, code: 'ddcc' }] } },
    ],
    identifier: [folderIdentifier(input.hcid)],
    status: 'current',
    mode: 'working',
    code: list('folder'),
    subject: { reference: `Patient/${input.patientId}` },
    date: input.now.toISOString(),
    entry: entries,
  };
}

/**
 * Stores the document and registers it (ITI-65): DocumentReference, Folder (made or updated), SubmissionSet.
 * Call inside a store transaction so the four writes land together.
 * @example await registerDocument(tx, { document, patientId: 'p1', hcid: '123', now, newUuid: randomUUID })
 *   // → { documentReferenceId: '…', folderId: '…', submissionSetId: '…' }
 */
export async function registerDocument(store: ResourceStore, input: RegisterInput): Promise<Registered> {
  await store.update(input.document);
  const documentReferenceId = input.newUuid();
  await store.update(documentReference(input, documentReferenceId));
  const item = { item: { reference: `DocumentReference/${documentReferenceId}` } };
  const folderId = input.folder?.id ?? input.newUuid();
  const folder = input.folder
    ? { ...input.folder, date: input.now.toISOString(), entry: [...(input.folder.entry ?? []), item] }
    : folderFor(input, folderId, [item]);
  await store.update(folder);
  const submissionSetId = input.newUuid();
  await store.update({
    resourceType: 'List',
    id: submissionSetId,
    identifier: [{ system: URI_SYSTEM, value: `urn:uuid:${submissionSetId}` }],
    status: 'current',
    mode: 'working',
    code: list('submissionset'),
    subject: { reference: `Patient/${input.patientId}` },
    date: input.now.toISOString(),
    entry: [item, { item: { reference: `List/${folderId}` } }],
  });
  return { documentReferenceId, folderId, submissionSetId };
}

export interface Unregistered {
  /** false when the document had already been revoked (nothing changed). */
  changed: boolean;
  documentReferenceId: string;
  /** The UVCI of the HCERT the document carried. */
  certificateId: string | undefined;
}

/**
 * Revoke Health Certificate's registry side: DocumentReference entered-in-error, dropped from every Folder that
 * lists it, the document deleted from the repository. Undefined when no DocumentReference has this DDCC id.
 * @example await unregisterDocument(tx, ddccId, now) // → { changed: true, documentReferenceId: '…' }
 */
export async function unregisterDocument(
  store: ResourceStore,
  ddccId: string,
  now: Date,
): Promise<Unregistered | undefined> {
  const ref = await findDocumentReference(store, ddccId);
  if (!ref?.id) return undefined;
  const certificateId = ref.identifier?.find((i) => i.system === CREDENTIAL_ID_SYSTEM)?.value;
  if (ref.status === 'entered-in-error') return { changed: false, documentReferenceId: ref.id, certificateId };
  await store.update({ ...ref, status: 'entered-in-error' });
  const target = `DocumentReference/${ref.id}`;
  const folders = await store.search({
    resourceType: 'List',
    filters: [
      {
        code: 'item',
        type: 'reference',
        values: [{ kind: 'reference', resourceType: 'DocumentReference', id: ref.id }],
      },
    ],
    sort: [],
    count: 100,
    offset: 0,
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
  });
  for (const folder of folders.resources as List[]) {
    if (folder.code?.coding?.[0]?.code !== 'folder') continue;
    const entry = (folder.entry ?? []).filter((e) => e.item?.reference !== target);
    await store.update({ ...folder, date: now.toISOString(), entry });
  }
  const stored = await store.read('Bundle', ddccId);
  if (stored.status === 'found') await store.delete('Bundle', ddccId);
  return { changed: true, documentReferenceId: ref.id, certificateId };
}
