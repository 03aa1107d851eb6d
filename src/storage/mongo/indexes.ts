/**
 * The indexes the adapter creates at start-up (`createIndex` is idempotent: an existing index with the same
 * name and keys is left alone). docs/mongodb.md gives the reasoning for each one.
 * https://www.mongodb.com/docs/manual/reference/method/db.collection.createIndex/
 */
import { AUDIT_INDEXES } from './audit.ts';
import type { IndexSpec, StoreCollections } from './collection.ts';
import { NONCE_INDEXES } from './nonces.ts';

/** Indexes on `resources` (besides `_id` = `Type/id`, which answers read, update, delete, `_id` and `_include`). */
export const RESOURCE_INDEXES: readonly IndexSpec[] = [
  // Type listing and paging in default order, and the snapshot / liveness conditions.
  { name: 'type_order', keys: { t: 1, del: 1, rk: 1 } },
  { name: 'type_last_updated', keys: { t: 1, lu: 1 } },
  // One compound multikey index per index array: type, parameter, then the compared values.
  { name: 'ix_token', keys: { t: 1, 'ix.tk.p': 1, 'ix.tk.c': 1, 'ix.tk.s': 1 } },
  { name: 'ix_string', keys: { t: 1, 'ix.st.p': 1, 'ix.st.v': 1 } },
  { name: 'ix_date', keys: { t: 1, 'ix.dt.p': 1, 'ix.dt.lo': 1, 'ix.dt.hi': 1 } },
  { name: 'ix_number', keys: { t: 1, 'ix.nm.p': 1, 'ix.nm.v': 1 } },
  { name: 'ix_quantity', keys: { t: 1, 'ix.qt.p': 1, 'ix.qt.v': 1 } },
  { name: 'ix_reference', keys: { t: 1, 'ix.rf.p': 1, 'ix.rf.i': 1, 'ix.rf.t': 1, 'ix.rf.u': 1 } },
  { name: 'ix_uri', keys: { t: 1, 'ix.ur.p': 1, 'ix.ur.v': 1 } },
  // Conditional create: at most one resource holds a given If-None-Exist key.
  { name: 'conditional_key', keys: { ck: 1 }, unique: true, partialFilterExpression: { ck: { $exists: true } } },
];

/** Indexes on `history` (besides `_id` = sequence, which answers system history newest first). */
export const HISTORY_INDEXES: readonly IndexSpec[] = [
  // vread, instance history; unique: two writers can never both store version n of a resource.
  { name: 'version', keys: { t: 1, id: 1, v: 1 }, unique: true },
  { name: 'type_seq', keys: { t: 1, _id: -1 } },
];

/** Creates every index; safe to run at each start. */
export async function ensureIndexes(cols: StoreCollections): Promise<void> {
  for (const spec of RESOURCE_INDEXES) await cols.resources.createIndex(spec);
  for (const spec of HISTORY_INDEXES) await cols.history.createIndex(spec);
  for (const spec of AUDIT_INDEXES) await cols.audit.createIndex(spec);
  for (const spec of NONCE_INDEXES) await cols.nonces.createIndex(spec);
}
