/**
 * The store the FHIR handlers get: a single write (create, update, conditional update, delete) waits for its
 * commit without holding the request's admission slot (admission.ts `lendSlotWhile`). The embedded store commits
 * the single writes that are waiting together in one transaction (storage/sqlite/store-queue.ts); with the slot
 * held through the wait, no more than `HEAVY_CONCURRENCY` writes could ever be waiting, so a commit (one fsync
 * with synchronous=FULL) never served more than that many clients (ADR 0070). Reads and transactions keep the
 * slot: a transaction holds the store alone, and a read's wait is the read itself.
 */
import { type ResourceStore, withWrites } from '../storage/store.ts';
import { lendSlotWhile } from './admission.ts';

export function slotLendingStore(store: ResourceStore): ResourceStore {
  return withWrites(store, {
    create: (resource, options) => lendSlotWhile(store.create(resource, options)),
    update: (resource, options) => lendSlotWhile(store.update(resource, options)),
    conditionalUpdate: (resource, query, options) => lendSlotWhile(store.conditionalUpdate(resource, query, options)),
    delete: (type, id, options) => lendSlotWhile(store.delete(type, id, options)),
  });
}
