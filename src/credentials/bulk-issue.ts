/**
 * Bulk HCERT issuance for a national backlog: a job over a fixed list of Immunization ids, worked through in
 * batches by one background loop. The job is a `Task` in the store and each batch's output is a `Binary` (NDJSON),
 * so progress survives a restart: a batch's Provenances, its output lines, its AuditEvents and the job's new
 * position commit in ONE store transaction, so no line is ever served before its Provenance is durable, and a job
 * resumed after a crash repeats at most the batch that had not committed (its credentials were never handed out).
 * https://hl7.org/fhir/uv/bulkdata/export.html (the asynchronous request pattern this follows)
 */
import type { Binary, Immunization, OperationOutcome, Parameters, Patient, Resource, Task } from '@medplum/fhirtypes';
import type { AuditFacts } from '../audit/audit-event.ts';
import { parseSearchQuery } from '../fhir/search/parse.ts';
import type { ResourceStore } from '../storage/store.ts';
import {
  BULK_JOB_CODE,
  BULK_JOB_SYSTEM,
  ITEMS_FILE,
  binaryId,
  type BulkFile,
  FILES_PER_CHUNK,
  filesChunkBinary,
  filesChunkName,
  filesOfChunk,
  errorLine,
  fromTask,
  itemsBinary,
  itemsOf,
  ndjson,
  taskId,
  toTask,
  type BulkJob,
  type BulkJobState,
} from './bulk-job-record.ts';
import { prefetchRecords } from './bulk-records.ts';
import { issueHcert } from './issue-hcert.ts';
import type { IssuerContext } from './issuer-context.ts';
import { hcertToParameters } from './operation-parameters.ts';
import { issuanceProvenance, issuanceProvenanceId } from './provenance.ts';

export { BULK_JOB_SYSTEM, type BulkJob } from './bulk-job-record.ts';

/** Credentials per committed batch: one transaction each (a restart repeats at most this many signatures). */
export const BULK_BATCH_SIZE = 100;
/** A batch that fails this many times in a row (store errors) fails its job, instead of being retried forever. */
const MAX_ATTEMPTS = 4;
const RETRY_BASE_MS = 1000;

export interface BulkIssuerOptions {
  store: ResourceStore;
  issuer: () => IssuerContext;
  now: () => Date;
  /** The stored Patient and Immunization an item is issued from (throws an OutcomeError when there is none). */
  records(store: ResourceStore, immunizationId: string): Promise<{ patient: Patient; immunizations: Immunization[] }>;
  batchSize?: number;
  /** How long a completed job's output stays available (ms); afterwards the files are deleted and it answers 410. */
  retentionMs: number;
  /** Write an AuditEvent per batch (the server's AUDIT setting). */
  audit: boolean;
  /** Told about batch failures and sweep failures (the loop itself never throws). */
  onError?: (err: unknown, what: string) => void;
}

