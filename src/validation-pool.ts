/**
 * Validation of large resources off the event loop. Profile validation of a hostile body (tens of thousands of
 * contained resources, entries or extensions) costs hundreds of milliseconds of CPU; on the event loop that holds
 * every other request, /healthz included. A few worker threads, each with its own copy of the packages, take:
 * - `$validate` of a large resource, and large `$validate` bodies whole, as bytes (decoded, parsed and checked there:
 *   parsing an 8 MB body costs the event loop as much as validating it, and a structured clone back costs as much
 *   again, so such a body never becomes an object on the main thread);
 * - write-time (ingest) validation of large resources (create, update, transaction entries); the write itself stays
 *   on the main thread, in the store's queue.
 * Small resources (most traffic) stay inline, where a round trip to a thread would cost more than the work.
 * Each worker has a bounded queue: beyond it the request is refused at once (429 VALIDATION_BUSY), not queued.
 * Each job carries the request's remaining budget and a cancel flag (shared memory) raised when the client leaves,
 * so a worker stops abandoned work at its next budget check. Until a worker has loaded its packages (seconds after
 * start), resources are validated inline as before.
 */
import { Worker } from 'node:worker_threads';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Config } from './config/schema.ts';
import type { EncodedOutcome } from './fhir/encoded-outcome.ts';
import { fail, OutcomeError } from './fhir/outcome.ts';
import type { WorkBudget } from './fhir/work-budget.ts';
import type { IngestVerdict } from './validation/ingest-policy.ts';
import type { BodyJob, WorkerAnswer, WorkerRequest } from './validation-worker.ts';

