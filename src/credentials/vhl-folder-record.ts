/**
 * How a VHL folder is kept (IHE ITI.VHL): the state lives on an SHL link record (shl-link-record.ts: a
 * DocumentReference whose id is the SHA-256 of the folder id, with the passcode hash, attempts, expiry, and one
 * encrypted document per `content[]`), plus a VHL extension naming the patient identifier the manifest URL carries,
 * the purposes of use the holder authorised and each document's metadata. A `List` (code folder) with the same
 * derived id is the operator's view of the folder: what it holds and whether it is current or retired.
 * https://profiles.ihe.net/ITI/VHL/ITI-YY3.html · https://profiles.ihe.net/ITI/MHD/StructureDefinition-IHE.MHD.Minimal.Folder.html
 */
import type { Coding, DocumentReference, Extension, List } from '@medplum/fhirtypes';
import type { ResourceStore } from '../storage/store.ts';

export const VHL_EXTENSION = 'https://gdhcn-gateway.org/fhir/StructureDefinition/vhl-folder';
/** MHD List types (folder, submissionset). */
export const MHD_LIST_TYPES = 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes';
export const LOINC = 'http://loinc.org';
/** LOINC Patient summary Document. */
export const IPS_DOCUMENT_CODE = '60591-5';

export interface VhlDocumentMeta {
  /** Content type of the decrypted document. */
  contentType: string;
  /** When the document was made (Bundle.timestamp or now). */
  date: string;
  title?: string;
}

export interface VhlFolderMeta {
  /** `system|value` as given at generation. */
  patientIdentifier: string;
  purposeOfUse: Coding[];
  documents: VhlDocumentMeta[];
  /** The holder's label. */
  label?: string;
}

/**
 * The VHL extension of a folder's link record.
 * @example record.extension.push(vhlExtension({ patientIdentifier: 'urn:oid:1.2|P1', purposeOfUse: [], documents }))
 */
export function vhlExtension(meta: VhlFolderMeta): Extension {
  return {
    url: VHL_EXTENSION,
    extension: [
      { url: 'patientIdentifier', valueString: meta.patientIdentifier },
      ...meta.purposeOfUse.map((c) => ({ url: 'purposeOfUse', valueCoding: c })),
      ...meta.documents.map((d) => ({
        url: 'document',
        extension: [
          { url: 'contentType', valueCode: d.contentType },
          { url: 'date', valueDateTime: d.date },
          ...(d.title ? [{ url: 'title', valueString: d.title }] : []),
        ],
      })),
      ...(meta.label ? [{ url: 'label', valueString: meta.label }] : []),
    ],
  };
}

/**
 * The VHL facts of a link record, or undefined when the record is a plain SHL.
 * @example readVhlMeta(doc)?.patientIdentifier // 'urn:oid:1.2|P1'
 */
export function readVhlMeta(doc: DocumentReference): VhlFolderMeta | undefined {
  const ext = doc.extension?.find((e) => e.url === VHL_EXTENSION)?.extension;
  const patientIdentifier = ext?.find((e) => e.url === 'patientIdentifier')?.valueString;
  if (!ext || patientIdentifier === undefined) return undefined;
  const label = ext.find((e) => e.url === 'label')?.valueString;
  return {
    patientIdentifier,
    purposeOfUse: ext.filter((e) => e.url === 'purposeOfUse').map((e) => e.valueCoding as Coding),
    documents: ext
      .filter((e) => e.url === 'document')
      .map((e) => {
        const part = (url: string) => e.extension?.find((x) => x.url === url);
        const title = part('title')?.valueString;
        return {
          contentType: part('contentType')?.valueCode ?? 'application/fhir+json',
          date: part('date')?.valueDateTime ?? '',
          ...(title ? { title } : {}),
        };
      }),
    ...(label ? { label } : {}),
  };
}

/**
 * The stored folder List: the operator's handle on a VHL (its id is the record id, never the folder id itself).
 * @example await store.update(folderList({ recordId, meta, patientId, now }))
 */
export function folderList(input: { recordId: string; meta: VhlFolderMeta; patientId?: string; now: Date }): List {
  const [system, value] = splitIdentifier(input.meta.patientIdentifier);
  return {
    resourceType: 'List',
    id: input.recordId,
    status: 'current',
    mode: 'working',
    code: { coding: [{ system: MHD_LIST_TYPES, code: 'folder' }] },
    ...(input.meta.label ? { title: input.meta.label } : {}),
    subject: input.patientId
      ? { reference: `Patient/${input.patientId}`, identifier: { system, value } }
      : { identifier: { system, value } },
    date: input.now.toISOString(),
    entry: [{ item: { reference: `DocumentReference/${input.recordId}` } }],
  };
}

/** `system|value` → [system, value] (the value may itself hold `|`). */
export function splitIdentifier(token: string): [string, string] {
  const bar = token.indexOf('|');
  return [token.slice(0, bar), token.slice(bar + 1)];
}

/**
 * Mark a folder's List retired (revocation); a missing List (a plain SHL record id) is left alone.
 * @example await retireFolder(store, recordId)
 */
export async function retireFolder(store: ResourceStore, recordId: string): Promise<void> {
  const read = await store.read('List', recordId);
  if (read.status !== 'found') return;
  const list = read.resource as List;
  if (list.status !== 'retired') await store.update({ ...list, status: 'retired' });
}
