/**
 * The audit trail on SQLite: `audit_events` (one row per event: JSON plus the searched columns) and
 * `audit_entities` (one row per entity reference). Appending is a few inserts into narrow tables instead of a
 * versioned resource with an index row per search parameter, and it runs in the same transaction as the write
 * it records (sqlite-store.ts: just before the group's COMMIT, or in the write's step of a transaction), so both
 * commit together. An event's id is its sequence number (never reused: the
 * trail is append-only), so no random key has to be indexed; id and meta are added to the JSON when it is read.
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import type { SQLInputValue } from 'node:sqlite';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { AuditEntry } from '../../audit/audit-event.ts';
import { auditRow, auditSearchOf, renderStoredAudit, stamp, type AuditCondition } from '../audit-trail.ts';
import { allResourceTypes } from '../../fhir/base-definitions.ts';
import { parseStoredResource } from '../stored-json.ts';
import type { ReadResult, SearchResult } from '../store.ts';
import type { StoreContext } from './context.ts';

export const AUDIT_DDL = `
CREATE TABLE IF NOT EXISTS audit_events (
  seq INTEGER PRIMARY KEY,
  stored_at INTEGER NOT NULL,
  recorded INTEGER NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  subtype_system TEXT NOT NULL,
  subtype_code TEXT NOT NULL,
  agent_type TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  content TEXT NOT NULL,
  hseq INTEGER
);
CREATE INDEX IF NOT EXISTS audit_events_recorded ON audit_events(recorded);
CREATE INDEX IF NOT EXISTS audit_events_agent ON audit_events(agent_id, seq);
CREATE TABLE IF NOT EXISTS audit_entities (
  ref_id TEXT NOT NULL, ref_type TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (ref_id, ref_type, seq)
) WITHOUT ROWID;
`;

/**
 * Added to a trail made by an earlier build (which found write events through `audit_entities` only). The
 * partial index holds write events only, in write order: appending to it touches its last page, where a row of
 * `audit_entities` lands at a random place of a large index (a resource id is random).
 */
export const AUDIT_MIGRATIONS = [{ column: 'hseq', sql: 'ALTER TABLE audit_events ADD COLUMN hseq INTEGER' }] as const;
export const AUDIT_LATE_DDL =
  'CREATE INDEX IF NOT EXISTS audit_events_hseq ON audit_events(hseq) WHERE hseq IS NOT NULL;';

/** The version a write wrote: its own AuditEvent names it through `hseq` (searched through `history`). */
export interface WrittenVersion {
  type: string;
  id: string;
  /** The history sequence number of the version written (or of the deletion). */
  hseq: number;
}

/** `Type/id` and the history sequence number the write handed back (resource-ops.ts `Versioned`). */
export function versionOf(reference: string, hseq: number): WrittenVersion {
  const slash = reference.indexOf('/');
  return { type: reference.slice(0, slash), id: reference.slice(slash + 1), hseq };
}

/**
 * Appends events; synchronous, to run inside the caller's job (one commit with it). Returns how to get each
 * stored event (only a create of an AuditEvent through the API looks at it). `written` is the version a write's
 * own event describes: that entity is then kept as the event's `hseq` (searched through `history`) instead of
 * an `audit_entities` row.
 */
