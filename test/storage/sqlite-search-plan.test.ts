/**
 * The CI-side proof behind `search_1m_vs_10k` (bench/rest.ts with REST_BENCH_RECORDS=1000000): the three searches
 * the bench times — by patient, by date range, by identifier — are answered from an index range, never a full
 * scan and never a sort of all matches. Every statement a search runs is recorded and put through
 * EXPLAIN QUERY PLAN on a small store; the planner has no statistics at any size (nothing runs ANALYZE), so the
 * plan chosen here is the one chosen over a million rows.
 * https://www.sqlite.org/eqp.html
 */
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import type { Immunization } from '@medplum/fhirtypes';
import { openDatabase } from '../../src/storage/sqlite/schema.ts';
import { createContext } from '../../src/storage/sqlite/context.ts';
import type { StoreContext } from '../../src/storage/sqlite/context.ts';
import { createResource } from '../../src/storage/sqlite/resource-ops.ts';
import { runSearch } from '../../src/storage/sqlite/search.ts';
import { q } from './contract/helpers.ts';

const RECORDS = 2000;
const BASE = Date.UTC(2015, 0, 1);
const MINUTES = 10 * 365 * 1440;

/** Distinct Immunizations as the bench makes them: 4 per patient, a spread of instants, one identifier each. */
function immunization(n: number): Immunization {
  return {
    resourceType: 'Immunization',
    identifier: [{ system: 'urn:plan:his', value: `imm-${n}` }],
    status: 'completed',
    vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: String(1119349000 + (n % 50)) }] },
    patient: { reference: `Patient/p-${Math.floor(n / 4)}` },
    occurrenceDateTime: new Date(BASE + ((n * 7919) % MINUTES) * 60_000).toISOString(),
  };
}

interface Ran {
  sql: string;
  params: SQLInputValue[];
}

/** A context whose statements record the SQL and parameters they run with. */
function recording(ctx: StoreContext, ran: Ran[]): StoreContext {
  const stmt = (sql: string): StatementSync => {
    const s = ctx.stmt(sql);
    const record =
      (run: (...p: SQLInputValue[]) => unknown) =>
      (...params: SQLInputValue[]) => {
        ran.push({ sql, params });
        return run(...params);
      };
    return { all: record(s.all.bind(s)), get: record(s.get.bind(s)) } as unknown as StatementSync;
  };
  return { ...ctx, stmt };
}

const db = openDatabase({ path: ':memory:', synchronous: 'NORMAL' });
const ctx = createContext(
  db,
  () => new Date('2024-01-01T00:00:00Z'),
  () => crypto.randomUUID(),
);

beforeAll(() => {
  db.exec('BEGIN');
  for (let n = 0; n < RECORDS; n++) createResource(ctx, immunization(n));
  db.exec('COMMIT');
});
afterAll(() => db.close());

/** Runs the search, and returns the result with the query plan (detail lines) of every statement it ran. */
function searchWithPlans(search: string) {
  const ran: Ran[] = [];
  const result = runSearch(recording(ctx, ran), q('Immunization', search, { defaultCount: 20, maxCount: 100 }));
  const plans = ran.map((r) => ({
    sql: r.sql,
    plan: db
      .prepare(`EXPLAIN QUERY PLAN ${r.sql}`)
      .all(...r.params)
      .map((row) => String(row.detail)),
  }));
  return { result, plans };
}

/** No step reads a whole table or index (SCAN), and no step sorts (a temp B-tree holds every match first). */
function expectIndexedOnly(plans: Array<{ sql: string; plan: string[] }>): void {
  for (const { sql, plan } of plans) {
    const bad = plan.filter((d) => /^SCAN /.test(d) || /TEMP B-TREE/.test(d));
    expect({ sql, bad }).toEqual({ sql, bad: [] });
  }
}

/** The page statement: the one that reads the history content. */
function pagePlan(plans: Array<{ sql: string; plan: string[] }>): string[] {
  const page = plans.find((p) => p.sql.includes('h.content'));
  expect(page).toBeDefined();
  return page?.plan ?? [];
}

