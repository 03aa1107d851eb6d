/**
 * Contract: what a search returns: `_sort`, `_total`, `_summary=count`, `_include` / `_revinclude`, and paging
 * that stays stable when resources are created or deleted between pages.
 */
import { createAll, ids, immunization, patient, q, useStore } from './helpers.ts';
import type { MakeStore } from './helpers.ts';

export function searchResultsContract(makeStore: MakeStore): void {
  const { store } = useStore(makeStore);
  const find = async (type: string, search: string): Promise<string[]> =>
    ids((await store().search(q(type, search))).resources);

  test('when _sort is given, then results follow it (descending with -) and ties keep creation order', async () => {
    const [a, b, c, d] = await createAll(store(), [
      immunization({ occurrenceDateTime: '2021-03-01', lotNumber: 'B' }),
      immunization({ occurrenceDateTime: '2021-01-01', lotNumber: 'A' }),
      immunization({ occurrenceDateTime: '2021-02-01', lotNumber: 'B' }),
      immunization({ occurrenceDateTime: undefined as never, occurrenceString: 'unknown', lotNumber: 'A' }),
    ]);
    expect(await find('Immunization', '_sort=date')).toEqual([b!.id, c!.id, a!.id, d!.id]);
    expect(await find('Immunization', '_sort=-date')).toEqual([a!.id, c!.id, b!.id, d!.id]);
    expect(await find('Immunization', '_sort=lot-number')).toEqual([b!.id, d!.id, a!.id, c!.id]);
    expect(await find('Immunization', '_sort=lot-number,-date')).toEqual([b!.id, d!.id, a!.id, c!.id]);
    expect(await find('Immunization', '_sort=-lot-number,date')).toEqual([c!.id, a!.id, b!.id, d!.id]);
    expect(await find('Immunization', '_sort=-_lastUpdated')).toHaveLength(4);
    const byId = [a, b, c, d].map((r) => r!.id as string).sort();
    expect(await find('Immunization', '_sort=_id')).toEqual(byId);
  });

  test('when _total=accurate or _summary=count is asked, then the total is given; otherwise it is not', async () => {
    await createAll(store(), [immunization(), immunization(), immunization({ status: 'not-done' })]);
    const accurate = await store().search(q('Immunization', 'status=completed&_total=accurate&_count=1'));
    expect(accurate.total).toBe(2);
    expect(accurate.resources).toHaveLength(1);
    expect(accurate.hasMore).toBe(true);
    const none = await store().search(q('Immunization', 'status=completed'));
    expect(none.total).toBeUndefined();
    const count = await store().search(q('Immunization', '_summary=count'));
    expect(count).toMatchObject({ total: 3, resources: [], included: [], hasMore: false });
  });

  test('when _include is given, then referenced resources come in included, once each', async () => {
    const [p1, p2] = await createAll(store(), [patient(), patient()]);
    const imms = await createAll(store(), [
      immunization({ patient: { reference: `Patient/${p1!.id}` } }),
      immunization({ patient: { reference: `Patient/${p1!.id}` } }),
      immunization({ patient: { reference: `Patient/${p2!.id}` }, status: 'not-done' }),
    ]);
    const r = await store().search(q('Immunization', 'status=completed&_include=Immunization:patient'));
    expect(ids(r.resources)).toEqual(ids(imms.slice(0, 2)));
    expect(ids(r.included)).toEqual([p1!.id]);
    const typed = await store().search(q('Immunization', '_include=Immunization:patient:Patient'));
    expect(ids(typed.included).sort()).toEqual([p1!.id, p2!.id].sort());
  });

  test('when _revinclude is given, then resources referring to the matches come in included', async () => {
    const [p1, p2] = await createAll(store(), [patient({ gender: 'female' }), patient({ gender: 'male' })]);
    const [i1, , i3] = await createAll(store(), [
      immunization({ patient: { reference: `Patient/${p1!.id}` } }),
      immunization({ patient: { reference: `Patient/${p2!.id}` } }),
      immunization({ patient: { reference: `Patient/${p1!.id}` } }),
    ]);
    await store().delete('Immunization', i3!.id as string);
    const r = await store().search(q('Patient', 'gender=female&_revinclude=Immunization:patient'));
    expect(ids(r.resources)).toEqual([p1!.id]);
    expect(ids(r.included)).toEqual([i1!.id]);
  });

  test('when paging with _count and offset, then pages partition the matches and hasMore tells if more follow', async () => {
    const all = ids(
      await createAll(
        store(),
        Array.from({ length: 5 }, () => immunization()),
      ),
    );
    const page = async (offset: number) => store().search({ ...q('Immunization', '_count=2'), offset });
    const [p1, p2, p3] = [await page(0), await page(2), await page(4)];
    expect([...ids(p1.resources), ...ids(p2.resources), ...ids(p3.resources)]).toEqual(all);
    expect([p1.hasMore, p2.hasMore, p3.hasMore]).toEqual([true, true, false]);
  });

  test('when resources are created between page 1 and page 2, then page 2 is unchanged (snapshot)', async () => {
    await createAll(
      store(),
      Array.from({ length: 4 }, (_, i) => immunization({ lotNumber: `L${i}` })),
    );
    const first = await store().search(q('Immunization', '_count=2&_sort=-lot-number'));
    const expected = await store().search({
      ...q('Immunization', '_count=2&_sort=-lot-number'),
      offset: 2,
      snapshot: first.snapshot,
    });
    await createAll(store(), [immunization({ lotNumber: 'L9' }), immunization({ lotNumber: 'L8' })]);
    const second = await store().search({
      ...q('Immunization', '_count=2&_sort=-lot-number'),
      offset: 2,
      snapshot: first.snapshot,
    });
    expect(ids(second.resources)).toEqual(ids(expected.resources));
    expect(second.resources.map((r) => (r as { lotNumber?: string }).lotNumber)).toEqual(['L1', 'L0']);
    expect(second.snapshot).toBe(first.snapshot);
    const fresh = await store().search(q('Immunization', '_count=2&_sort=-lot-number'));
    expect(fresh.resources.map((r) => (r as { lotNumber?: string }).lotNumber)).toEqual(['L9', 'L8']);
  });

  test('when a page-1 resource is deleted before page 2, then page 2 does not shift', async () => {
    const made = ids(
      await createAll(
        store(),
        Array.from({ length: 4 }, () => immunization()),
      ),
    );
    const first = await store().search(q('Immunization', '_count=2'));
    await store().delete('Immunization', made[0] as string);
    const second = await store().search({ ...q('Immunization', '_count=2'), offset: 2, snapshot: first.snapshot });
    expect(ids(second.resources)).toEqual(made.slice(2));
  });

  test('when filters match over a thousand resources, then every plan returns the same complete, ordered pages', async () => {
    const made = await store().transaction(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < 1200; i++) {
        const year = 2010 + (i % 12);
        const r = await tx.create(
          immunization({
            occurrenceDateTime: `${year}-06-15`,
            lotNumber: i % 3 === 0 ? 'THIRD' : 'OTHER',
            status: i % 2 ? 'completed' : 'not-done',
          }),
        );
        out.push(r.resource.id as string);
      }
      return out;
    });
    const expected = made.filter((_, i) => 2010 + (i % 12) >= 2020 && i % 3 === 0 && i % 2 === 1);
    const pages: string[] = [];
    for (let offset = 0; offset < expected.length + 10; offset += 10) {
      const r = await store().search({
        ...q('Immunization', 'date=ge2020&lot-number=THIRD&status=completed&_count=10'),
        offset,
      });
      pages.push(...ids(r.resources));
    }
    expect(pages).toEqual(expected);
    const broad = await store().search(q('Immunization', 'status=completed&date=ge2010&_total=accurate&_count=5'));
    expect(broad.total).toBe(600);
    expect(ids(broad.resources)).toEqual(made.filter((_, i) => i % 2 === 1).slice(0, 5));
    const negated = await store().search(q('Immunization', 'status:not=completed&lot-number=THIRD&_count=3'));
    expect(ids(negated.resources)).toEqual(made.filter((_, i) => i % 2 === 0 && i % 3 === 0).slice(0, 3));
  });

  test('when a search matches a parameter no resource was ever indexed under, then it returns nothing', async () => {
    await createAll(store(), [immunization()]);
    expect(await find('Immunization', 'reaction-date=2021')).toEqual([]);
    expect(await find('Immunization', '_sort=reaction-date')).toHaveLength(1);
  });
}
