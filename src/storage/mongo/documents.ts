/**
 * The shapes of the adapter's MongoDB documents. The resource JSON is kept as text (`json`), not as a BSON
 * subdocument: decimals keep their source text (`1.50`), and keys a client may send (`$where`, `a.b`) are never
 * field names MongoDB could read as operators or paths. Searches never look inside `json`; they use `ix`.
 * See docs/decisions/0020-mongodb-document-model.md.
 */
import type { IndexFields, SortKeys } from './index-fields.ts';

/** One resource's current state (live or deleted) and its search index. `_id` is `Type/id`. */
export interface ResourceDoc {
  [key: string]: unknown;
  _id: string;
  /** Resource type. */
  t: string;
  id: string;
  /** Patient-compartment key (patient-key.ts): the suggested shard key, shared with the history documents. */
  pk: string;
  /** Current version number. */
  v: number;
  /** Sequence number of the current version (the history `_id`): the optimistic-concurrency token. */
  seq: number;
  /** Sequence number of the first version ever written: the stable default order and tie-breaker. */
  rk: number;
  /** Sequence number at which the resource (last) came into existence: creation, or revival after delete. */
  cs: number;
  /** 0 while live; the sequence number of the deletion otherwise. */
  del: number;
  /** meta.lastUpdated as epoch milliseconds. */
  lu: number;
  /** The stored resource JSON; absent once deleted. */
  json?: string;
  /** Search index values, kept after a delete so that pages of an older snapshot do not shift. */
  ix: IndexFields;
  /** Per-parameter sort keys for `_sort`. */
  sk: SortKeys;
  /** Conditional-create key, present only until the resource is next written (unique, see conditional-key.ts). */
  ck?: string;
}

/** One version. `_id` is the global sequence number. */
export interface HistoryDoc {
  [key: string]: unknown;
  _id: number;
  t: string;
  id: string;
  /** The resource document's `pk` at this version, so that a write's two documents share a shard. */
  pk: string;
  v: number;
  lu: number;
  m: 'POST' | 'PUT' | 'DELETE';
  /** Absent for deletion markers. */
  json?: string;
}

/** The write sequence: `{ _id: 'seq', n }`, advanced with `$inc`. */
export interface CounterDoc {
  [key: string]: unknown;
  _id: string;
  n: number;
}

/** The `_id` of a resource document. */
export function resourceKey(resourceType: string, id: string): string {
  return `${resourceType}/${id}`;
}
