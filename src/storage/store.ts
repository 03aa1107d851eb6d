/**
 * The storage port. The REST layer and every service talk to storage only through this interface;
 * adapters (sqlite/, mongo/) implement it and run the same contract suite (test/storage/contract.ts).
 *
 * Resources handed out carry `meta.versionId` and `meta.lastUpdated` set by the store.
 * Failures are `OutcomeError`s (fhir/outcome.ts): e.g. 'precondition-failed' for an If-Match mismatch,
 * 'conflict' for a deleted resource's version clash, 'precondition-failed' for an ambiguous conditional create.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { AuditEntry } from '../audit/audit-event.ts';
import type { SearchQuery } from '../fhir/search/query.ts';

export type { SearchQuery };

export type ReadResult =
  | { status: 'found'; resource: Resource }
  | { status: 'deleted'; versionId: string; lastUpdated: string }
  | { status: 'missing' };

/** What a write tells its AuditEvent: the resource written, and whether it was created. */
export interface WrittenRef {
  reference: string;
  created: boolean;
}

export interface AuditWriteOption {
  /**
   * The AuditEvent of this write, built once the write is done and stored in the SAME atomic write (the same
   * commit): a write without its audit entry never commits, and the write stays one store job (group-committed,
   * no transaction held open across event-loop turns). Not called when nothing was written (a conditional create
   * that matched).
   */
  audit?: (written: WrittenRef) => AuditEntry;
}

export interface CreateOptions extends AuditWriteOption {
  /** Conditional create (If-None-Exist): the search that must match nothing for the create to happen. */
  ifNoneExist?: SearchQuery;
  /**
   * A server-chosen id, never one taken from client input: transactions pre-assign ids so that
   * `urn:uuid:` references between entries can be rewritten before anything is written.
   */
  id?: string;
}

export interface CreateResult {
  /** 'existing': a conditional create matched exactly one resource, which is returned unchanged. */
  outcome: 'created' | 'existing';
  resource: Resource;
}

export interface UpdateOptions extends AuditWriteOption {
  /** If-Match: the versionId the client last saw; a mismatch throws 'precondition-failed'. */
  ifMatch?: string;
}

export interface UpdateResult {
  /** 'created' when the id did not exist before (update-as-create), or was deleted. */
  outcome: 'created' | 'updated';
  resource: Resource;
}

export interface DeleteResult {
  /** Version id of the deletion marker, absent when there was nothing to delete. */
  versionId?: string;
}

export interface HistoryEntry {
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'DELETE';
  /** Absent for deletion markers. */
  resource?: Resource;
}

export interface HistoryQuery {
  resourceType?: string;
  id?: string;
  /** `_since`: instant, inclusive. */
  since?: string;
  /** `_at`-style upper bound used for stable paging: only versions with sequence <= this. */
  snapshot?: number;
  count: number;
  offset: number;
}

export interface HistoryResult {
  entries: HistoryEntry[];
  total: number;
  /** Sequence number at which the page set was taken; pass back as `snapshot` for the next pages. */
  snapshot: number;
}

export interface SearchResult {
  /** The matches of this page, in order. */
  resources: Resource[];
  /** Resources pulled in by _include / _revinclude (deduplicated, not in `resources`). */
  included: Resource[];
  /** True when more resources would have been included than `query.includeLimit` allows. */
  includedTruncated?: boolean;
  /** Present when the query asked for a total (`_total=accurate`, or `_summary=count`). */
  total?: number;
  /** Sequence number at which the page set was taken; later pages pass it back in `query.snapshot`. */
  snapshot: number;
  /** True when there are matches after this page. */
  hasMore: boolean;
}

export interface ResourceStore {
  read(resourceType: string, id: string): Promise<ReadResult>;
  vread(resourceType: string, id: string, versionId: string): Promise<HistoryEntry | undefined>;
  /** Server-assigned id: any `id` on the input is ignored. */
  create(resource: Resource, options?: CreateOptions): Promise<CreateResult>;
  /** The resource must carry its id. */
  update(resource: Resource, options?: UpdateOptions): Promise<UpdateResult>;
  delete(resourceType: string, id: string, options?: UpdateOptions): Promise<DeleteResult>;
  /**
   * Conditional update (`PUT [type]?[search]`): the search matching nothing creates the resource (with its own
   * id as update-as-create when it carries one), one match updates that resource (If-Match honoured), several
   * throw 'precondition-failed'. Race-free like conditional create: N concurrent calls with the same search end
   * with one resource and N versions. https://hl7.org/fhir/R4/http.html#cond-update
   */
  conditionalUpdate(resource: Resource, query: SearchQuery, options?: UpdateOptions): Promise<UpdateResult>;
  history(query: HistoryQuery): Promise<HistoryResult>;
  /**
   * Searches. `AuditEvent` is answered from the audit trail (see `appendAudit`): date, agent, entity, action,
   * outcome, subtype and _id only; any other parameter is a 400.
   */
  search(query: SearchQuery): Promise<SearchResult>;
  /**
   * Appends AuditEvents to the append-only audit trail, all in one write (one commit). The trail is kept apart
   * from the versioned resources (no history, no generic index rows); `read` and `search` on `AuditEvent` answer
   * from it, `create` of an AuditEvent appends to it, and `update`/`delete` of one are refused.
   */
  appendAudit(events: readonly AuditEntry[]): Promise<void>;
  /**
   * Claims a one-time key (a client assertion's `jti`) until `expiresAt` (epoch ms): true the first time, false
   * while an unexpired claim of the same key exists. Durable and atomic for every process sharing the store, so a
   * key used once is still refused after a restart and by the other servers on the same database. Expired claims
   * are pruned.
   */
  claimOnce(key: string, expiresAt: number): Promise<boolean>;
  /**
   * Runs `work` atomically: every write made through the `tx` store commits together or not at all
   * (the promise rejects with the error `work` threw, after rolling back). Nested calls join the outer one.
   * Inside `work` use only `tx`: other callers' operations (and calls on the outer store) wait until the
   * transaction ends, so calling the outer store from `work` would wait forever.
   */
  transaction<T>(work: (tx: ResourceStore) => Promise<T>): Promise<T>;
  /** Where the data lives, for logs and the status page (e.g. `sqlite:./data/fhir.db`). */
  describe(): string;
  close(): Promise<void>;
}

type WriteMethods = 'create' | 'update' | 'conditionalUpdate' | 'delete' | 'transaction';

/**
 * A store that answers reads, searches and bookkeeping from `store` and writes through `writes` (each given write
 * replacing the store's own): how the HTTP layer decorates writes (their AuditEvents, their commit waits) without
 * restating the rest of the interface.
 */
export function withWrites(store: ResourceStore, writes: Partial<Pick<ResourceStore, WriteMethods>>): ResourceStore {
  return {
    read: (type, id) => store.read(type, id),
    vread: (type, id, v) => store.vread(type, id, v),
    history: (q) => store.history(q),
    search: (q) => store.search(q),
    appendAudit: (events) => store.appendAudit(events),
    claimOnce: (key, expiresAt) => store.claimOnce(key, expiresAt),
    describe: () => store.describe(),
    close: () => store.close(),
    transaction: (work) => store.transaction(work),
    create: (resource, options) => store.create(resource, options),
    update: (resource, options) => store.update(resource, options),
    conditionalUpdate: (resource, query, options) => store.conditionalUpdate(resource, query, options),
    delete: (type, id, options) => store.delete(type, id, options),
    ...writes,
  };
}
