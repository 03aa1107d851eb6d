/**
 * Where AuditEvents go. A write's event is created inside the write's own store transaction (`within`), so a write
 * without its audit entry never commits; reads, refusals and token grants are queued and written in batches
 * (`enqueue`), so a read does not wait for a second write; the queue is flushed on a short timer and on close.
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { ResourceStore } from '../storage/store.ts';

export interface AuditLog {
  /** Creates the event through `store` (a transaction's store, for writes). */
  within(store: ResourceStore, event: AuditEvent): Promise<void>;
  enqueue(event: AuditEvent): void;
  flush(): Promise<void>;
}

const BATCH = 500;

export function createAuditLog(options: { store: ResourceStore; log: Logger; flushMs?: number }): AuditLog {
  const { store, log, flushMs = 250 } = options;
  let queue: AuditEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, BATCH);
      queue = queue.slice(BATCH);
      try {
        await store.transaction(async (tx) => {
          for (const e of batch) await tx.create(e);
        });
      } catch (err) {
        // Never take a request down; the loss is logged loudly (no personal data in the message).
        log.error({ err, lost: batch.length }, 'AUDIT WRITE FAILED: audit events lost');
      }
    }
  };
  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    writing = writing.then(drain);
    return writing;
  };
  return {
    within: async (tx, event) => {
      await tx.create(event);
    },
    enqueue: (event) => {
      queue.push(event);
      if (queue.length >= BATCH) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    flush,
  };
}
