/**
 * Bulk HCERT issuance for a national backlog: a job over a fixed list of Immunization ids, worked through in
 * batches by one background loop. The job is a `Task` in the store and each batch's output is a `Binary` (NDJSON),
 * so progress survives a restart: a batch's Provenances, its output lines and the job's new position commit in ONE
 * store transaction, so no line is ever served before its Provenance is durable, and a job resumed after a crash
 * repeats at most the batch that had not committed (its credentials were never handed out).
 * https://hl7.org/fhir/uv/bulkdata/export.html (the asynchronous request pattern this follows)
 */
import type { Binary, Immunization, OperationOutcome, Parameters, Patient, Resource, Task } from '@medplum/fhirtypes';
import { OutcomeError, issue } from '../fhir/outcome.ts';
import type { ResourceStore } from '../storage/store.ts';
import { issueHcert } from './issue-hcert.ts';
import type { IssuerContext } from './issuer-context.ts';
import { hcertToParameters } from './operation-parameters.ts';
import { issuanceProvenance, issuanceProvenanceId } from './provenance.ts';

export const BULK_JOB_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/bulk-job';
const EXT = 'https://gdhcn-gateway.org/fhir/StructureDefinition/bulk-issue';
/** Credentials per committed batch: one transaction each (a restart repeats at most this many signatures). */
export const BULK_BATCH_SIZE = 50;

export interface BulkJob {
  id: string;
  owner: string;
  state: 'in-progress' | 'completed' | 'cancelled';
  /** Immunization ids to issue, fixed at kick-off. */
  items: string[];
  /** How many items are committed (the resume position). */
  done: number;
  validitySeconds: number;
  requestedAt: string;
  /** Output and error files, by name (`out-<n>` / `err-<n>`), with their line counts. */
  files: { name: string; kind: 'output' | 'error'; count: number }[];
}

export interface BulkIssuerOptions {
  store: ResourceStore;
  issuer: () => IssuerContext;
  now: () => Date;
  /** The stored Patient and Immunization an item is issued from (throws an OutcomeError when there is none). */
  records(store: ResourceStore, immunizationId: string): Promise<{ patient: Patient; immunizations: Immunization[] }>;
  batchSize?: number;
}

