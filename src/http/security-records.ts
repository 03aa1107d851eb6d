/**
 * Security records are not ordinary data. Revocation entries (Basic), issuance Provenance, AuditEvents, SMART
 * Health Link records (DocumentReference) and VHL folders (List, ids derived by SHA-256) change only through their operations ($revoke-credential, issuance,
 * link access), never through plain FHIR create/update/delete, whatever scopes the caller holds; and the secrets a
 * link record keeps (passcode hash, file-ticket hashes) never leave through read, search or history.
 * `$issue-hcert-bulk` jobs (Task) and their output files (Binary), ids `bulk-…`, are not even readable through plain
 * FHIR: they hold other people's credentials, and only the client that started a job reads them, through the
 * operation's status and file URLs. Read, vread and history answer 404 as for an unknown id, and searches and
 * histories leave them out.
 */
import type { Bundle, BundleEntry, DocumentReference, Resource } from '@medplum/fhirtypes';
import { BULK_JOB_CODE, BULK_JOB_SYSTEM, isBulkRecord } from '../credentials/bulk-job-record.ts';
import type { SearchFilter } from '../fhir/search/query.ts';
import { CREDENTIAL_ID_SYSTEM, STATUS_SYSTEM } from '../credentials/revocation.ts';
import { SHL_EXTENSION } from '../credentials/shl-link-record.ts';
import { fail } from '../fhir/outcome.ts';
import type { FhirRequest, FhirResponse } from './fhir-request.ts';

/** Written only by the server's own operations. */
const SERVER_ONLY = new Set(['AuditEvent', 'Provenance']);
/** Revocation entries and link records have ids derived by SHA-256 (64 hex); server-assigned ids are UUIDs. */
const DERIVED_ID = /^[0-9a-f]{64}$/;
const SECRET_PARTS = new Set(['passcodeHash', 'ticket']);

function refuse(type: string, why: string): never {
  return fail('forbidden', {
    code: 'forbidden',
    id: 'SECURITY_RECORD_READ_ONLY',
    text: `${type} ${why} changes only through its operation, not through plain FHIR writes`,
  });
}

function carriesMarker(body: unknown): boolean {
  const r = body as {
    identifier?: Array<{ system?: string }>;
    code?: { coding?: Array<{ system?: string }> };
    extension?: Array<{ url?: string }>;
  } | null;
  if (!r || typeof r !== 'object') return false;
  return Boolean(
    r.identifier?.some?.((i) => i?.system === CREDENTIAL_ID_SYSTEM) ||
      r.code?.coding?.some?.((c) => c?.system === STATUS_SYSTEM) ||
      r.extension?.some?.((e) => e?.url === SHL_EXTENSION),
  );
}

const isBulkTask = (body: unknown): boolean =>
  Boolean(
    (body as { code?: { coding?: Array<{ system?: string }> } } | null)?.code?.coding?.some?.(
      (c) => c?.system === BULK_JOB_SYSTEM,
    ),
  );

/** Throws 403 when a plain write (create, update, patch, delete) would touch a security record. */
export function guardSecurityRecord(req: FhirRequest, type: string, id?: string): void {
  if (SERVER_ONLY.has(type)) refuse(type, 'is a security record: it');
  if (isBulkRecord(type, id) || (type === 'Task' && isBulkTask(req.body)))
    refuse(type, 'looks like a bulk issuance job record, which');
  if (type !== 'Basic' && type !== 'DocumentReference' && type !== 'List') return;
  const what =
    type === 'Basic' ? 'a revocation entry' : type === 'List' ? 'a VHL folder' : 'an SMART Health Link record';
  if ((id !== undefined && DERIVED_ID.test(id)) || carriesMarker(req.body)) refuse(type, `looks like ${what}, which`);
}

/**
 * Conditional update, delete and patch pick their target by search, so the id is not known before the store runs:
 * on the types that hold security records they are refused outright rather than risk a search matching one.
 */
export function guardConditional(req: FhirRequest, type: string): void {
  guardSecurityRecord(req, type);
  if (CONDITIONAL_REFUSED.has(type)) {
    fail('forbidden', {
      code: 'forbidden',
      id: 'SECURITY_RECORD_CONDITIONAL',
      text: `Conditional ${req.method} on ${type} is refused: this server keeps revocation entries, link records, VHL folders and bulk issuance jobs and files as ${type}, and a search could select one; address the resource by id`,
    });
  }
}

const CONDITIONAL_REFUSED = new Set(['Basic', 'DocumentReference', 'List', 'Task', 'Binary']);

/** Read, vread and instance history of a bulk job record answer exactly as for an id never stored. */
export function hideSecurityRecord(type: string, id: string): void {
  if (isBulkRecord(type, id))
    fail('not-found', {
      code: 'not-found',
      id: 'RESOURCE_NOT_FOUND',
      text: `${type}/${id} is not known`,
      expression: `${type}.id`,
    });
}

/** Criteria every plain search of `type` gets, so that bulk job Tasks never match (and paging and totals stay right). */
export function hiddenFromSearch(type: string): SearchFilter[] {
  if (type !== 'Task') return [];
  return [
    {
      code: 'code',
      type: 'token',
      modifier: 'not',
      values: [{ kind: 'token', system: BULK_JOB_SYSTEM, code: BULK_JOB_CODE }],
    },
  ];
}

const BULK_URL = /(?:^|\/)(Task|Binary)\/(bulk-[A-Za-z0-9.-]+)(?:\/|$)/;

function bulkEntry(e: BundleEntry): boolean {
  if (e.resource) return isBulkRecord(e.resource.resourceType, e.resource.id);
  const m = BULK_URL.exec(e.fullUrl ?? e.request?.url ?? '');
  return m !== null && isBulkRecord(m[1] as string, m[2]);
}

/**
 * Bundles (Binary searches, histories, includes) without bulk job records: Binary has no search criterion to leave
 * them out in the store, so they are taken out of the page here.
 */
export function withoutBulkRecords(res: FhirResponse): FhirResponse {
  const r = res.resource;
  if (r?.resourceType !== 'Bundle' || !(r as Bundle).entry?.some(bulkEntry)) return res;
  const b = r as Bundle;
  return { ...res, resource: { ...b, entry: b.entry!.filter((e) => !bulkEntry(e)) } };
}

function redactLink(doc: DocumentReference): DocumentReference {
  const ext = doc.extension?.find((e) => e.url === SHL_EXTENSION);
  if (!ext?.extension?.some((e) => SECRET_PARTS.has(e.url))) return doc;
  const cleaned = { ...ext, extension: ext.extension.filter((e) => !SECRET_PARTS.has(e.url)) };
  return { ...doc, extension: doc.extension!.map((e) => (e === ext ? cleaned : e)) };
}

function redactResource<T extends Resource | undefined>(r: T): T {
  if (!r) return r;
  if (r.resourceType === 'DocumentReference') return redactLink(r) as T;
  if (
    r.resourceType === 'Bundle' &&
    (r as Bundle).entry?.some((e) => e.resource?.resourceType === 'DocumentReference')
  ) {
    const b = r as Bundle;
    return { ...b, entry: b.entry!.map((e) => (e.resource ? { ...e, resource: redactResource(e.resource) } : e)) } as T;
  }
  return r;
}

/** The response with link-record secrets removed (reads, searches, history, Bundle responses). */
export function redactSecrets(res: FhirResponse): FhirResponse {
  const resource = redactResource(res.resource);
  return resource === res.resource ? res : { ...res, resource };
}
