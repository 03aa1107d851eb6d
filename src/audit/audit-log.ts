/**
 * Where the AuditEvents of reads, refusals, operations and token grants go: queued (`enqueue`) and appended to
 * the store's audit trail in batches (one store write per batch), so a read does not wait for a second write; the
 * queue is flushed on a short timer and on close. A write's own event does not come here: it travels in the
 * write itself (the store's `audit` write option, http/audit-route.ts), so a write without it never commits.
 */
import type { Logger } from 'pino';
import type { ResourceStore } from '../storage/store.ts';
import type { AuditEntry } from './audit-event.ts';

export interface AuditLog {
  enqueue(event: AuditEntry): void;
  flush(): Promise<void>;
}

const BATCH = 500;

export function createAuditLog(options: { store: ResourceStore; log: Logger; flushMs?: number }): AuditLog {
  const { store, log, flushMs = 250 } = options;
  let queue: AuditEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, BATCH);
      queue = queue.slice(BATCH);
      try {
        await store.appendAudit(batch);
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