export interface BulkIssuer {
  start(job: Omit<BulkJob, 'state' | 'done' | 'files'>): Promise<BulkJob>;
  get(id: string): Promise<BulkJob | undefined>;
  cancel(id: string): Promise<void>;
  file(job: BulkJob, name: string): Promise<string | undefined>;
  /** Continues the unfinished jobs found in the store (call once at start-up). */
  resume(): Promise<void>;
  /** Resolves when no job is being worked on (tests; close). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function toTask(job: BulkJob): Task {
  return {
    resourceType: 'Task',
    id: job.id,
    status: job.state,
    intent: 'order',
    code: { coding: [{ system: BULK_JOB_SYSTEM, code: 'issue-hcert-bulk' }] },
    authoredOn: job.requestedAt,
    requester: { display: job.owner },
    extension: [
      {
        url: EXT,
        // The job's own bookkeeping, as JSON: items, position and files are read back only by this module.
        valueString: JSON.stringify({
          items: job.items,
          done: job.done,
          validitySeconds: job.validitySeconds,
          files: job.files,
        }),
      },
    ],
  };
}

function fromTask(task: Task): BulkJob | undefined {
  const raw = task.extension?.find((e) => e.url === EXT)?.valueString;
  if (!raw || !task.id) return undefined;
  const data = JSON.parse(raw) as Pick<BulkJob, 'items' | 'done' | 'validitySeconds' | 'files'>;
  return {
    id: task.id,
    owner: task.requester?.display ?? '',
    state: task.status as BulkJob['state'],
    requestedAt: task.authoredOn ?? '',
    ...data,
  };
}

const binaryId = (job: string, name: string) => `bulk-${job}-${name}`;

function ndjson(lines: readonly Resource[]): Binary {
  const text = lines.map((l) => JSON.stringify(l)).join('\n');
  return { resourceType: 'Binary', contentType: 'application/fhir+ndjson', data: Buffer.from(text).toString('base64') };
}

function errorLine(immunizationId: string, err: unknown): OperationOutcome {
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

export function createBulkIssuer(options: BulkIssuerOptions): BulkIssuer {
  const { store, now } = options;
  const batchSize = options.batchSize ?? BULK_BATCH_SIZE;
  const queue: string[] = [];
  const cancelled = new Set<string>();
  let running: Promise<void> | undefined;
  let closed = false;

  const get = async (id: string): Promise<BulkJob | undefined> => {
    const found = await store.read('Task', id);
    if (found.status !== 'found') return undefined;
    const job = fromTask(found.resource as Task);
    if (job && cancelled.has(id)) job.state = 'cancelled';
    return job;
  };

  async function runBatch(job: BulkJob): Promise<void> {
    const slice = job.items.slice(job.done, job.done + batchSize);
    const provenances: Resource[] = [];
    const out: Parameters[] = [];
    const errors: OperationOutcome[] = [];
    const ctx = options.issuer();
    for (const immunizationId of slice) {
      try {
        const records = await options.records(store, immunizationId);
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
      }
    }
    const n = Math.floor(job.done / batchSize);
    const next: BulkJob = { ...job, done: job.done + slice.length, files: [...job.files] };
    if (out.length > 0) next.files.push({ name: `out-${n}`, kind: 'output', count: out.length });
    if (errors.length > 0) next.files.push({ name: `err-${n}`, kind: 'error', count: errors.length });
    if (next.done >= next.items.length) next.state = 'completed';
    if (cancelled.has(job.id)) next.state = 'cancelled';
    await store.transaction(async (tx) => {
      for (const p of provenances) await tx.create(p, { id: p.id as string });
      if (out.length > 0) await tx.create(ndjson(out), { id: binaryId(job.id, `out-${n}`) });
      if (errors.length > 0) await tx.create(ndjson(errors), { id: binaryId(job.id, `err-${n}`) });
      await tx.update(toTask(next));
    });
    Object.assign(job, next);
  }

  async function work(): Promise<void> {
    while (queue.length > 0 && !closed) {
      const job = await get(queue[0]!);
      while (job && job.state === 'in-progress' && !closed) {
        if (cancelled.has(job.id)) {
          await store.update(toTask({ ...job, state: 'cancelled' }));
          break;
        }
        await runBatch(job);
      }
      if (!closed) queue.shift();
    }
  }

  const kick = () => {
    if (running || closed) return;
    running = work()
      .catch(() => {
        // A store failure stops the loop; the job stays in-progress in the store and resumes at the next start.
      })
      .finally(() => {
        running = undefined;
        if (queue.length > 0 && !closed) kick();
      });
  };

  return {
    async start(spec) {
      const job: BulkJob = { ...spec, state: 'in-progress', done: 0, files: [] };
      if (job.items.length === 0) job.state = 'completed';
      await store.create(toTask(job), { id: job.id });
      if (job.state === 'in-progress') {
        queue.push(job.id);
        kick();
      }
      return job;
    },
    get,
    async cancel(id) {
      cancelled.add(id);
      const job = await get(id);
      // A job not being worked on is marked here; the loop marks the one it works on at its next batch boundary.
      if (job && !queue.includes(id)) await store.update(toTask({ ...job, state: 'cancelled' }));
    },
    async file(job, name) {
      if (!job.files.some((f) => f.name === name)) return undefined;
      const found = await store.read('Binary', binaryId(job.id, name));
      if (found.status !== 'found') return undefined;
      return Buffer.from((found.resource as Binary).data ?? '', 'base64').toString('utf8');
    },
    async resume() {
      // Every stored Task is looked at (paged), the bulk jobs kept by their code: no reliance on a search index.
      for (let offset = 0; ; offset += 1000) {
        const page = await store.search({
          resourceType: 'Task',
          filters: [],
          sort: [],
          count: 1000,
          offset,
          total: 'none',
          summaryCount: false,
          include: [],
          revinclude: [],
        });
        for (const r of page.resources as Task[]) {
          const ours = r.code?.coding?.some((c) => c.system === BULK_JOB_SYSTEM);
          if (ours && r.status === 'in-progress' && r.id && !queue.includes(r.id)) queue.push(r.id);
        }
        if (page.resources.length < 1000) break;
      }
      kick();
    },
    async idle() {
      while (running) await running;
    },
    async close() {
      closed = true;
      await running;
    },
  };
}
