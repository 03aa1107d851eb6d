/**
 * History (instance, type, system) and vread, newest first, paged by offset inside a snapshot of the global
 * sequence so that writes made after page 1 do not shift later pages.
 * https://hl7.org/fhir/R4/http.html#history
 */
import type { SQLInputValue } from 'node:sqlite';
import { sinceMs } from '../history-since.ts';
import type { HistoryEntry, HistoryQuery, HistoryResult } from '../store.ts';
import type { StoreContext } from './context.ts';
import { parseStoredResource } from '../stored-json.ts';
import { currentSequence } from './search.ts';

function toEntry(row: Record<string, unknown>): HistoryEntry {
  const entry: HistoryEntry = {
    resourceType: String(row.rtype),
    id: String(row.id),
    versionId: String(row.version),
    lastUpdated: new Date(Number(row.last_updated)).toISOString(),
    method: row.method as HistoryEntry['method'],
  };
  if (typeof row.content === 'string') entry.resource = parseStoredResource(row.content);
  return entry;
}

/** One version of a resource, or undefined. */
export function readVersion(
  ctx: StoreContext,
  resourceType: string,
  id: string,
  versionId: string,
): HistoryEntry | undefined {
  if (!/^\d{1,15}$/.test(versionId)) return undefined;
  const row = ctx
    .stmt(
      'SELECT rtype, id, version, last_updated, method, content FROM history WHERE rtype = ? AND id = ? AND version = ?',
    )
    .get(resourceType, id, Number(versionId));
  return row ? toEntry(row) : undefined;
}

/** A page of history. */
export function readHistory(ctx: StoreContext, query: HistoryQuery): HistoryResult {
  const snapshot = query.snapshot ?? currentSequence(ctx);
  const parts = ['seq <= ?'];
  const params: SQLInputValue[] = [snapshot];
  if (query.resourceType !== undefined) parts.push('rtype = ?'), params.push(query.resourceType);
  if (query.id !== undefined) parts.push('id = ?'), params.push(query.id);
  if (query.since !== undefined) parts.push('last_updated >= ?'), params.push(sinceMs(query.since));
  const where = parts.join(' AND ');
  const total = Number(ctx.stmt(`SELECT COUNT(*) AS n FROM history WHERE ${where}`).get(...params)?.n ?? 0);
  const rows = ctx
    .stmt(
      `SELECT rtype, id, version, last_updated, method, content FROM history WHERE ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`,
    )
    .all(...params, query.count, query.offset);
  return { entries: rows.map(toEntry), total, snapshot };
}