export function appendAuditRows(
  ctx: StoreContext,
  events: readonly AuditEntry[],
  written?: WrittenVersion,
): Array<() => AuditEvent> {
  const insert = ctx.stmt(
    'INSERT INTO audit_events (stored_at, recorded, action, outcome, subtype_system, subtype_code, agent_type, agent_id, content, hseq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const entity = ctx.stmt('INSERT OR IGNORE INTO audit_entities (ref_id, ref_type, seq) VALUES (?, ?, ?)');
  const now = ctx.now();
  return events.map((event) => {
    const row = auditRow(event, undefined, now);
    const seq = insert.run(
      now.getTime(),
      row.recorded,
      row.action,
      row.outcome,
      row.subtypeSystem,
      row.subtypeCode,
      row.agent.type,
      row.agent.id,
      row.json,
      written ? written.hseq : null,
    ).lastInsertRowid;
    for (const e of row.entities)
      if (!written || e.id !== written.id || e.type !== written.type) entity.run(e.id, e.type, seq);
    return () => stamp(row.stored(), String(seq), now.getTime());
  });
}

function eventOf(row: Record<string, unknown>): AuditEvent {
  return stamp(renderStoredAudit(parseStoredResource(String(row.content))), String(row.seq), Number(row.stored_at));
}

export function readAudit(ctx: StoreContext, id: string): ReadResult {
  const row = /^[1-9][0-9]{0,15}$/.test(id)
    ? ctx.stmt('SELECT seq, stored_at, content FROM audit_events WHERE seq = ?').get(Number(id))
    : undefined;
  return row ? { status: 'found', resource: eventOf(row) } : { status: 'missing' };
}

let anyType: string | undefined;
/** Every R4 resource type, as SQL literals (names of letters only: safe to inline); made on first use. */
const anyTypeSql = (): string =>
  (anyType ??= [...allResourceTypes()]
    .filter((t) => /^[A-Za-z]+$/.test(t))
    .map((t) => `'${t}'`)
    .join(', '));

function conditionSql(c: AuditCondition): { sql: string; params: SQLInputValue[] } {
  const or = (parts: string[]) => `(${parts.length ? parts.join(' OR ') : '0'})`;
  switch (c.column) {
    case 'id':
      return {
        sql: or(c.values.map(() => 'a.seq = ?')),
        params: c.values.map((v) => (/^[1-9][0-9]{0,15}$/.test(v) ? Number(v) : -1)),
      };
    case 'action':
    case 'outcome':
      return { sql: or(c.values.map(() => `a.${c.column} = ?`)), params: c.values };
    case 'subtype':
      return {
        sql: or(
          c.values.map((v) => (v.system ? '(a.subtype_code = ? AND a.subtype_system = ?)' : 'a.subtype_code = ?')),
        ),
        params: c.values.flatMap((v) => (v.system ? [v.code, v.system] : [v.code])),
      };
    case 'agent':
      return {
        sql: or(c.values.map((v) => (v.type ? '(a.agent_id = ? AND a.agent_type = ?)' : 'a.agent_id = ?'))),
        params: c.values.flatMap((v) => (v.type ? [v.id, v.type] : [v.id])),
      };
    case 'entity': {
      // A write's own event names what it wrote through `hseq` (a version in `history`); other events through
      // `audit_entities`. An untyped id is looked up under every resource type (the history index leads by type).
      const params = c.values.flatMap((v) => (v.type ? [v.id, v.type] : [v.id]));
      const versions = c.values.map((v) =>
        v.type ? '(h.id = ? AND h.rtype = ?)' : `(h.id = ? AND h.rtype IN (${anyTypeSql()}))`,
      );
      return {
        sql: `(a.seq IN (SELECT e.seq FROM audit_entities e WHERE ${or(c.values.map((v) => (v.type ? '(e.ref_id = ? AND e.ref_type = ?)' : 'e.ref_id = ?')))}) OR a.hseq IN (SELECT h.seq FROM history h WHERE ${or(versions)}))`,
        params: [...params, ...params],
      };
    }
    case 'recorded':
      return {
        sql: or(
          c.values.map(
            (v) =>
              [v.low !== undefined ? 'a.recorded >= ?' : '', v.high !== undefined ? 'a.recorded < ?' : '']
                .filter(Boolean)
                .join(' AND ') || '1',
          ),
        ),
        params: c.values.flatMap((v) => [v.low, v.high].filter((x): x is number => x !== undefined)),
      };
  }
}

/** Runs a search on AuditEvent over the trail, paged inside a snapshot of its sequence. */
export function searchAudit(ctx: StoreContext, query: SearchQuery): SearchResult {
  const search = auditSearchOf(query);
  const snapshot =
    query.snapshot ?? Number(ctx.stmt('SELECT COALESCE(MAX(seq), 0) AS s FROM audit_events').get()?.s ?? 0);
  const parts = ['a.seq <= ?'];
  const params: SQLInputValue[] = [snapshot];
  for (const c of search.conditions) {
    const w = conditionSql(c);
    parts.push(w.sql);
    params.push(...w.params);
  }
  const where = parts.join(' AND ');
  const total =
    query.total === 'accurate' || query.summaryCount
      ? Number(ctx.stmt(`SELECT COUNT(*) AS n FROM audit_events a WHERE ${where}`).get(...params)?.n ?? 0)
      : undefined;
  if (query.summaryCount)
    return { resources: [], included: [], ...(total !== undefined ? { total } : {}), snapshot, hasMore: false };
  const dir = search.descending ? 'DESC' : 'ASC';
  const order = search.byDate ? `a.recorded ${dir}, a.seq ${dir}` : `a.seq ${dir}`;
  const rows = ctx
    .stmt(`SELECT a.seq, a.stored_at, a.content FROM audit_events a WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .all(...params, query.count + 1, query.offset);
  const resources = rows.slice(0, query.count).map(eventOf);
  return {
    resources,
    included: [],
    ...(total !== undefined ? { total } : {}),
    snapshot,
    hasMore: rows.length > query.count,
  };
}
