/**
 * How an SMART Health Link is kept through the storage port: one DocumentReference per link.
 * - id = hex SHA-256 of the link id (the secret in the manifest URL), so the stored record never reveals the URL
 *   and a REST reader of DocumentReferences cannot reach the manifest;
 * - content[0].attachment = the encrypted file (compact JWE, `application/jose`): the decryption key lives only in
 *   the `shlink:/` payload handed to the patient, never in storage;
 * - an extension holds flag, expiry, the scrypt hash of the passcode, the attempts left and short-lived file tickets;
 * - status `current` = active, `superseded` = disabled after too many wrong passcodes; revocation deletes the record.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html
 */
import { hash } from 'node:crypto';
import type { DocumentReference, Extension } from '@medplum/fhirtypes';
import type { ShlContentType } from '../formats/shl/jwe.ts';

export const SHL_EXTENSION = 'https://gdhcn-gateway.org/fhir/StructureDefinition/shl-link';

export interface ShlTicket {
  hash: string;
  exp: string;
  /** Which file (content[doc]) the ticket opens; absent = the first (a plain SHL holds one). */
  doc?: number;
}

export interface ShlLinkState {
  recordId: string;
  versionId: string | undefined;
  active: boolean;
  flag: string;
  exp: string | undefined;
  passcodeHash: string | undefined;
  attemptsRemaining: number | undefined;
  contentType: ShlContentType;
  /** The first file; `jwes` holds every file (a VHL folder may hold several documents). */
  jwe: string;
  jwes: string[];
  lastUpdated: string;
  tickets: ShlTicket[];
}

/**
 * Record id of a link id: hex SHA-256 (64 characters, a valid FHIR id).
 * @example recordIdOf(linkId) // 64 hex characters
 */
export function recordIdOf(linkId: string): string {
  return hash('sha256', linkId, 'hex');
}

/** SHA-256 of a file ticket (base64url): tickets are stored hashed, like passwords. */
export function hashTicket(ticket: string): string {
  return hash('sha256', ticket, 'base64url');
}

export interface NewLinkRecord {
  recordId: string;
  flag: string;
  exp?: Date;
  passcodeHash?: string;
  maxAttempts?: number;
  contentType: ShlContentType;
  jwe: string;
  label?: string;
  patientId?: string;
  source?: string;
  now: Date;
}

function stateExtension(
  s: Pick<ShlLinkState, 'flag' | 'exp' | 'passcodeHash' | 'attemptsRemaining' | 'contentType' | 'tickets'>,
): Extension {
  const ext: Extension[] = [
    { url: 'flag', valueString: s.flag || '-' },
    { url: 'contentType', valueCode: s.contentType },
  ];
  if (s.exp) ext.push({ url: 'exp', valueDateTime: s.exp });
  if (s.passcodeHash) ext.push({ url: 'passcodeHash', valueString: s.passcodeHash });
  if (s.attemptsRemaining !== undefined) ext.push({ url: 'attemptsRemaining', valueInteger: s.attemptsRemaining });
  for (const t of s.tickets)
    ext.push({
      url: 'ticket',
      extension: [
        { url: 'hash', valueString: t.hash },
        { url: 'exp', valueDateTime: t.exp },
        ...(t.doc !== undefined ? [{ url: 'doc', valueInteger: t.doc }] : []),
      ],
    });
  return { url: SHL_EXTENSION, extension: ext };
}

/**
 * The DocumentReference for a new link.
 * @example await store.update(newLinkRecord({ recordId, flag: 'P', contentType: 'application/fhir+json', jwe, now }))
 */
export function newLinkRecord(r: NewLinkRecord): DocumentReference {
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    id: r.recordId,
    extension: [
      stateExtension({
        flag: r.flag,
        exp: r.exp?.toISOString(),
        passcodeHash: r.passcodeHash,
        attemptsRemaining: r.passcodeHash ? r.maxAttempts : undefined,
        contentType: r.contentType,
        tickets: [],
      }),
    ],
    status: 'current',
    type: {
      coding: [{ system: 'https://gdhcn-gateway.org/fhir/CodeSystem/document-kind', code: 'smart-health-link' }],
    },
    date: r.now.toISOString(),
    content: [
      {
        attachment: {
          contentType: 'application/jose',
          data: Buffer.from(r.jwe).toString('base64'),
          creation: r.now.toISOString(),
        },
      },
    ],
  };
  if (r.label) doc.description = r.label;
  if (r.patientId) doc.subject = { reference: `Patient/${r.patientId}` };
  if (r.source) doc.context = { related: [{ reference: r.source }] };
  return doc;
}

/**
 * Reads the state back (undefined when the record is not a link record).
 * @example readLinkRecord(doc)?.attemptsRemaining
 */
export function readLinkRecord(doc: DocumentReference): ShlLinkState | undefined {
  const ext = doc.extension?.find((e) => e.url === SHL_EXTENSION)?.extension;
  const data = doc.content?.[0]?.attachment?.data;
  if (!ext || !data || !doc.id) return undefined;
  const get = (url: string) => ext.find((e) => e.url === url);
  const flag = get('flag')?.valueString;
  return {
    recordId: doc.id,
    versionId: doc.meta?.versionId,
    active: doc.status === 'current',
    flag: flag === '-' || flag === undefined ? '' : flag,
    exp: get('exp')?.valueDateTime,
    passcodeHash: get('passcodeHash')?.valueString,
    attemptsRemaining: get('attemptsRemaining')?.valueInteger,
    contentType: (get('contentType')?.valueCode ?? 'application/fhir+json') as ShlContentType,
    jwe: Buffer.from(data, 'base64').toString('utf8'),
    jwes: (doc.content ?? []).map((c) => Buffer.from(c.attachment?.data ?? '', 'base64').toString('utf8')),
    lastUpdated: doc.meta?.lastUpdated ?? doc.date ?? '',
    tickets: ext
      .filter((e) => e.url === 'ticket')
      .map((e) => {
        const doc = e.extension?.find((x) => x.url === 'doc')?.valueInteger;
        return {
          hash: e.extension?.find((x) => x.url === 'hash')?.valueString ?? '',
          exp: e.extension?.find((x) => x.url === 'exp')?.valueDateTime ?? '',
          ...(doc !== undefined ? { doc } : {}),
        };
      }),
  };
}

/**
 * The record with its state replaced (status and extension), everything else kept.
 * @example await tx.update(withState(doc, { ...state, active: false }), { ifMatch: state.versionId })
 */
export function withState(doc: DocumentReference, state: ShlLinkState): DocumentReference {
  const others = (doc.extension ?? []).filter((e) => e.url !== SHL_EXTENSION);
  return { ...doc, status: state.active ? 'current' : 'superseded', extension: [...others, stateExtension(state)] };
}
