/**
 * The SQLite schema: one row per resource (current state), one row per version (history, holding the JSON once),
 * and one index table per search parameter type. The history row id is the store's global, monotonic write
 * sequence, which search and history paging use as a snapshot marker.
 *
 * Index tables are WITHOUT ROWID with a primary key that starts with the parameter id and the value, so that a
 * search is an index range scan, plus an (rk, pid) index for rewrites, `:missing` and `_sort`. Where an
 * equality search is common (token code, reference type/id, exact string) the row key follows the equality
 * columns, so matches come out in row-key order and a page stops after `_count` rows however many match.
 */
import { DatabaseSync } from 'node:sqlite';
import { AUDIT_DDL, AUDIT_LATE_DDL, AUDIT_MIGRATIONS } from './audit.ts';
import { NONCE_DDL } from './nonces.ts';

/** 2: `date_stats` (per date parameter: its widest row, and whether a resource has several; see below). */
export const SCHEMA_VERSION = 2;

const DDL = `
CREATE TABLE IF NOT EXISTS history (
  seq INTEGER PRIMARY KEY,
  rtype TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  method TEXT NOT NULL,
  content TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS history_version ON history(rtype, id, version);
CREATE INDEX IF NOT EXISTS history_type ON history(rtype, seq);

CREATE TABLE IF NOT EXISTS resources (
  rk INTEGER PRIMARY KEY,
  rtype TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  created_seq INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS resources_id ON resources(rtype, id);
CREATE INDEX IF NOT EXISTS resources_type ON resources(rtype);
CREATE INDEX IF NOT EXISTS resources_updated ON resources(rtype, last_updated);

CREATE TABLE IF NOT EXISTS search_params (
  pid INTEGER PRIMARY KEY,
  rtype TEXT NOT NULL,
  code TEXT NOT NULL,
  UNIQUE (rtype, code)
);

CREATE TABLE IF NOT EXISTS idx_token (
  pid INTEGER NOT NULL, code TEXT NOT NULL, system TEXT NOT NULL, rk INTEGER NOT NULL,
  PRIMARY KEY (pid, code, rk, system)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_token_rk ON idx_token(rk, pid);

CREATE TABLE IF NOT EXISTS idx_string (
  pid INTEGER NOT NULL, value TEXT NOT NULL, exact TEXT NOT NULL, rk INTEGER NOT NULL,
  PRIMARY KEY (pid, value, exact, rk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_string_rk ON idx_string(rk, pid);

CREATE TABLE IF NOT EXISTS idx_date (
  pid INTEGER NOT NULL, low INTEGER NOT NULL, high INTEGER NOT NULL, rk INTEGER NOT NULL,
  PRIMARY KEY (pid, low, high, rk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_date_high ON idx_date(pid, high);
CREATE INDEX IF NOT EXISTS idx_date_rk ON idx_date(rk, pid);
-- Per date parameter, facts that only grow (search-date-driver.ts uses them): \`span\`, the widest row
-- (high - low) ever indexed, so that a row with high > H has low > H - span, which bounds a date-range search
-- to a range of the (pid, low) key; \`multi\` = 1 once some resource had two or more rows under it.
CREATE TABLE IF NOT EXISTS date_stats (
  pid INTEGER PRIMARY KEY, span INTEGER NOT NULL, multi INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS idx_number (
  pid INTEGER NOT NULL, value REAL NOT NULL, rk INTEGER NOT NULL,
  PRIMARY KEY (pid, value, rk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_number_rk ON idx_number(rk, pid);

CREATE TABLE IF NOT EXISTS idx_quantity (
  pid INTEGER NOT NULL, value REAL NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, unit TEXT NOT NULL,
  rk INTEGER NOT NULL,
  PRIMARY KEY (pid, value, system, code, unit, rk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_quantity_rk ON idx_quantity(rk, pid);

CREATE TABLE IF NOT EXISTS idx_reference (
  pid INTEGER NOT NULL, ref_id TEXT NOT NULL, ref_type TEXT NOT NULL, url TEXT NOT NULL, rk INTEGER NOT NULL,
  PRIMARY KEY (pid, ref_id, ref_type, url, rk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_reference_rk ON idx_reference(rk, pid);

CREATE TABLE IF NOT EXISTS idx_uri (
  pid INTEGER NOT NULL, value TEXT NOT NULL, rk INTEGER NOT NULL,
  PRIMARY KEY (pid, value, rk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_uri_rk ON idx_uri(rk, pid);
`;

const BACKFILL_DATE_STATS = `INSERT OR REPLACE INTO date_stats (pid, span, multi)
  SELECT pid, MIN(MAX(span), 9007199254740991), MAX(n > 1) FROM (SELECT pid, MAX(high - low) AS span, COUNT(*) AS n FROM idx_date GROUP BY pid, rk)
  GROUP BY pid`;

/** Index tables, keyed by search parameter type. */
export const INDEX_TABLES = {
  token: 'idx_token',
  string: 'idx_string',
  date: 'idx_date',
  number: 'idx_number',
  quantity: 'idx_quantity',
  reference: 'idx_reference',
  uri: 'idx_uri',
} as const;

export type IndexedType = keyof typeof INDEX_TABLES;

export interface OpenOptions {
  path: string;
  synchronous: 'FULL' | 'NORMAL';
}

/**
 * Opens (and creates or migrates) the database. Files use WAL: readers never block the writer and a commit is
 * one append, and `synchronous=FULL` makes each commit durable before it is acknowledged.
 * https://www.sqlite.org/wal.html
 */
export function openDatabase(options: OpenOptions): DatabaseSync {
  const db = new DatabaseSync(options.path);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    if (options.path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.exec('PRAGMA foreign_keys = OFF');
    // Index pages of a 100k-resource store do not fit the 2 MB default cache; misses dominate write cost.
    db.exec('PRAGMA cache_size = -65536');
    db.exec('BEGIN IMMEDIATE');
    const version = Number(db.prepare('PRAGMA user_version').get()?.user_version ?? 0);
    db.exec(DDL);
    db.exec(AUDIT_DDL);
    db.exec(NONCE_DDL);
    const columns = new Set(
      db
        .prepare('PRAGMA table_info(audit_events)')
        .all()
        .map((c) => String(c.name)),
    );
    for (const m of AUDIT_MIGRATIONS) if (!columns.has(m.column)) db.exec(m.sql);
    db.exec(AUDIT_LATE_DDL);
    // A store made before version 2 has date rows but no stats: take them from the rows, once.
    if (version < 2) db.exec(BACKFILL_DATE_STATS);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    db.close();
    throw err;
  }
  return db;
}
