/**
 * Writes one version of a resource: the history row (whose id is the new global sequence number), the current
 * row, and the search index rows, all in the caller's transaction.
 */
import type { ResourceIndex } from '../../fhir/search/index-values.ts';
import type { StoreContext } from './context.ts';

export interface CurrentRow {
  rk: number;
  version: number;
  seq: number;
  lastUpdated: number;
  /** 0 when live, else the sequence number of the deletion. */
  deleted: number;
}

/** The current row of a resource, if it ever existed. */
export function currentRow(ctx: StoreContext, resourceType: string, id: string): CurrentRow | undefined {
  const row = ctx
    .stmt('SELECT rk, version, seq, last_updated, deleted FROM resources WHERE rtype = ? AND id = ?')
    .get(resourceType, id);
  if (!row) return undefined;
  return {
    rk: Number(row.rk),
    version: Number(row.version),
    seq: Number(row.seq),
    lastUpdated: Number(row.last_updated),
    deleted: Number(row.deleted),
  };
}

export interface VersionWrite {
  resourceType: string;
  id: string;
  version: number;
  lastUpdated: number;
  method: 'POST' | 'PUT' | 'DELETE';
  /** The stored JSON (with meta set); absent for a deletion. */
  json?: string;
  /** Index rows of the new content; absent for a deletion (the last rows stay for stable paging). */
  index?: ResourceIndex;
  existing?: CurrentRow;
}

const INDEX_DELETES = ['token', 'string', 'date', 'number', 'quantity', 'reference', 'uri'].map(
  (t) => `DELETE FROM idx_${t} WHERE rk = ?`,
);

function insertIndex(ctx: StoreContext, resourceType: string, rk: number, index: ResourceIndex): void {
  const pid = (code: string): number => ctx.pids.intern(resourceType, code);
  const token = ctx.stmt('INSERT OR IGNORE INTO idx_token (pid, code, system, rk) VALUES (?, ?, ?, ?)');
  for (const r of index.token) token.run(pid(r.param), r.code, r.system, rk);
  const str = ctx.stmt('INSERT OR IGNORE INTO idx_string (pid, value, exact, rk) VALUES (?, ?, ?, ?)');
  for (const r of index.string) str.run(pid(r.param), r.value, r.exact, rk);
  const date = ctx.stmt('INSERT OR IGNORE INTO idx_date (pid, low, high, rk) VALUES (?, ?, ?, ?)');
  for (const r of index.date) date.run(pid(r.param), r.low, r.high, rk);
  const num = ctx.stmt('INSERT OR IGNORE INTO idx_number (pid, value, rk) VALUES (?, ?, ?)');
  for (const r of index.number) num.run(pid(r.param), r.value, rk);
  const qty = ctx.stmt(
    'INSERT OR IGNORE INTO idx_quantity (pid, value, system, code, unit, rk) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (const r of index.quantity) qty.run(pid(r.param), r.value, r.system, r.code, r.unit, rk);
  const ref = ctx.stmt('INSERT OR IGNORE INTO idx_reference (pid, ref_id, ref_type, url, rk) VALUES (?, ?, ?, ?, ?)');
  for (const r of index.reference) ref.run(pid(r.param), r.id, r.type, r.url, rk);
  const uri = ctx.stmt('INSERT OR IGNORE INTO idx_uri (pid, value, rk) VALUES (?, ?, ?)');
  for (const r of index.uri) uri.run(pid(r.param), r.value, rk);
}

/** Writes the version; returns its sequence number. Call inside `atomically`. */
export function writeVersion(ctx: StoreContext, w: VersionWrite): number {
  const seq = Number(
    ctx
      .stmt('INSERT INTO history (rtype, id, version, last_updated, method, content) VALUES (?, ?, ?, ?, ?, ?)')
      .run(w.resourceType, w.id, w.version, w.lastUpdated, w.method, w.json ?? null).lastInsertRowid,
  );
  const deleted = w.method === 'DELETE' ? seq : 0;
  let rk: number;
  if (w.existing) {
    rk = w.existing.rk;
    // A revived (previously deleted) resource counts as new for stable paging.
    const createdSeq = w.existing.deleted !== 0 ? seq : null;
    ctx
      .stmt(
        'UPDATE resources SET version = ?, seq = ?, last_updated = ?, deleted = ?, created_seq = COALESCE(?, created_seq) WHERE rk = ?',
      )
      .run(w.version, seq, w.lastUpdated, deleted, createdSeq, rk);
    if (w.index) for (const sql of INDEX_DELETES) ctx.stmt(sql).run(rk);
  } else {
    rk = Number(
      ctx
        .stmt(
          'INSERT INTO resources (rtype, id, version, seq, created_seq, last_updated, deleted) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(w.resourceType, w.id, w.version, seq, seq, w.lastUpdated, deleted).lastInsertRowid,
    );
  }
  if (w.index) insertIndex(ctx, w.resourceType, rk, w.index);
  return seq;
}
