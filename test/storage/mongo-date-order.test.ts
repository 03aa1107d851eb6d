/**
 * MongoDB date-range searches read from ix_date in its own order (src/storage/mongo/search-date-order.ts,
 * ADR 0070), proved without a MongoDB server:
 * - the filter it sends carries both bounds on `ix.dt.lo` in the one `$elemMatch` that also pins the type and
 *   the parameter, and the find is hinted to ix_date with no sort;
 * - it is used only where exact (facts known, no `_sort`, no equality, one filter on a multi-valued parameter);
 * - on the in-memory stand-in (mingo, not a server), random stores and random date searches return the same
 *   resources as the former plan and as the SQLite store, and paging a range returns each match once.
 * What is NOT proved here: that a MongoDB server picks these index bounds and returns the hinted scan's order.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FindOptions, Filter, StoreCollections } from '../../src/storage/mongo/collection.ts';
import { RESOURCE_INDEXES } from '../../src/storage/mongo/indexes.ts';
import { createMongoStoreOn } from '../../src/storage/mongo/mongo-store.ts';
import { dateOrder, dateOrderCandidate } from '../../src/storage/mongo/search-date-order.ts';
import { queryFilter } from '../../src/storage/mongo/search-filter.ts';
import { sortSpec } from '../../src/storage/mongo/search-sort.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { ResourceStore } from '../../src/storage/store.ts';
import { immunization, observation, q } from './contract/helpers.ts';
import { createMemoryCollections } from './mongo/memory-collections.ts';

const DAY = 86_400_000;

/** The `$elemMatch` on ix.dt of a filter (top level or in `$and`). */
function dateElems(filter: Filter): Filter[] {
  return ((filter.$and as Filter[] | undefined) ?? [])
    .map((part) => (part['ix.dt'] as { $elemMatch?: Filter } | undefined)?.$elemMatch)
    .filter((m): m is Filter => m !== undefined);
}