export interface BulkIssuer {
  start(job: Omit<BulkJob, 'state' | 'done' | 'files' | 'sealed' | 'total'> & { items: string[] }): Promise<BulkJob>;
  /** The job, with `expired` once its retention has passed (even before the sweep deleted its files). */
  get(id: string): Promise<BulkJob | undefined>;
  cancel(id: string): Promise<void>;
  file(job: BulkJob, name: string): Promise<string | undefined>;
  /** Continues the unfinished jobs found in the store and starts the expiry sweep (call once at start-up). */
  resume(): Promise<void>;
  /** Deletes the output of completed jobs past their retention; resolves with how many jobs expired. */
  sweep(): Promise<number>;
  /** Resolves when no job is being worked on (tests; close). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A turn of the event loop. The store's reads and transactions resolve without one (microtasks only), so without it a
 * whole job would run as one chain of microtasks: no request answered, no timer fired, close() never called, until
 * the job ended. One yield per credential keeps the server serving while a job runs.
 */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const search = (type: string, params: Array<[string, string]>) =>
  parseSearchQuery(type, params, { defaultCount: 1000, maxCount: 1000 }).query;

export function createBulkIssuer(options: BulkIssuerOptions): BulkIssuer {
  const { store, now } = options;
  const batchSize = options.batchSize ?? BULK_BATCH_SIZE;
  const queue: string[] = [];
  const cancelled = new Set<string>();
  const attempts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let running: Promise<void> | undefined;
  let sweeping: Promise<number> | undefined;
  let closed = false;

  /** The job with its whole file list (the sealed chunks' entries, then the Task's own); undefined if a chunk is gone. */
  const withSealedFiles = async (job: BulkJob): Promise<BulkJob | undefined> => {
    if (job.sealed === 0) return job;
    const head: BulkFile[] = [];
    for (let k = 0; k < job.sealed; k++) {
      const found = await store.read('Binary', binaryId(job.id, filesChunkName(k)));
      if (found.status !== 'found') return undefined;
      head.push(...filesOfChunk(found.resource as Binary));
    }
    return { ...job, files: [...head, ...job.files] };
  };

  const readJob = async (id: string): Promise<BulkJob | undefined> => {
    const found = await store.read('Task', taskId(id));
    return found.status === 'found' ? fromTask(found.resource as Task) : undefined;
  };

  const stored = async (id: string): Promise<BulkJob | undefined> => {
    const job = await readJob(id);
    if (!job) return undefined;
    const whole = await withSealedFiles(job);
    if (whole) return whole;
    // A purge (cancellation, expiry) committed between the two reads: the Task read again names no chunk.
    const now = await readJob(id);
    if (now && now.sealed === 0) return now;
    throw new Error(`the file list of bulk job ${id} names a chunk that is not stored`);
  };

  const expiredAt = (job: BulkJob, at: Date): boolean =>
    job.state === 'completed' &&
    job.completedAt !== undefined &&
    at.getTime() - Date.parse(job.completedAt) >= options.retentionMs;

  /** Deletes a job's files (and the sealed chunks of their list) and records its final state, in one transaction. */
  async function purge(job: BulkJob, state: BulkJobState): Promise<void> {
    await store.transaction(async (tx) => {
      for (const f of job.files) await tx.delete('Binary', binaryId(job.id, f.name));
      for (let k = 0; k < job.sealed; k++) await tx.delete('Binary', binaryId(job.id, filesChunkName(k)));
      await tx.delete('Binary', binaryId(job.id, ITEMS_FILE));
      // The Task no longer names files (nor chunks) that are gone.
      await tx.update(toTask({ ...job, state, files: [], sealed: 0 }));
    });
  }

  function auditOf(job: BulkJob, status: number, entities: string[], detail?: string): AuditFacts {
    return {
      subtype: '$issue-hcert-bulk',
      action: 'E',
      status,
      ...(job.owner !== 'anonymous' ? { clientId: job.owner } : {}),
      address: 'internal',
      entities: [`Task/${taskId(job.id)}`, ...entities],
      ...(detail ? { detail } : {}),
      recorded: now(),
    };
  }

  async function runBatch(job: BulkJob, items: readonly string[]): Promise<void> {
    const slice = items.slice(job.done, job.done + batchSize);
    const provenances: Resource[] = [];
    const out: Parameters[] = [];
    const errors: OperationOutcome[] = [];
    const refused: string[] = [];
    const ctx = options.issuer();
    // The batch's records in two searches; each item then reads them from this view, by the same rules as before.
    const reads = await prefetchRecords(store, slice);
    for (const immunizationId of slice) {
      await yieldToEventLoop();
      try {
        const records = await options.records(reads, immunizationId);
        const issued = await issueHcert(ctx, {
          ...records,
          now: now(),
          validitySeconds: job.validitySeconds,
          requester: job.owner,
          qrFormats: [],
          record: async (r) => {
            const id = issuanceProvenanceId(r.credentialId);
            provenances.push({ ...issuanceProvenance(r), id });
            return id;
          },
        });
        const params = hcertToParameters(issued);
        params.parameter = [
          { name: 'source', valueReference: { reference: `Immunization/${immunizationId}` } },
          { name: 'provenance', valueReference: { reference: `Provenance/${issued.provenanceId}` } },
          ...(params.parameter ?? []),
        ];
        out.push(params);
      } catch (err) {
        errors.push(errorLine(immunizationId, err));
        refused.push(`Immunization/${immunizationId}`);
      }
    }
    // Files are named by the position they start at: unique whatever the batch size was before a restart.
    const at = job.done;
    const next: BulkJob = { ...job, done: job.done + slice.length, files: [...job.files] };
    if (out.length > 0) next.files.push({ name: `out-${at}`, kind: 'output', count: out.length });
    if (errors.length > 0) next.files.push({ name: `err-${at}`, kind: 'error', count: errors.length });
    // Full chunks of the list leave the Task for Binaries of their own, written once.
    const seal: BulkFile[][] = [];
    while (next.files.length - next.sealed * FILES_PER_CHUNK >= FILES_PER_CHUNK) {
      const from = next.sealed * FILES_PER_CHUNK;
      seal.push(next.files.slice(from, from + FILES_PER_CHUNK));
      next.sealed++;
    }
    if (next.done >= next.total) {
      next.state = 'completed';
      next.completedAt = now().toISOString();
    }
    await store.transaction(async (tx) => {
      for (const p of provenances) await tx.create(p, { id: p.id as string });
      if (out.length > 0) await tx.create(ndjson(out), { id: binaryId(job.id, `out-${at}`) });
      if (errors.length > 0) await tx.create(ndjson(errors), { id: binaryId(job.id, `err-${at}`) });
      for (const [i, files] of seal.entries())
        await tx.create(filesChunkBinary(files), { id: binaryId(job.id, filesChunkName(job.sealed + i)) });
      // Over the version this loop read: a job cancelled (or worked by another process) meanwhile fails the batch,
      // which then commits nothing (its signatures are never handed out).
      const updated = await tx.update(toTask(next), job.version ? { ifMatch: job.version } : {});
      if (updated.resource.meta?.versionId) next.version = updated.resource.meta.versionId;
      // Every signature is audited with the batch that makes it durable: each credential's Provenance is named.
      if (options.audit) {
        const events = [];
        if (provenances.length > 0)
          events.push(
            auditOf(
              job,
              200,
              provenances.map((p) => `Provenance/${p.id}`),
            ),
          );
        if (refused.length > 0) events.push(auditOf(job, 422, refused, 'BULK_ITEM_NOT_ISSUED'));
        await tx.appendAudit(events);
      }
    });
    Object.assign(job, next);
  }

  /** A failed batch is retried later (not at once: the loop must not spin on a store that keeps failing). */
  async function failed(id: string, err: unknown): Promise<void> {
    options.onError?.(err, `bulk issuance job ${id}: a batch failed`);
    const n = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, n);
    if (n >= MAX_ATTEMPTS) {
      const job = await stored(id).catch(() => undefined);
      if (job) await store.update(toTask({ ...job, state: 'failed' })).catch(() => undefined);
      return;
    }
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (!closed && !queue.includes(id)) queue.push(id);
        kick();
      },
      RETRY_BASE_MS * 2 ** (n - 1),
    );
    // A pending retry never keeps the process alive; close() clears it.
    timer.unref();
    timers.add(timer);
  }

  async function work(): Promise<void> {
    while (queue.length > 0 && !closed) {
      const id = queue[0] as string;
      try {
        const job = await stored(id);
        const list = job?.state === 'in-progress' ? await store.read('Binary', binaryId(id, ITEMS_FILE)) : undefined;
        const items = list?.status === 'found' ? itemsOf(list.resource as Binary) : [];
        // Without its list a job could never advance: it fails (after the retries) instead of spinning.
        if (job?.state === 'in-progress' && items.length !== job.total)
          throw new Error(`the item list of job ${id} holds ${items.length} ids, not ${job.total}`);
        while (job && job.state === 'in-progress' && !closed && !cancelled.has(id)) await runBatch(job, items);
        attempts.delete(id);
      } catch (err) {
        // A job no longer in progress in the store (cancelled meanwhile) simply stops; anything else is retried.
        const now = await stored(id).catch(() => 'unreadable' as const);
        if (!closed && (now === 'unreadable' || now?.state === 'in-progress')) await failed(id, err);
      }
      if (!closed) queue.shift();
    }
  }

  function kick(): void {
    if (running || closed) return;
    running = work().finally(() => {
      running = undefined;
      if (queue.length > 0 && !closed) kick();
    });
  }

  async function sweep(): Promise<number> {
    const cutoff = new Date(now().getTime() - options.retentionMs).toISOString();
    const page = await store.search(
      search('Task', [
        ['code', `${BULK_JOB_SYSTEM}|${BULK_JOB_CODE}`],
        ['status', 'completed'],
        ['business-status:not', `${BULK_JOB_SYSTEM}|expired`],
        ['modified', `le${cutoff}`],
      ]),
    );
    let n = 0;
    for (const task of page.resources as Task[]) {
      const job = fromTask(task);
      if (!job || !expiredAt(job, now()) || closed) continue;
      // A chunk already gone: another process purged the job meanwhile.
      const whole = await withSealedFiles(job);
      if (!whole) continue;
      await purge(whole, 'expired');
      n++;
    }
    return n;
  }

  const runSweep = (): Promise<number> => {
    sweeping ??= sweep()
      .catch((err: unknown) => {
        options.onError?.(err, 'bulk issuance: the expiry sweep failed');
        return 0;
      })
      .finally(() => {
        sweeping = undefined;
      });
    return sweeping;
  };

  return {
    async start({ items, ...spec }) {
      const job: BulkJob = { ...spec, total: items.length, state: 'in-progress', done: 0, files: [], sealed: 0 };
      if (items.length === 0) {
        job.state = 'completed';
        job.completedAt = now().toISOString();
      }
      await store.transaction(async (tx) => {
        await tx.create(itemsBinary(items), { id: binaryId(job.id, ITEMS_FILE) });
        await tx.create(toTask(job), { id: taskId(job.id) });
      });
      if (job.state === 'in-progress') {
        queue.push(job.id);
        kick();
      }
      return job;
    },
    async get(id) {
      const job = await stored(id);
      if (job && cancelled.has(id)) job.state = 'cancelled';
      if (job && expiredAt(job, now())) job.state = 'expired';
      return job;
    },
    async cancel(id) {
      cancelled.add(id);
      // Recorded (and the files deleted) at once, so that a restart never resumes it; a batch in flight then fails
      // its If-Match and commits nothing.
      const job = await stored(id);
      if (job && job.state !== 'cancelled') await purge(job, 'cancelled');
    },
    async file(job, name) {
      if (!job.files.some((f) => f.name === name)) return undefined;
      const found = await store.read('Binary', binaryId(job.id, name));
      if (found.status !== 'found') return undefined;
      return Buffer.from((found.resource as { data?: string }).data ?? '', 'base64').toString('utf8');
    },
    async resume() {
      // One indexed search for the open jobs (code + status), not a scan of every Task.
      for (let offset = 0; ; offset += 1000) {
        const query = search('Task', [
          ['code', `${BULK_JOB_SYSTEM}|${BULK_JOB_CODE}`],
          ['status', 'in-progress'],
          ['_sort', 'authored-on'],
        ]);
        const page = await store.search({ ...query, offset });
        for (const task of page.resources as Task[]) {
          const job = fromTask(task);
          if (job && !queue.includes(job.id)) queue.push(job.id);
        }
        if (!page.hasMore) break;
      }
      kick();
      if (closed) return;
      await runSweep();
      if (closed) return;
      // The sweep repeats while the server runs: at most hourly, and often enough for short retentions.
      const every = Math.min(3600_000, Math.max(1000, Math.floor(options.retentionMs / 2)));
      const timer = setInterval(() => void runSweep(), every);
      timer.unref();
      timers.add(timer);
    },
    sweep: runSweep,
    async idle() {
      while (running) await running;
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await running;
      await sweeping;
    },
  };
}
