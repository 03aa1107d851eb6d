/**
 * Contract: conditional update (`PUT [type]?[search]`), including N concurrent pushes of one identifier.
 */
import type { Immunization } from '@medplum/fhirtypes';
import { expectOutcome, immunization, q, useStore } from './helpers.ts';
import type { MakeStore } from './helpers.ts';

const IDENT = { system: 'urn:oid:1.2.3', value: 'imm-cu' };

export function conditionalUpdateContract(makeStore: MakeStore): void {
  const { store } = useStore(makeStore);
  const byIdentifier = () => q('Immunization', `identifier=${IDENT.system}|${IDENT.value}`);

  test('when the search matches nothing, then the resource is created with a server id', async () => {
    const r = await store().conditionalUpdate(immunization({ identifier: [IDENT] }), byIdentifier());
    expect(r.outcome).toBe('created');
    expect(r.resource.meta?.versionId).toBe('1');
    expect((await store().read('Immunization', r.resource.id as string)).status).toBe('found');
  });

  test('when the search matches nothing and the body carries an id, then it is created under that id', async () => {
    const r = await store().conditionalUpdate(immunization({ id: 'client-1', identifier: [IDENT] }), byIdentifier());
    expect(r).toMatchObject({ outcome: 'created', resource: { id: 'client-1', meta: { versionId: '1' } } });
  });

  test('when the search matches one resource, then that resource gets the next version', async () => {
    const first = (await store().create(immunization({ identifier: [IDENT] }))).resource;
    const r = await store().conditionalUpdate(immunization({ identifier: [IDENT], lotNumber: 'L2' }), byIdentifier());
    expect(r).toMatchObject({
      outcome: 'updated',
      resource: { id: first.id, lotNumber: 'L2', meta: { versionId: '2' } },
    });
  });

  test('when the search matches one resource and If-Match names another version, then it fails and nothing changes', async () => {
    const first = (await store().create(immunization({ identifier: [IDENT] }))).resource;
    await expectOutcome(
      store().conditionalUpdate(immunization({ identifier: [IDENT] }), byIdentifier(), { ifMatch: '7' }),
      'precondition-failed',
      'STORE_VERSION_MISMATCH',
      `Immunization/${first.id} is at version 1, not '7'`,
    );
    expect(await store().read('Immunization', first.id as string)).toEqual({ status: 'found', resource: first });
  });

  test('when the search matches nothing and If-Match is given, then it fails with STORE_VERSION_MISMATCH', async () => {
    await expectOutcome(
      store().conditionalUpdate(immunization({ identifier: [IDENT] }), byIdentifier(), { ifMatch: '1' }),
      'precondition-failed',
      'STORE_VERSION_MISMATCH',
      "No Immunization matches the conditional update's search; If-Match '1' cannot match",
    );
  });

  test('when the body id differs from the one match, then it fails with STORE_CONDITIONAL_UPDATE_ID_MISMATCH', async () => {
    const first = (await store().create(immunization({ identifier: [IDENT] }))).resource;
    await expectOutcome(
      store().conditionalUpdate(immunization({ id: 'other', identifier: [IDENT] }), byIdentifier()),
      'invalid',
      'STORE_CONDITIONAL_UPDATE_ID_MISMATCH',
      `The body's id "other" is not the id of the Immunization the search matched ("${first.id}")`,
    );
  });

  test('when the search matches several resources, then it fails with 412 and nothing changes', async () => {
    await store().create(immunization({ identifier: [IDENT] }));
    await store().create(immunization({ identifier: [IDENT] }));
    await expectOutcome(
      store().conditionalUpdate(immunization({ identifier: [IDENT], lotNumber: 'X' }), byIdentifier()),
      'precondition-failed',
      'STORE_CONDITIONAL_UPDATE_MULTIPLE',
      "The conditional update's search matched 2 or more Immunization resources",
    );
    expect((await store().history({ count: 10, offset: 0 })).total).toBe(2);
  });

  test('when 20 conditional updates of one identifier run in parallel, then one resource exists with 20 versions', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store().conditionalUpdate(immunization({ identifier: [IDENT], lotNumber: `L${i}` }), byIdentifier()),
      ),
    );
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(new Set(results.map((r) => r.resource.id)).size).toBe(1);
    expect(new Set(results.map((r) => r.resource.meta?.versionId))).toEqual(
      new Set(Array.from({ length: 20 }, (_, i) => String(i + 1))),
    );
    expect((await store().search(q('Immunization', '_total=accurate'))).total).toBe(1);
    const id = results[0]?.resource.id as string;
    expect((await store().history({ resourceType: 'Immunization', id, count: 50, offset: 0 })).total).toBe(20);
  });

  test('when a conditional update runs inside a transaction that fails, then nothing of it remains', async () => {
    await expect(
      store().transaction(async (tx) => {
        await tx.conditionalUpdate(immunization({ identifier: [IDENT] }), byIdentifier());
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    expect((await store().search(q('Immunization', '_total=accurate'))).total).toBe(0);
  });

  test('when a resource created by conditional update is updated again by search, then If-Match on its version works', async () => {
    const created = (await store().conditionalUpdate(immunization({ identifier: [IDENT] }), byIdentifier()))
      .resource as Immunization;
    const r = await store().conditionalUpdate(immunization({ identifier: [IDENT], lotNumber: 'M' }), byIdentifier(), {
      ifMatch: '1',
    });
    expect(r).toMatchObject({ outcome: 'updated', resource: { id: created.id, meta: { versionId: '2' } } });
  });
}
