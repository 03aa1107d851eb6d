/**
 * What every SQLite store operation works with: the connection, a cache of prepared statements, the search
 * parameter id cache, and the injected clock and id generator. One context per store; nothing module-global.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export interface ParamIds {
  /** The id of a (type, code) search parameter, or undefined when nothing was ever indexed under it. */
  lookup(resourceType: string, code: string): number | undefined;
  /** The id of a (type, code) search parameter, creating it (inside the caller's transaction) if needed. */
  intern(resourceType: string, code: string): number;
  /**
   * Records that one resource has `rows` date rows under `pid`, the widest `span` wide (`date_stats` in
   * schema.ts), inside the caller's transaction. Writes only what this connection has not written yet.
   */
  noteDates(pid: number, span: number, rows: number): void;
  /** The date facts of `pid`, or undefined when nothing was ever indexed under it. */
  dateStats(pid: number): DateStats | undefined;
  /** Forgets cached ids and spans: after a rollback some of them may no longer exist. */
  reset(): void;
}

export interface DateStats {
  /** The widest row (high - low) ever indexed. */
  span: number;
  /** Some resource had (or has) several rows under this parameter. */
  multi: boolean;
}

export interface StoreContext {
  db: DatabaseSync;
  /** Prepared statement for `sql`, prepared once per store. */
  stmt(sql: string): StatementSync;
  pids: ParamIds;
  now: () => Date;
  newId: () => string;
}

function createParamIds(stmt: (sql: string) => StatementSync): ParamIds {
  const cache = new Map<string, number>();
  // What this connection has written to date_stats per pid (a wider row, or a first multi, writes again).
  const dates = new Map<number, DateStats>();
  const lookup = (resourceType: string, code: string): number | undefined => {
    const key = `${resourceType}\u0000${code}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const row = stmt('SELECT pid FROM search_params WHERE rtype = ? AND code = ?').get(resourceType, code);
    if (!row) return undefined;
    cache.set(key, Number(row.pid));
    return Number(row.pid);
  };
  return {
    lookup,
    intern(resourceType, code) {
      const found = lookup(resourceType, code);
      if (found !== undefined) return found;
      const pid = Number(
        stmt('INSERT INTO search_params (rtype, code) VALUES (?, ?)').run(resourceType, code).lastInsertRowid,
      );
      cache.set(`${resourceType}\u0000${code}`, pid);
      return pid;
    },
    noteDates(pid, span, rows) {
      const known = dates.get(pid);
      const multi = rows > 1 || known?.multi === true;
      if (known && known.span >= span && known.multi === multi) return;
      const wider = Math.max(span, known?.span ?? span);
      stmt(
        'INSERT INTO date_stats (pid, span, multi) VALUES (?, ?, ?) ' +
          'ON CONFLICT(pid) DO UPDATE SET span = MAX(span, excluded.span), multi = MAX(multi, excluded.multi)',
      ).run(pid, wider, multi ? 1 : 0);
      dates.set(pid, { span: wider, multi });
    },
    dateStats(pid) {
      const row = stmt('SELECT span, multi FROM date_stats WHERE pid = ?').get(pid);
      return row ? { span: Number(row.span), multi: Number(row.multi) !== 0 } : undefined;
    },
    reset() {
      cache.clear();
      dates.clear();
    },
  };
}

export function createContext(db: DatabaseSync, now: () => Date, newId: () => string): StoreContext {
  const statements = new Map<string, StatementSync>();
  const stmt = (sql: string): StatementSync => {
    let s = statements.get(sql);
    if (!s) {
      // Search SQL varies with the query's shape; bound the cache rather than keep every shape ever seen.
      if (statements.size >= 1000) statements.clear();
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  return { db, stmt, pids: createParamIds(stmt), now, newId };
}

/**
 * Runs `fn` inside a savepoint: on its own it is one transaction (committed on return), inside a larger
 * transaction it is an atomic step that a failure undoes without undoing the rest.
 * https://www.sqlite.org/lang_savepoint.html
 */
export function atomically<T>(ctx: StoreContext, fn: () => T): T {
  ctx.db.exec('SAVEPOINT step');
  try {
    const result = fn();
    ctx.db.exec('RELEASE step');
    return result;
  } catch (err) {
    ctx.db.exec('ROLLBACK TO step');
    ctx.db.exec('RELEASE step');
    ctx.pids.reset();
    throw err;
  }
}
