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

/** Each index table, its columns before `rk`, and a row's values for them. */
const INDEX_TABLES: ReadonlyArray<{
  table: string;
  cols: readonly string[];
  rows: (i: ResourceIndex) => Array<{ param: string; values: unknown[] }>;
}> = [
  {
    table: 'idx_token',
    cols: ['code', 'system'],
    rows: (i) => i.token.map((r) => ({ param: r.param, values: [r.code, r.system] })),
  },
  {
    table: 'idx_string',
    cols: ['value', 'exact'],
    rows: (i) => i.string.map((r) => ({ param: r.param, values: [r.value, r.exact] })),
  },
  {
    table: 'idx_date',
    cols: ['low', 'high'],
    rows: (i) => i.date.map((r) => ({ param: r.param, values: [r.low, r.high] })),
  },
  { table: 'idx_number', cols: ['value'], rows: (i) => i.number.map((r) => ({ param: r.param, values: [r.value] })) },
  {
    table: 'idx_quantity',
    cols: ['value', 'system', 'code', 'unit'],
    rows: (i) => i.quantity.map((r) => ({ param: r.param, values: [r.value, r.system, r.code, r.unit] })),
  },
  {
    table: 'idx_reference',
    cols: ['ref_id', 'ref_type', 'url'],
    rows: (i) => i.reference.map((r) => ({ param: r.param, values: [r.id, r.type, r.url] })),
  },
  { table: 'idx_uri', cols: ['value'], rows: (i) => i.uri.map((r) => ({ param: r.param, values: [r.value] })) },
];

/** Each table's SQL, made once (a statement's text built per write was a string and a hash per table per write). */
const INDEX_SQL = INDEX_TABLES.map(({ table, cols, rows }) => {
  const all = ['pid', ...cols];
  return {
    all,
    rows,
    select: `SELECT ${all.join(', ')} FROM ${table} WHERE rk = ?`,
    remove: `DELETE FROM ${table} WHERE ${all.map((c) => `${c} = ?`).join(' AND ')} AND rk = ?`,
    insert: `INSERT OR IGNORE INTO ${table} (${all.join(', ')}, rk) VALUES (${all.map(() => '?').join(', ')}, ?)`,
  };
});

/**
 * Writes the index rows of a resource. For a resource that had rows (an update), only the rows that changed are
 * deleted and inserted: a re-push that changes one field rewrites that field's rows, not the whole index. A new
 * resource's rows go straight in: each table's key is the whole row, so `INSERT OR IGNORE` drops a repeated row
 * as the de-duplication an update needs would have.
 */
function writeIndex(ctx: StoreContext, resourceType: string, rk: number, index: ResourceIndex, hadRows: boolean): void {
  for (const { all, rows, select, remove: removeSql, insert: insertSql } of INDEX_SQL) {
    const list = rows(index);
    if (list.length === 0 && !hadRows) continue;
    const insert = ctx.stmt(insertSql);
    if (!hadRows) {
      for (const r of list)
        insert.run(ctx.pids.intern(resourceType, r.param), ...(r.values as Array<string | number>), rk);
      continue;
    }
    const wanted = new Map<string, unknown[]>();
    for (const r of list) {
      const values = [ctx.pids.intern(resourceType, r.param), ...r.values];
      wanted.set(JSON.stringify(values), values);
    }
    const current = ctx.stmt(select).all(rk);
    const remove = ctx.stmt(removeSql);
    for (const row of current) {
      const values = all.map((c) => row[c]);
      const key = JSON.stringify(values);
      if (wanted.has(key)) wanted.delete(key);
      else remove.run(...(values as Array<string | number>), rk);
    }
    for (const values of wanted.values()) insert.run(...(values as Array<string | number>), rk);
  }
  noteDates(ctx, resourceType, index);
}

/** Keeps `date_stats` (schema.ts) up to date with this resource's date rows: distinct rows and widest, per pid. */
function noteDates(ctx: StoreContext, resourceType: string, index: ResourceIndex): void {
  if (index.date.length === 0) return;
  const perParam = new Map<string, { span: number; rows: Set<string> }>();
  for (const r of index.date) {
    const p = perParam.get(r.param) ?? { span: 0, rows: new Set<string>() };
    p.span = Math.min(Math.max(p.span, r.high - r.low), Number.MAX_SAFE_INTEGER); // open periods: ~1.7e16
    p.rows.add(`${r.low}/${r.high}`);
    perParam.set(r.param, p);
  }
  for (const [param, p] of perParam) ctx.pids.noteDates(ctx.pids.intern(resourceType, param), p.span, p.rows.size);
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
  } else {
    rk = Number(
      ctx
        .stmt(
          'INSERT INTO resources (rtype, id, version, seq, created_seq, last_updated, deleted) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(w.resourceType, w.id, w.version, seq, seq, w.lastUpdated, deleted).lastInsertRowid,
    );
  }
  if (w.index) writeIndex(ctx, w.resourceType, rk, w.index, w.existing !== undefined);
  return seq;
}
