/**
 * Date searches driven by idx_date in date order (src/storage/sqlite/search-date-driver.ts) return exactly what
 * FHIR's date comparison says, whatever the shape of the stored values: wide and open periods (the `low > H - span`
 * bound), parameters under which a resource has several values (`multi`: same-row tests would be wrong), paging
 * across pages, and stores made before `date_stats` existed (filled from the rows when opened).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Resource } from '@medplum/fhirtypes';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { ResourceStore } from '../../src/storage/store.ts';
import { immunization, observation, q } from './contract/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'gdhcn-date-search-'));
let n = 0;
let store: ResourceStore;
let path: string;
beforeEach(() => {
  path = join(dir, `store-${n++}.db`);
  store = createSqliteStore({ path, synchronous: 'NORMAL' });
});
afterEach(() => store.close());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function create(resources: Resource[]): Promise<string[]> {
  const ids: string[] = [];
  for (const r of resources) ids.push((await store.create(r)).resource.id as string);
  return ids;
}

async function find(type: string, search: string): Promise<string[]> {
  return (await store.search(q(type, search))).resources.map((r) => r.id as string).sort();
}

test('when periods are wider than the searched range or open, then a range inside them still finds them', async () => {
  const [year, open, before, inside] = await create([
    observation({ effectivePeriod: { start: '2020-01-01', end: '2021-12-31' } }),
    observation({ effectivePeriod: { start: '2019-01-01' } }),
    observation({ effectiveDateTime: '2021-05-31T23:59:59Z' }),
    observation({ effectiveDateTime: '2021-06-15T08:00:00Z' }),
  ]);
  expect(await find('Observation', 'date=ge2021-06-01&date=lt2021-07-01')).toEqual(
    [year, open, inside].map(String).sort(),
  );
  expect(await find('Observation', 'date=ge2021-06-01')).toEqual([year, open, inside].map(String).sort());
  expect(await find('Observation', 'date=lt2021-06-01')).toEqual([year, open, before].map(String).sort());
});

test('when a resource has several values under a parameter, then ANDed ranges may be met by different values', async () => {
  const reactions = (...dates: string[]) => immunization({ reaction: dates.map((date) => ({ date })) });
  const [both, early, late, split] = await create([
    reactions('2021-03-10', '2021-03-20'),
    reactions('2021-01-05'),
    reactions('2021-09-05'),
    reactions('2021-01-05', '2021-09-05'),
  ]);
  // `split` has a value >= March and a value < April, though none in March: FHIR ANDs the filters, not the values.
  expect(await find('Immunization', 'reaction-date=ge2021-03-01&reaction-date=lt2021-04-01')).toEqual(
    [both, split].map(String).sort(),
  );
  // One filter: each resource once, even with two values in range.
  expect(await find('Immunization', 'reaction-date=ge2021-01-01')).toEqual([both, early, late, split].sort());
  expect(await find('Immunization', 'reaction-date=2021-03')).toEqual([both as string]);
  expect(await find('Immunization', 'reaction-date=lt2021-02-01')).toEqual([early, split].map(String).sort());
});

test('when a date range is paged, then every match comes once, in date order, and nothing else', async () => {
  const days = Array.from({ length: 45 }, (_, i) => new Date(Date.UTC(2021, 0, 1 + ((i * 7) % 90))).toISOString());
  await create(days.map((d) => immunization({ occurrenceDateTime: d })));
  const seen: string[] = [];
  let offset = 0;
  let snapshot: number | undefined;
  for (;;) {
    const page = await store.search({
      ...q('Immunization', `date=ge2021-02-01&date=lt2021-03-01&_count=4&_offset=${offset}`),
      snapshot,
    });
    snapshot = page.snapshot;
    seen.push(...page.resources.map((r) => (r as { occurrenceDateTime: string }).occurrenceDateTime));
    if (!page.hasMore) break;
    offset += 4;
  }
  const expected = days.filter((d) => d >= '2021-02-01' && d < '2021-03-01').sort();
  expect(expected.length).toBeGreaterThan(8);
  expect(seen).toEqual(expected);
});

test('when a store made before date_stats is opened, then the stats are filled from its rows', async () => {
  const [wide, a, b] = await create([
    observation({ effectivePeriod: { start: '2020-01-01', end: '2021-12-31' } }),
    immunization({ reaction: [{ date: '2021-01-05' }, { date: '2021-09-05' }] }),
    immunization({ reaction: [{ date: '2021-03-10' }] }),
  ]);
  await store.close();
  const db = new DatabaseSync(path);
  db.exec('DELETE FROM date_stats; PRAGMA user_version = 1'); // as a version-1 store would be
  db.close();
  store = createSqliteStore({ path, synchronous: 'NORMAL' });
  expect(await find('Observation', 'date=ge2021-06-01&date=lt2021-07-01')).toEqual([wide as string]);
  expect(await find('Immunization', 'reaction-date=ge2021-03-01&reaction-date=lt2021-04-01')).toEqual(
    [a, b].map(String).sort(),
  );
});
