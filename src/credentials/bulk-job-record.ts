/**
 * How a `$issue-hcert-bulk` job is kept in the store: a `Task` (id `bulk-<job>`, code `bulk-job#issue-hcert-bulk`,
 * so open jobs are found by an indexed search on code and status) and one `Binary` per batch file
 * (id `bulk-<job>-<file>`). Both are security records (http/security-records.ts): the `bulk-` id prefix and the
 * Task code are what the REST layer recognises them by.
 */
import type { Binary, OperationOutcome, Resource, Task } from '@medplum/fhirtypes';
import { OutcomeError, issue } from '../fhir/outcome.ts';

export const BULK_JOB_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/bulk-job';
export const BULK_JOB_CODE = 'issue-hcert-bulk';
/** Ids of job Tasks and output Binaries start with this; server-assigned ids are UUIDs and never do. */
export const BULK_ID_PREFIX = 'bulk-';
const EXT = 'https://gdhcn-gateway.org/fhir/StructureDefinition/bulk-issue';

export type BulkJobState = 'in-progress' | 'completed' | 'cancelled' | 'failed' | 'expired';

export interface BulkJob {
  id: string;
  owner: string;
  state: BulkJobState;
  /** How many Immunizations the job issues (their ids, fixed at kick-off, are kept apart: see `itemsBinary`). */
  total: number;
  /** How many items are committed (the resume position). */
  done: number;
  validitySeconds: number;
  requestedAt: string;
  /** When the last batch committed (completed jobs): the output files expire a retention period later. */
  completedAt?: string;
  /** Output and error files, by name (`out-<position>` / `err-<position>`), with their line counts. */
  files: BulkFile[];
  /**
   * How many chunks of FILES_PER_CHUNK entries at the head of `files` are sealed in Binaries of their own (written
   * once; see `filesChunkBinary`). The Task keeps only the rest, so each of its versions stays small.
   */
  sealed: number;
  /** The Task version this was read from (not stored): a batch commits only over that version (If-Match). */
  version?: string;
}

export interface BulkFile {
  name: string;
  kind: 'output' | 'error';
  count: number;
}

/**
 * File entries per sealed chunk. The Task is rewritten (a new version kept in history) at every batch: with the whole
 * file list in it, a job of n batches would store n²/2 entries (a 10-million-item job, 200,000 batches of 50, would
 * write megabytes per batch). Sealing the list in chunks keeps each version under FILES_PER_CHUNK entries and the
 * chunks' sum linear.
 */
export const FILES_PER_CHUNK = 64;
export const filesChunkName = (k: number): string => `files-${k}`;

/** A job's own bookkeeping kept as a JSON Binary (the item list, sealed chunks of the file list). */
function jsonBinary(value: unknown): Binary {
  return {
    resourceType: 'Binary',
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify(value)).toString('base64'),
  };
}

function jsonOf<T>(binary: Binary): T {
  return JSON.parse(Buffer.from(binary.data ?? '', 'base64').toString('utf8')) as T;
}

export const filesChunkBinary = (files: readonly BulkFile[]): Binary => jsonBinary(files);
export const filesOfChunk = (binary: Binary): BulkFile[] => jsonOf<BulkFile[]>(binary);

export const taskId = (job: string): string => `${BULK_ID_PREFIX}${job}`;
export const binaryId = (job: string, name: string): string => `${BULK_ID_PREFIX}${job}-${name}`;
/**
 * The job's Immunization ids, written once at kick-off: kept in the Task, 100,000 ids would be copied into every
 * one of its versions (one per batch), quadratic in the job's size.
 */
export const ITEMS_FILE = 'items';

export const itemsBinary = (items: readonly string[]): Binary => jsonBinary(items);
export const itemsOf = (binary: Binary): string[] => jsonOf<string[]>(binary);

/** Task.status of each job state: an expired job is a completed Task whose business status says `expired`. */
const TASK_STATUS: Record<BulkJobState, Task['status']> = {
  'in-progress': 'in-progress',
  completed: 'completed',
  cancelled: 'cancelled',
  failed: 'failed',
  expired: 'completed',
};

export function toTask(job: BulkJob): Task {
  return {
    resourceType: 'Task',
    id: taskId(job.id),
    status: TASK_STATUS[job.state],
    ...(job.state === 'expired' ? { businessStatus: { coding: [{ system: BULK_JOB_SYSTEM, code: 'expired' }] } } : {}),
    intent: 'order',
    code: { coding: [{ system: BULK_JOB_SYSTEM, code: BULK_JOB_CODE }] },
    authoredOn: job.requestedAt,
    // `modified` is searchable: the expiry sweep finds completed jobs by it.
    ...(job.completedAt ? { lastModified: job.completedAt } : {}),
    requester: { display: job.owner },
    extension: [
      {
        url: EXT,
        // The job's own bookkeeping, as JSON: position and files are read back only by this module. The item list
        // is not here: the Task is rewritten (a new version kept in history) at every batch.
        valueString: JSON.stringify({
          total: job.total,
          done: job.done,
          validitySeconds: job.validitySeconds,
          sealed: job.sealed,
          files: job.files.slice(job.sealed * FILES_PER_CHUNK),
        }),
      },
    ],
  };
}

/**
 * The job a Task records. Its `files` holds only the entries after the sealed chunks (`sealed` > 0): read them with
 * the chunks first (bulk-issue.ts) before listing, serving or deleting files.
 */
export function fromTask(task: Task): BulkJob | undefined {
  const raw = task.extension?.find((e) => e.url === EXT)?.valueString;
  if (!raw || !task.id?.startsWith(BULK_ID_PREFIX)) return undefined;
  // A Task written before chunks existed has its whole list and no `sealed`.
  const { sealed = 0, ...data } = JSON.parse(raw) as Pick<BulkJob, 'total' | 'done' | 'validitySeconds' | 'files'> & {
    sealed?: number;
  };
  const expired = task.businessStatus?.coding?.some((c) => c.system === BULK_JOB_SYSTEM && c.code === 'expired');
  return {
    id: task.id.slice(BULK_ID_PREFIX.length),
    owner: task.requester?.display ?? '',
    state: expired ? 'expired' : (task.status as BulkJobState),
    requestedAt: task.authoredOn ?? '',
    ...(task.lastModified ? { completedAt: task.lastModified } : {}),
    ...(task.meta?.versionId ? { version: task.meta.versionId } : {}),
    ...data,
    sealed,
  };
}

/** Is this a job Task or an output Binary (by type and id)? */
export function isBulkRecord(type: string, id: string | undefined): boolean {
  return (type === 'Task' || type === 'Binary') && id !== undefined && id.startsWith(BULK_ID_PREFIX);
}

export function ndjson(lines: readonly Resource[]): Binary {
  const text = lines.map((l) => JSON.stringify(l)).join('\n');
  return { resourceType: 'Binary', contentType: 'application/fhir+ndjson', data: Buffer.from(text).toString('base64') };
}

export function errorLine(immunizationId: string, err: unknown): OperationOutcome {
  const issues =
    err instanceof OutcomeError
      ? (err.outcome.issue ?? [])
      : [issue({ code: 'exception', id: 'INTERNAL_ERROR', text: 'The credential could not be issued' })];
  // Each line names the Immunization it is about, so a caller can retry just those.
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({ ...i, expression: [`Immunization/${immunizationId}`, ...(i.expression ?? [])] })),
  };
}
