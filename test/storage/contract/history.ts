/**
 * Contract: instance, type and system history, `_since`, and paging inside a snapshot.
 */
import type { Patient } from '@medplum/fhirtypes';
import { expectOutcome, immunization, patient, useStore } from './helpers.ts';
import type { MakeStore } from './helpers.ts';

export function historyContract(makeStore: MakeStore): void {
  const { store, clock } = useStore(makeStore);

  async function seed(): Promise<{ patientId: string; immunizationId: string }> {
    const p = (await store().create(patient())).resource as Patient; // 00:00:00
    clock.tick(1000);
    const i = (await store().create(immunization())).resource; // 00:00:01
    clock.tick(1000);
    await store().update({ ...p, gender: 'female' }); // 00:00:02
    return { patientId: p.id as string, immunizationId: i.id as string };
  }

  test('when instance history is read, then it lists that resource versions newest first', async () => {
    const { patientId } = await seed();
    const h = await store().history({ resourceType: 'Patient', id: patientId, count: 10, offset: 0 });
    expect(h.total).toBe(2);
    expect(h.entries.map((e) => [e.id, e.versionId, e.method])).toEqual([
      [patientId, '2', 'PUT'],
      [patientId, '1', 'POST'],
    ]);
    expect(h.entries[0]?.resource).toMatchObject({ gender: 'female', meta: { versionId: '2' } });
  });

  test('when type history is read, then it lists only that type', async () => {
    const { immunizationId } = await seed();
    const h = await store().history({ resourceType: 'Immunization', count: 10, offset: 0 });
    expect(h.entries.map((e) => e.id)).toEqual([immunizationId]);
  });

  test('when system history is read, then it lists every write newest first', async () => {
    const { patientId, immunizationId } = await seed();
    const h = await store().history({ count: 10, offset: 0 });
    expect(h.entries.map((e) => `${e.resourceType}/${e.id}/${e.versionId}`)).toEqual([
      `Patient/${patientId}/2`,
      `Immunization/${immunizationId}/1`,
      `Patient/${patientId}/1`,
    ]);
    expect(h.total).toBe(3);
  });

  test('when _since is given, then only versions written at or after it are listed', async () => {
    await seed();
    const h = await store().history({ since: '2024-01-01T00:00:01Z', count: 10, offset: 0 });
    expect(h.entries.map((e) => e.lastUpdated)).toEqual(['2024-01-01T00:00:02.000Z', '2024-01-01T00:00:01.000Z']);
  });

  test('when _since is not an instant, then history fails with HISTORY_SINCE_INVALID', async () => {
    await expectOutcome(
      store().history({ since: 'yesterday', count: 10, offset: 0 }),
      'invalid',
      'HISTORY_SINCE_INVALID',
      "_since 'yesterday' is not a valid instant",
    );
  });

  test('when history is paged and writes happen between pages, then the later pages keep the snapshot', async () => {
    for (let i = 0; i < 5; i++) await store().create(patient({ gender: 'male' }));
    const page1 = await store().history({ resourceType: 'Patient', count: 2, offset: 0 });
    for (let i = 0; i < 3; i++) await store().create(patient());
    const page2 = await store().history({ resourceType: 'Patient', count: 2, offset: 2, snapshot: page1.snapshot });
    const fresh = await store().history({ resourceType: 'Patient', count: 7, offset: 0, snapshot: page1.snapshot });
    expect(page2.total).toBe(5);
    expect(page2.snapshot).toBe(page1.snapshot);
    expect(page2.entries.map((e) => e.id)).toEqual(fresh.entries.slice(2, 4).map((e) => e.id));
    expect(new Set([...page1.entries, ...page2.entries].map((e) => e.id)).size).toBe(4);
  });
}