describe('SQLite search plans at the searches bench:rest times', () => {
  test('when searching by patient, then the reference index is searched by pid and id, no scan, no sort', () => {
    const { result, plans } = searchWithPlans('patient=Patient/p-123');
    expect(result.resources.map((r) => (r as Immunization).identifier?.[0]?.value)).toEqual(
      [492, 493, 494, 495].map((n) => `imm-${n}`),
    );
    expectIndexedOnly(plans);
    expect(pagePlan(plans).join('\n')).toMatch(/SEARCH x USING (PRIMARY KEY|INDEX \S+) \(pid=\? AND ref_id=\?/);
  });

  test('when searching by identifier, then the token index is searched by pid and code, no scan, no sort', () => {
    const { result, plans } = searchWithPlans('identifier=urn:plan:his|imm-1717');
    expect(result.resources.map((r) => (r as Immunization).identifier?.[0]?.value)).toEqual(['imm-1717']);
    expectIndexedOnly(plans);
    expect(pagePlan(plans).join('\n')).toMatch(/SEARCH x USING (PRIMARY KEY|INDEX \S+) \(pid=\? AND code=\?/);
  });

  test('when searching a date range, then the date index is read in order over a bounded range, no scan, no sort', () => {
    const from = '2019-03-01';
    const to = '2019-06-01';
    const { result, plans } = searchWithPlans(`date=ge${from}&date=lt${to}&_count=20`);
    const expected = Array.from({ length: RECORDS }, (_, n) => immunization(n))
      .filter((i) => (i.occurrenceDateTime as string) >= from && (i.occurrenceDateTime as string) < to)
      .sort((a, b) => (a.occurrenceDateTime as string).localeCompare(b.occurrenceDateTime as string));
    expect(expected.length).toBeGreaterThan(20); // the page is full: the scan stops after it, not at the range's end
    expect(result.resources.map((r) => (r as Immunization).occurrenceDateTime)).toEqual(
      expected.slice(0, 20).map((i) => i.occurrenceDateTime),
    );
    expect(result.hasMore).toBe(true);
    expectIndexedOnly(plans);
    expect(pagePlan(plans).join('\n')).toMatch(/SEARCH x USING PRIMARY KEY \(pid=\? AND low>\? AND low<\?\)/);
  });

  test('when searching by _id, then the ids are looked up in the id index, not tested on every row of the type', () => {
    const all = runSearch(
      ctx,
      q('Immunization', 'identifier=urn:plan:his|imm-5,urn:plan:his|imm-1999', { defaultCount: 20, maxCount: 100 }),
    );
    const ids = all.resources.map((r) => r.id as string);
    expect(ids).toHaveLength(2);
    const { result, plans } = searchWithPlans(`_id=${ids.join(',')}`);
    expect(result.resources.map((r) => r.id).sort()).toEqual([...ids].sort());
    expectIndexedOnly(plans.map((p) => ({ ...p, plan: p.plan.filter((d) => !/^SCAN json_each/.test(d)) })));
    const page = pagePlan(plans).join('\n');
    expect(page).toMatch(/SEARCH resources USING COVERING INDEX resources_id \(rtype=\? AND id=\?\)/);
    expect(page).not.toMatch(/SEARCH r USING INDEX resources_type \(rtype=\?\)/);
  });

  test('when one parameter has hundreds of OR-ed values, then each value is one index range (no scan of the parameter)', () => {
    // ADR 0066: `x.pid = ? AND (v1 OR … OR v300)` made SQLite read every identifier row and test 300 values on
    // each; with the pid in every OR term it answers with one primary-key range per value.
    const wanted = Array.from({ length: 300 }, (_, i) => (i * 7) % (RECORDS + 500)); // some beyond the store
    const search = `identifier=${wanted.map((n) => `urn:plan:his|imm-${n}`).join(',')}&_count=100`;
    const { result, plans } = searchWithPlans(search);
    const expected = wanted
      .filter((n) => n < RECORDS)
      .sort((a, b) => a - b)
      .slice(0, 100)
      .map((n) => `imm-${n}`);
    expect(result.resources.map((r) => (r as Immunization).identifier?.[0]?.value)).toEqual(expected);
    const lines = plans.flatMap((p) => p.plan);
    expect(lines.some((d) => d === 'MULTI-INDEX OR')).toBe(true);
    // No table or index of the store is read whole, nor the parameter's rows whole (a range on pid alone).
    expect(lines.filter((d) => /^SCAN (x|r|h)\b/.test(d) || /\(pid=\?\)$/.test(d))).toEqual([]);
  });
});
