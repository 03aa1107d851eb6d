/**
 * The audit trail on SQLite: `audit_events` (one row per event: JSON plus the searched columns) and
 * `audit_entities` (one row per entity reference). Appending is a few inserts into narrow tables instead of a
 * versioned resource with an index row per search parameter, and it runs inside the same job as the write it
 * records (resource-ops.ts), so both commit together.
 */
import type { AuditEvent } from '@medplum/fhirtypes';
import type { SQLInputValue } from 'node:sqlite';
import type { SearchQuery } from '../../fhir/search/query.ts';
import { auditRow, auditSearchOf, type AuditCondition } from '../audit-trail.ts';
import { parseStoredResource } from '../stored-json.ts';
import type { ReadResult, SearchResult } from '../store.ts';
import type { StoreContext } from './context.ts';

export const AUDIT_DDL = `
CREATE TABLE IF NOT EXISTS audit_events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  recorded INTEGER NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  subtype_system TEXT NOT NULL,
  subtype_code TEXT NOT NULL,
  agent_type TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  content TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_recorded ON audit_events(recorded);
CREATE INDEX IF NOT EXISTS audit_events_agent ON audit_events(agent_id, seq);
CREATE TABLE IF NOT EXISTS audit_entities (
  ref_id TEXT NOT NULL, ref_type TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (ref_id, ref_type, seq)
) WITHOUT ROWID;
`;

/** Appends events; synchronous, to run inside the caller's job (one commit with it). */
export function appendAuditRows(ctx: StoreContext, events: readonly AuditEvent[]): AuditEvent[] {
  const insert = ctx.stmt(
    'INSERT INTO audit_events (id, recorded, action, outcome, subtype_system, subtype_code, agent_type, agent_id, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const entity = ctx.stmt('INSERT OR IGNORE INTO audit_entities (ref_id, ref_type, seq) VALUES (?, ?, ?)');
  const now = ctx.now();
  return events.map((event) => {
    const row = auditRow(event, ctx.newId(), now);
    const seq = insert.run(row.id, row.recorded, row.action, row.outcome, row.subtypeSystem, row.subtypeCode, row.agent.type, row.agent.id, row.json).lastInsertRowid;
    for (const e of row.entities) entity.run(e.id, e.type, seq);
    return row.stored;
  });
}

export function readAudit(ctx: StoreContext, id: string): ReadResult {
  const row = ctx.stmt('SELECT content FROM audit_events WHERE id = ?').get(id);
  return row && typeof row.content === 'string' ? { status: 'found', resource: parseStoredResource(row.content) } : { status: 'missing' };
}

function conditionSql(c: AuditCondition): { sql: string; params: SQLInputValue[] } {
  const or = (parts: string[]) => `(${parts.length ? parts.join(' OR ') : '0'})`;
  switch (c.column) {
    case 'id':
    case 'action':
    case 'outcome':
      return { sql: or(c.values.map(() => `a.${c.column} = ?`)), params: c.values };
    case 'subtype':
      return {
        sql: or(c.values.map((v) => (v.system ? '(a.subtype_code = ? AND a.subtype_system = ?)' : 'a.subtype_code = ?'))),
        params: c.values.flatMap((v) => (v.system ? [v.code, v.system] : [v.code])),
      };
    case 'agent':
      return {
        sql: or(c.values.map((v) => (v.type ? '(a.agent_id = ? AND a.agent_type = ?)' : 'a.agent_id = ?'))),
        params: c.values.flatMap((v) => (v.type ? [v.id, v.type] : [v.id])),
      };
    case 'entity':
      return {
        sql: `EXISTS (SELECT 1 FROM audit_entities e WHERE e.seq = a.seq AND ${or(c.values.map((v) => (v.type ? '(e.ref_id = ? AND e.ref_type = ?)' : 'e.ref_id = ?')))})`,
        params: c.values.flatMap((v) => (v.type ? [v.id, v.type] : [v.id])),
      };
    case 'recorded':
      return {
        sql: or(c.values.map((v) => [v.low !== undefined ? 'a.recorded >= ?' : '', v.high !== undefined ? 'a.recorded < ?' : ''].filter(Boolean).join(' AND ') || '1')),
        params: c.values.flatMap((v) => [v.low, v.high].filter((x): x is number => x !== undefined)),
      };
  }
}

/** Runs a search on AuditEvent over the trail, paged inside a snapshot of its sequence. */
export function searchAudit(ctx: StoreContext, query: SearchQuery): SearchResult {
  const search = auditSearchOf(query);
  const snapshot = query.snapshot ?? Number(ctx.stmt('SELECT COALESCE(MAX(seq), 0) AS s FROM audit_events').get()?.s ?? 0);
  const parts = ['a.seq <= ?'];
  const params: SQLInputValue[] = [snapshot];
  for (const c of search.conditions) {
    const w = conditionSql(c);
    parts.push(w.sql);
    params.push(...w.params);
  }
  const where = parts.join(' AND ');
  const total = query.total === 'accurate' || query.summaryCount ? Number(ctx.stmt(`SELECT COUNT(*) AS n FROM audit_events a WHERE ${where}`).get(...params)?.n ?? 0) : undefined;
  if (query.summaryCount) return { resources: [], included: [], ...(total !== undefined ? { total } : {}), snapshot, hasMore: false };
  const dir = search.descending ? 'DESC' : 'ASC';
  const order = search.byDate ? `a.recorded ${dir}, a.seq ${dir}` : `a.seq ${dir}`;
  const rows = ctx.stmt(`SELECT a.content FROM audit_events a WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...params, query.count + 1, query.offset);
  const resources = rows.slice(0, query.count).map((r) => parseStoredResource(String(r.content)));
  return { resources, included: [], ...(total !== undefined ? { total } : {}), snapshot, hasMore: rows.length > query.count };
}
