/**
 * Validation of large resources off the event loop. Profile validation of a hostile body (tens of thousands of
 * contained resources, entries or extensions) costs hundreds of milliseconds of CPU; on the event loop that holds
 * every other request, /healthz included. A few worker threads, each with its own copy of the packages, take those
 * resources; small ones (most traffic) stay inline, where a round trip to a thread would cost more than the work.
 * Each worker has a bounded queue: beyond it the request is refused at once (429 VALIDATION_BUSY), not queued.
 * Until a worker has loaded its packages (seconds after start), resources are validated inline as before.
 */
import { Worker } from 'node:worker_threads';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Config } from './config/schema.ts';
import { fail, OutcomeError } from './fhir/outcome.ts';
import type { WorkerAnswer, WorkerRequest } from './validation-worker.ts';

// Sources run as .ts (type stripping), the build as .js: the worker file follows this module's own extension.
const WORKER_URL = new URL(`./validation-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** A resource with more elements than this (or one string longer than LARGE_STRING) is validated in a worker. */
const LARGE_NODES = 5000;
const LARGE_STRING = 256 * 1024;
/** Resources waiting per worker before new ones are refused. */
const QUEUE_PER_WORKER = 8;

export interface ValidationPool {
  /**
   * The outcome from a worker, or undefined when the resource is small enough to validate inline (or no worker is
   * ready yet). Throws the budget's OutcomeError, or 429 VALIDATION_BUSY when every worker's queue is full.
   */
  validate(resource: unknown, options: { profile?: string; budgetMs: number }): Promise<OperationOutcome> | undefined;
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
  pending: Map<number, { resolve: (o: OperationOutcome) => void; reject: (e: unknown) => void }>;
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
      if (m.kind === 'done') p.resolve(m.outcome as OperationOutcome);
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
  return {
    validate: (resource, options) => {
      const ready = slots.filter((s) => s.ready);
      if (ready.length === 0 || !isLarge(resource)) return undefined;
      const slot = ready.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      if (slot.pending.size >= QUEUE_PER_WORKER) {
        fail('too-many-requests', {
          code: 'throttled',
          id: 'VALIDATION_BUSY',
          text: `Every validation worker has ${QUEUE_PER_WORKER} large resources waiting; retry shortly`,
        });
      }
      const id = ++nextId;
      return new Promise<OperationOutcome>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({
          kind: 'validate',
          id,
          resource,
          budgetMs: options.budgetMs,
          ...(options.profile ? { profile: options.profile } : {}),
        } satisfies WorkerRequest);
      });
    },
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
