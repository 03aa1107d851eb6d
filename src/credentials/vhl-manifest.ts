/**
 * ITI-YY5 Retrieve Manifest, the VHL Sharer's side: a List search naming the folder (`_id`), `code=folder`,
 * `status=current` and `patient.identifier`, with the SHL parameters `recipient`, `passcode`, `embeddedLengthMax`.
 * The answer is a searchset Bundle: the folder List (search.mode match) and, with `_include=List:item` (we support
 * the Include DocumentReference Option), its DocumentReferences (mode include) whose attachment.url is a short-lived
 * location of the encrypted document (ITI-68 style GET answering `application/jose`).
 * Errors as the profile's table: 400 malformed, 403 expired / revoked / disabled, 404 no such folder (also for a
 * patient identifier that does not match: nothing tells a guesser which part was wrong), 422 passcode missing or wrong.
 * https://profiles.ihe.net/ITI/VHL/ITI-YY5.html
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { Bundle, DocumentReference, List } from '@medplum/fhirtypes';
import { OutcomeError, fail, issue } from '../fhir/outcome.ts';
import { buildVhlManifestUrl } from '../formats/shl/vhlink.ts';
import { readLinkRecord, recordIdOf } from './shl-link-record.ts';
import { issueFileTickets, passManifestGate, ShlPasscodeError, type ShlContext } from './shl-links.ts';
import {
  IPS_DOCUMENT_CODE,
  LOINC,
  MHD_LIST_TYPES,
  readVhlMeta,
  splitIdentifier,
  type VhlFolderMeta,
} from './vhl-folder-record.ts';

export interface VhlManifestRequest {
  folderId: string;
  code: string;
  status: string;
  patientIdentifier: string;
  include: boolean;
  recipient: string;
  passcode?: string;
}

export interface VhlManifestAnswer {
  bundle: Bundle;
  /** The folder's record id (what the audit trail names; never the folder id). */
  recordId: string;
}

const FOLDER_ID = /^[0-9a-f]{64}$/;

function notFound(): never {
  return fail('not-found', {
    code: 'not-found',
    id: 'VHL_FOLDER_NOT_FOUND',
    text: 'No current VHL folder matches these search parameters',
  });
}

/** Equal in constant time (over digests, so lengths do not leak either). */
function sameText(a: string, b: string): boolean {
  const h = (s: string) => hash('sha256', s, 'buffer');
  return timingSafeEqual(h(a), h(b));
}

async function loadFolder(
  shl: ShlContext,
  request: VhlManifestRequest,
): Promise<{ recordId: string; meta: VhlFolderMeta; doc: DocumentReference }> {
  if (!FOLDER_ID.test(request.folderId)) notFound();
  const recordId = recordIdOf(request.folderId);
  const read = await shl.store.read('DocumentReference', recordId);
  if (read.status === 'deleted')
    fail('forbidden', { code: 'forbidden', id: 'VHL_REVOKED', text: 'This VHL was revoked by its holder or sharer' });
  const doc = read.status === 'found' ? (read.resource as DocumentReference) : undefined;
  const meta = doc && readVhlMeta(doc);
  // Every comparison runs before the verdict, so a wrong identifier costs the same as a wrong folder id.
  const identifierOk = sameText(meta?.patientIdentifier ?? '', request.patientIdentifier);
  if (!doc || !meta || !identifierOk || request.code !== 'folder' || request.status !== 'current') notFound();
  const list = await shl.store.read('List', recordId);
  if (list.status !== 'found' || (list.resource as List).status !== 'current')
    fail('forbidden', { code: 'forbidden', id: 'VHL_REVOKED', text: 'This VHL folder was retired' });
  return { recordId, meta, doc };
}