// Sources run as .ts (type stripping), the build as .js: the worker file follows this module's own extension.
const WORKER_URL = new URL(`./validation-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * A resource with more elements than this (or one string longer than LARGE_STRING) is validated in a worker.
 * ~30 µs per element for deep extension chains: 1,000 elements is ~30 ms on the event loop at most.
 */
const LARGE_NODES = 1000;
const LARGE_STRING = 64 * 1024;
/** Jobs waiting per worker before new ones are refused. */
const QUEUE_PER_WORKER = 8;

/** What a `$validate` body job needs besides the bytes. */
export type BodyRequest = Omit<BodyJob, 'bytes'>;

export interface ValidationPool {
  /**
   * The outcome from a worker, or undefined when the resource is small enough to validate inline (or no worker is
   * ready yet). Throws the budget's OutcomeError, or 429 VALIDATION_BUSY when every worker's queue is full.
   */
  validate(
    resource: unknown,
    options: { profile?: string; budget?: WorkBudget },
  ): Promise<OperationOutcome> | undefined;
  /**
   * The structural check (`assertResource`) of a large resource in a worker: resolves when it passes, rejects with
   * the OutcomeError inline checking throws; undefined to check inline (small resource, no worker ready).
   */
  structure(resource: unknown, expectedType: string, budget?: WorkBudget): Promise<unknown> | undefined;
  /** The ingest verdict from a worker, or undefined to check inline (small resource, no worker ready). */
  ingest(resource: unknown, budget?: WorkBudget): Promise<IngestVerdict> | undefined;
  /**
   * A whole `$validate` body (bytes) parsed, checked and validated in a worker, its outcome serialized there;
   * resolves to undefined when the body
   * is a Parameters the worker leaves to the operation (anything beyond `resource` and `profile`).
   * Undefined at once when no worker is ready.
   */
  validateBody(
    bytes: Uint8Array,
    job: BodyRequest,
    budget?: WorkBudget,
  ): Promise<EncodedOutcome | undefined> | undefined;
  /** Whether a worker is ready (else everything is validated inline). */
  available(): boolean;
  /** Resolves once every worker has loaded its packages. */
  ready(): Promise<void>;
  /** Tells the workers to re-read the packages (after an install). */
  reload(): void;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  loaded: Promise<void>;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>;
}

/** True when the resource has more than LARGE_NODES elements or a very long string; stops counting there. */
export function isLarge(value: unknown): boolean {
  let nodes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++nodes > LARGE_NODES) return true;
    if (typeof v === 'string') {
      if (v.length > LARGE_STRING) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (typeof v === 'object' && v !== null) {
      for (const x of Object.values(v)) stack.push(x);
    }
  }
  return false;
}

/** A job's cancel flag: raised (1) when the request's client goes away; the worker's budget reads it. */
function cancelFlag(budget: WorkBudget | undefined): SharedArrayBuffer {
  const flag = new SharedArrayBuffer(4);
  const view = new Int32Array(flag);
  const signal = budget?.signal;
  if (signal?.aborted) view[0] = 1;
  else signal?.addEventListener('abort', () => Atomics.store(view, 0, 1), { once: true });
  return flag;
}

export function createValidationPool(config: Config, dataDir: string, size: number): ValidationPool {
  let nextId = 0;
  let closed = false;
  const start = (): Slot => {
    const worker = new Worker(WORKER_URL, { workerData: { config, dataDir } });
    worker.unref();
    let loaded = () => {};
    const slot: Slot = { worker, ready: false, loaded: new Promise((r) => (loaded = r)), pending: new Map() };
    worker.on('message', (m: WorkerAnswer) => {
      if (m.kind === 'ready') {
        slot.ready = true;
        loaded();
        return;
      }
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.kind === 'done') p.resolve(m.value);
      else if (typeof m.error === 'string') p.reject(new Error(m.error));
      else p.reject(new OutcomeError(m.error.kind, m.error.outcome.issue ?? []));
    });
    worker.on('error', (err) => {
      // A worker that dies fails what it held; a fresh one takes its place (inline validation meanwhile).
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      const i = slots.indexOf(slot);
      if (i >= 0 && !closed) slots[i] = start();
    });
    return slot;
  };
  const slots: Slot[] = Array.from({ length: size }, start);
  const readySlot = (): Slot | undefined => {
    const ready = slots.filter((s) => s.ready);
    return ready.length === 0 ? undefined : ready.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  };
  /** Posts a job to the least busy ready worker (the caller checked there is one). */
  const submit = <T>(
    slot: Slot,
    job: (id: number, cancel: SharedArrayBuffer, budgetMs: number) => WorkerRequest,
    budget: WorkBudget | undefined,
  ): Promise<T> => {
    if (slot.pending.size >= QUEUE_PER_WORKER) {
      fail('too-many-requests', {
        code: 'throttled',
        id: 'VALIDATION_BUSY',
        text: `Every validation worker has ${QUEUE_PER_WORKER} large resources waiting; retry shortly`,
      });
    }
    const id = ++nextId;
    const budgetMs = budget ? budget.remainingMs() : config.requestBudgetMs;
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage(job(id, cancelFlag(budget), budgetMs));
    });
  };
  return {
    validate: (resource, { profile, budget }) => {
      const slot = readySlot();
      if (!slot || !isLarge(resource)) return undefined;
      return submit<OperationOutcome>(
        slot,
        (id, cancel, budgetMs) => ({
          kind: 'validate',
          id,
          cancel,
          budgetMs,
          resource,
          ...(profile ? { profile } : {}),
        }),
        budget,
      );
    },
    structure: (resource, expectedType, budget) => {
      const slot = readySlot();
      if (!slot || !isLarge(resource)) return undefined;
      return submit<unknown>(
        slot,
        (id, cancel, budgetMs) => ({ kind: 'structure', id, cancel, budgetMs, resource, expectedType }),
        budget,
      );
    },
    ingest: (resource, budget) => {
      const slot = readySlot();
      if (!slot || !isLarge(resource)) return undefined;
      return submit<IngestVerdict>(
        slot,
        (id, cancel, budgetMs) => ({ kind: 'ingest', id, cancel, budgetMs, resource }),
        budget,
      );
    },
    validateBody: (bytes, request, budget) => {
      const slot = readySlot();
      if (!slot) return undefined;
      // Bytes in shared memory (readSharedBytes) reach the worker without a copy, and stay readable here for a
      // Parameters body the worker leaves to the operation; other bytes are copied.
      return submit<EncodedOutcome | undefined>(
        slot,
        (id, cancel, budgetMs) => ({ kind: 'validate-body', id, cancel, budgetMs, bytes, ...request }),
        budget,
      );
    },
    available: () => slots.some((s) => s.ready),
    ready: async () => {
      await Promise.all(slots.map((s) => s.loaded));
    },
    reload: () => {
      for (const s of slots) s.worker.postMessage({ kind: 'reload' } satisfies WorkerRequest);
    },
    close: async () => {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
