/**
 * `_include` and `_revinclude`, one level: the resources the page's resources reference through a parameter,
 * and the resources that reference the page's resources through a parameter of theirs.
 * https://hl7.org/fhir/R4/search.html#include
 */
import type { Resource } from '@medplum/fhirtypes';
import type { SearchQuery } from '../../fhir/search/query.ts';
import type { StoreContext } from './context.ts';
import { parseStoredResource } from '../stored-json.ts';

interface IncludedRow {
  rk: number;
  content: string;
}

function forwardIncludes(ctx: StoreContext, query: SearchQuery, rks: number[], limit: number): IncludedRow[] {
  const out: IncludedRow[] = [];
  for (const rule of query.include) {
    const pid = ctx.pids.lookup(rule.sourceType, rule.paramCode);
    if (pid === undefined) continue;
    const rows = ctx
      .stmt(
        'SELECT DISTINCT t.rk, h.content FROM idx_reference x ' +
          'JOIN resources t ON t.rtype = x.ref_type AND t.id = x.ref_id JOIN history h ON h.seq = t.seq ' +
          "WHERE x.pid = ? AND x.rk IN (SELECT value FROM json_each(?)) AND x.ref_type != '' AND t.deleted = 0 " +
          'AND (? IS NULL OR x.ref_type = ?) LIMIT ?',
      )
      .all(pid, JSON.stringify(rks), rule.targetType ?? null, rule.targetType ?? null, limit);
    for (const r of rows) out.push({ rk: Number(r.rk), content: String(r.content) });
  }
  return out;
}

function reverseIncludes(ctx: StoreContext, query: SearchQuery, ids: string[], limit: number): IncludedRow[] {
  const out: IncludedRow[] = [];
  for (const rule of query.revinclude) {
    const pid = ctx.pids.lookup(rule.sourceType, rule.paramCode);
    if (pid === undefined) continue;
    const rows = ctx
      .stmt(
        'SELECT DISTINCT s.rk, h.content FROM idx_reference x ' +
          'JOIN resources s ON s.rk = x.rk JOIN history h ON h.seq = s.seq ' +
          'WHERE x.pid = ? AND x.ref_type = ? AND x.ref_id IN (SELECT value FROM json_each(?)) AND s.deleted = 0 LIMIT ?',
      )
      .all(pid, query.resourceType, JSON.stringify(ids), limit);
    for (const r of rows) out.push({ rk: Number(r.rk), content: String(r.content) });
  }
  return out;
}

/**
 * Included resources for a page, deduplicated and without the page's own resources, at most `query.includeLimit`
 * (default: the page size); each query reads at most that many rows more than the page, so the work is bounded too.
 */
export function includeResources(
  ctx: StoreContext,
  query: SearchQuery,
  rks: number[],
  page: Resource[],
): { resources: Resource[]; truncated: boolean } {
  if (rks.length === 0 || (query.include.length === 0 && query.revinclude.length === 0))
    return { resources: [], truncated: false };
  const max = query.includeLimit ?? query.count;
  // Rows that are page resources or duplicates are skipped, so read enough to still find max + 1 new ones.
  const rowLimit = max + 1 + rks.length;
  const seen = new Set(rks);
  const ids = page.map((r) => r.id as string);
  const out: Resource[] = [];
  for (const row of [...forwardIncludes(ctx, query, rks, rowLimit), ...reverseIncludes(ctx, query, ids, rowLimit)]) {
    if (seen.has(row.rk)) continue;
    seen.add(row.rk);
    if (out.length === max) return { resources: out, truncated: true };
    out.push(parseStoredResource(row.content));
  }
  return { resources: out, truncated: false };
}