/** SHL gate errors in the profile's terms: a passcode problem is 422, an unusable link 403. */
async function gate(shl: ShlContext, request: VhlManifestRequest, now: Date): Promise<void> {
  try {
    await passManifestGate(shl, request.folderId, request.passcode, now);
  } catch (e) {
    if (e instanceof ShlPasscodeError) {
      const missing = request.passcode === undefined;
      throw new OutcomeError(
        'unprocessable',
        issue({
          code: 'invalid',
          id: missing ? 'VHL_PASSCODE_MISSING' : 'VHL_PASSCODE_INVALID',
          text: `${missing ? 'This VHL needs a passcode' : 'The passcode is wrong'}; ${e.remainingAttempts} attempt(s) left`,
        }),
      );
    }
    const id = e instanceof OutcomeError ? e.outcome.issue?.[0]?.details?.coding?.[0]?.code : undefined;
    if (id === 'SHL_EXPIRED') fail('forbidden', { code: 'expired', id: 'VHL_EXPIRED', text: 'This VHL has expired' });
    if (id === 'SHL_DISABLED')
      fail('forbidden', {
        code: 'forbidden',
        id: 'VHL_DISABLED',
        text: 'This VHL was disabled after too many wrong passcodes',
      });
    throw e;
  }
}

function documentView(input: {
  recordId: string;
  index: number;
  meta: VhlFolderMeta;
  location: string;
}): DocumentReference {
  const d = input.meta.documents[input.index];
  const [system, value] = splitIdentifier(input.meta.patientIdentifier);
  return {
    resourceType: 'DocumentReference',
    id: hash('sha256', `${input.recordId}/${input.index}`, 'hex'),
    status: 'current',
    type: { coding: [{ system: LOINC, code: IPS_DOCUMENT_CODE, display: 'Patient summary Document' }] },
    subject: { identifier: { system, value } },
    ...(d?.date ? { date: d.date } : {}),
    ...(d?.title ? { description: d.title } : {}),
    content: [{ attachment: { contentType: d?.contentType ?? 'application/fhir+json', url: input.location } }],
  };
}

/**
 * Answer one Retrieve Manifest request. Throws OutcomeErrors 403 VHL_REVOKED / VHL_EXPIRED / VHL_DISABLED,
 * 404 VHL_FOLDER_NOT_FOUND, 422 VHL_PASSCODE_MISSING / VHL_PASSCODE_INVALID.
 * @example const { bundle } = await answerVhlManifest(shl, { folderId, code: 'folder', status: 'current', patientIdentifier, include: true, recipient: 'Clinic A' }, { fhirBase, now })
 * @see https://profiles.ihe.net/ITI/VHL/ITI-YY5.html
 */
export async function answerVhlManifest(
  shl: ShlContext,
  request: VhlManifestRequest,
  options: { fhirBase: string; now: Date },
): Promise<VhlManifestAnswer> {
  const { recordId, meta, doc } = await loadFolder(shl, request);
  await gate(shl, request, options.now);
  const state = readLinkRecord(doc);
  const docs = (state?.jwes ?? []).map((_, i) => i);
  const tickets = request.include ? await issueFileTickets(shl, request.folderId, docs, options.now) : [];
  const shlBase = shl.shlBaseUrl.replace(/\/+$/, '');
  const views = tickets.map((t, index) =>
    documentView({ recordId, index, meta, location: `${shlBase}/${request.folderId}/file/${t}` }),
  );
  const base = options.fhirBase.replace(/\/+$/, '');
  const [system, value] = splitIdentifier(meta.patientIdentifier);
  const list: List = {
    resourceType: 'List',
    id: request.folderId,
    status: 'current',
    mode: 'working',
    code: { coding: [{ system: MHD_LIST_TYPES, code: 'folder' }] },
    ...(meta.label ? { title: meta.label } : {}),
    subject: { identifier: { system, value } },
    ...(doc.date ? { date: doc.date } : {}),
    entry: docs.map((i) => ({
      item: {
        reference: `DocumentReference/${hash('sha256', `${recordId}/${i}`, 'hex')}`,
      },
    })),
  };
  return {
    recordId,
    bundle: {
      resourceType: 'Bundle',
      type: 'searchset',
      // FHIR counts matches only (the List); included DocumentReferences are not part of `total`.
      total: 1,
      link: [
        {
          relation: 'self',
          url: buildVhlManifestUrl({
            base,
            folderId: request.folderId,
            patientIdentifier: request.patientIdentifier,
            include: request.include,
          }),
        },
      ],
      entry: [
        { fullUrl: `${base}/List/${request.folderId}`, resource: list, search: { mode: 'match' } },
        ...views.map((v) => ({
          fullUrl: `${base}/DocumentReference/${v.id}`,
          resource: v,
          search: { mode: 'include' as const },
        })),
      ],
    },
  };
}