describe('the filter, sort and hint of a date-range search', () => {
  const single = { span: DAY, multi: false };

  test('when a range has two filters on a single-valued parameter, then one $elemMatch bounds lo on both sides and ix_date is bounded on t, p and lo', () => {
    const query = q('Immunization', 'date=ge2019-03-01&date=lt2019-04-01');
    const candidate = dateOrderCandidate(query);
    expect(candidate).toEqual({ code: 'date', filterIndexes: [0, 1] });
    const order = dateOrder(query, candidate as NonNullable<typeof candidate>, single);
    const filter = queryFilter(query, { snapshot: 1, replaced: order });
    const elems = dateElems(filter);
    expect(elems).toHaveLength(1);
    const elem = elems[0] as Filter;
    expect(elem.p).toBe('date');
    // ge 2019-03-01: hi >= March 1 implies lo >= March 1 - span; lt 2019-04-01: lo < April 1.
    expect(elem.lo).toEqual({ $gte: Date.UTC(2019, 2, 1) - DAY, $lte: Date.UTC(2019, 3, 1) });
    expect(elem.$and).toHaveLength(2); // both filters' own conditions, unchanged
    expect(filter.t).toBe('Immunization');
    const index = RESOURCE_INDEXES.find((i) => i.name === 'ix_date');
    expect(Object.keys(index?.keys ?? {}).slice(0, 3)).toEqual(['t', 'ix.dt.p', 'ix.dt.lo']);
  });

  test('when periods are open (span past 10^15), then the ge side stays open and the lt side bounds', () => {
    const query = q('Observation', 'date=ge2021-06-01&date=lt2021-07-01');
    const order = dateOrder(query, { code: 'date', filterIndexes: [0, 1] }, { span: 2e15, multi: false });
    expect(order?.match).toMatchObject({ 'ix.dt': { $elemMatch: { p: 'date', lo: { $lte: Date.UTC(2021, 6, 1) } } } });
    expect(((order?.match['ix.dt'] as { $elemMatch: Filter }).$elemMatch.lo as Filter).$gte).toBeUndefined();
  });

  test('when the parameter is multi-valued, then one filter drives alone and two keep the former plan', () => {
    const two = q('Immunization', 'reaction-date=ge2021-03-01&reaction-date=lt2021-04-01');
    expect(
      dateOrder(two, { code: 'reaction-date', filterIndexes: [0, 1] }, { span: DAY, multi: true }),
    ).toBeUndefined();
    const one = q('Immunization', 'reaction-date=ge2021-03-01');
    expect(dateOrder(one, { code: 'reaction-date', filterIndexes: [0] }, { span: DAY, multi: true })?.match).toEqual({
      'ix.dt': {
        $elemMatch: {
          p: 'reaction-date',
          lo: { $gte: Date.UTC(2021, 2, 1) - DAY },
          $and: [expect.any(Object)],
        },
      },
    });
  });

  test('when the store facts are unknown, the query is sorted, has an equality, or only eb/ne/ap dates, then there is no date order', () => {
    const query = q('Immunization', 'date=ge2019-03-01');
    expect(dateOrder(query, { code: 'date', filterIndexes: [0] }, undefined)).toBeUndefined();
    expect(dateOrderCandidate(q('Immunization', 'date=ge2019-03-01&_sort=-date'))).toBeUndefined();
    expect(dateOrderCandidate(q('Immunization', 'date=ge2019-03-01&patient=Patient/p1'))).toBeUndefined();
    expect(dateOrderCandidate(q('Immunization', 'date=ge2019-03-01&identifier=urn:x|1'))).toBeUndefined();
    for (const prefix of ['eb', 'ne', 'ap'])
      expect(dateOrderCandidate(q('Immunization', `date=${prefix}2019-03-01`))).toBeUndefined();
    // A status token without a code is no equality; the date still drives.
    expect(dateOrderCandidate(q('Immunization', 'date=lt2019-03-01&status:missing=false'))).toEqual({
      code: 'date',
      filterIndexes: [0],
    });
  });

  test('when the adapter runs a date range on a store counted from empty, then it finds with hint ix_date and no sort; with _sort, sorted and unhinted', async () => {
    const cols = createMemoryCollections();
    const seen: FindOptions[] = [];
    const find = cols.resources.find.bind(cols.resources);
    cols.resources.find = (filter, options) => {
      if (options) seen.push(options);
      return find(filter, options);
    };
    const store = await createMongoStoreOn(cols);
    await store.create(immunization({ occurrenceDateTime: '2019-03-05' }));
    expect(await cols.counters.findOne({ _id: 'dates:Immunization:date' })).toMatchObject({ n: DAY, multi: 0 });
    seen.length = 0;
    expect((await store.search(q('Immunization', 'date=ge2019-03-01&date=lt2019-04-01'))).resources).toHaveLength(1);
    expect(seen.at(-1)).toMatchObject({ hint: 'ix_date' });
    expect(seen.at(-1)?.sort).toBeUndefined();
    expect((await store.search(q('Immunization', 'date=ge2019-03-01&_sort=date'))).resources).toHaveLength(1);
    expect(seen.at(-1)?.hint).toBeUndefined();
    expect(seen.at(-1)?.sort).toEqual(sortSpec('Immunization', [{ code: 'date', descending: false }]));
  });

  test('when a store was filled before the facts were kept, then its date searches keep the former plan', async () => {
    const cols = createMemoryCollections();
    const first = await createMongoStoreOn(cols);
    await first.create(observation({ effectivePeriod: { start: '2020-01-01', end: '2021-12-31' } }));
    await cols.counters.deleteMany({ _id: { $regex: '^dates:' } }); // as an earlier version left it
    const seen: FindOptions[] = [];
    const find = cols.resources.find.bind(cols.resources);
    cols.resources.find = (filter, options) => {
      if (options) seen.push(options);
      return find(filter, options);
    };
    const reopened = await createMongoStoreOn(cols);
    expect((await reopened.search(q('Observation', 'date=ge2021-06-01&date=lt2021-07-01'))).resources).toHaveLength(1);
    expect(seen.at(-1)?.hint).toBeUndefined();
  });
});

/** A small deterministic generator (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A date of random precision (year to seconds, with a zone) within 2019–2022. */
function randomDate(rnd: () => number): string {
  const t = new Date(Date.UTC(2019, 0, 1) + Math.floor(rnd() * 4 * 365) * DAY + Math.floor(rnd() * DAY));
  const iso = t.toISOString();
  const precision = Math.floor(rnd() * 5);
  if (precision === 0) return iso.slice(0, 4);
  if (precision === 1) return iso.slice(0, 7);
  if (precision === 2) return iso.slice(0, 10);
  if (precision === 3) return `${iso.slice(0, 16)}:00+02:00`;
  return `${iso.slice(0, 19)}Z`;
}

type Shape = 'single' | 'open' | 'multi';

/**
 * `single`: one date or bounded period each (a finite span, so `ge`/`gt` get a lower bound); `open`: some periods
 * open at one end (the span is unbounded); `multi`: one to three reaction dates each.
 */
function randomResources(rnd: () => number, count: number, shape: Shape): Resource[] {
  return Array.from({ length: count }, () => {
    const pick = rnd();
    if (shape === 'multi')
      return immunization({
        reaction: Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ({ date: randomDate(rnd) })),
      });
    if (pick < 0.6) return observation({ effectiveDateTime: randomDate(rnd) });
    const [a, b] = [randomDate(rnd), randomDate(rnd)].sort();
    if (shape === 'single' || pick < 0.8) return observation({ effectivePeriod: { start: a, end: b } });
    return observation({ effectivePeriod: pick < 0.9 ? { start: a } : { end: b } });
  });
}

const PREFIXES = ['eq', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ne', 'ap'];

function randomSearch(rnd: () => number, code: string): string {
  const one = () => `${code}=${PREFIXES[Math.floor(rnd() * PREFIXES.length)]}${randomDate(rnd).replace('+', '%2B')}`;
  return rnd() < 0.5 ? one() : `${one()}&${one()}`;
}

/** Every match of a search, paged `_count` at a time inside one snapshot. */
async function allPages(store: ResourceStore, type: string, search: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  let snapshot: number | undefined;
  for (let offset = 0; ; offset += count) {
    const page = await store.search({ ...q(type, `${search}&_count=${count}&_offset=${offset}`), snapshot });
    snapshot = page.snapshot;
    ids.push(...page.resources.map((r) => r.id as string));
    if (!page.hasMore) return ids;
  }
}

describe('the same resources as the former plan and as the SQLite store (stand-in, not a server)', () => {
  for (const [label, shape, type, code, seed] of [
    ['single-valued dates and bounded periods', 'single', 'Observation', 'date', 5],
    ['single-valued dates and open periods', 'open', 'Observation', 'date', 7],
    ['multi-valued dates', 'multi', 'Immunization', 'reaction-date', 11],
  ] as const) {
    test(`when random ${label} are searched with random ranges, then every search returns the same matches, each once across pages`, async () => {
      const rnd = random(seed);
      const cols: StoreCollections = createMemoryCollections();
      let hinted = 0;
      const find = cols.resources.find.bind(cols.resources);
      cols.resources.find = (filter, options) => {
        if (options?.hint) hinted++;
        return find(filter, options);
      };
      const mongo = await createMongoStoreOn(cols);
      const sqlite = createSqliteStore({ path: ':memory:' });
      try {
        const toSqlite = new Map<string, string>();
        for (const r of randomResources(rnd, 100, shape)) {
          const m = await mongo.create(r);
          const s = await sqlite.create(r);
          toSqlite.set(m.resource.id as string, s.resource.id as string);
        }
        let nonEmpty = 0;
        for (let i = 0; i < 50; i++) {
          const search = randomSearch(rnd, code);
          const before = hinted;
          const paged = await allPages(mongo, type, search, 7);
          const usedOrder = hinted > before;
          // The former plan: the same filters as separate conditions, sorted by rk, not hinted.
          const query = q(type, search);
          const former = (await find(queryFilter(query), { sort: sortSpec(type, []), projection: { id: 1 } })).map(
            (d) => d.id as string,
          );
          const fromSqlite = (await sqlite.search({ ...q(type, search), count: 1000 })).resources.map(
            (r) => r.id as string,
          );
          expect({ search, usedOrder, ids: [...paged].sort() }).toEqual({
            search,
            usedOrder,
            ids: [...new Set(paged)].sort(),
          });
          expect({ search, ids: [...paged].sort() }).toEqual({ search, ids: [...former].sort() });
          expect({ search, ids: paged.map((id) => toSqlite.get(id)).sort() }).toEqual({
            search,
            ids: [...fromSqlite].sort(),
          });
          if (paged.length > 0) nonEmpty++;
        }
        // The comparison means something: searches matched, and the date order was the plan for many of them.
        expect(nonEmpty).toBeGreaterThan(15);
        expect(hinted).toBeGreaterThan(15);
      } finally {
        await mongo.close();
        await sqlite.close();
      }
    });
  }
});
