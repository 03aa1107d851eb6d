/**
 * Contract: conditional create (incl. concurrent identical pushes) and atomic transactions.
 */
import type { Immunization } from '@medplum/fhirtypes';
import { expectOutcome, immunization, patient, q, useStore } from './helpers.ts';
import type { MakeStore } from './helpers.ts';

const IDENT = { system: 'urn:oid:1.2.3', value: 'imm-1' };

export function conditionalAndTransactionContract(makeStore: MakeStore): void {
  const { store } = useStore(makeStore);
  const ifNoneExist = () => q('Immunization', `identifier=${IDENT.system}|${IDENT.value}`);

  test('when If-None-Exist matches nothing, then the resource is created', async () => {
    const r = await store().create(immunization({ identifier: [IDENT] }), { ifNoneExist: ifNoneExist() });
    expect(r.outcome).toBe('created');
  });

  test('when If-None-Exist matches one resource, then that resource is returned unchanged', async () => {
    const first = await store().create(immunization({ identifier: [IDENT] }));
    const again = await store().create(immunization({ identifier: [IDENT], lotNumber: 'other' }), {
      ifNoneExist: ifNoneExist(),
    });
    expect(again).toEqual({ outcome: 'existing', resource: first.resource });
  });

  test('when If-None-Exist matches several resources, then it fails with STORE_CONDITIONAL_CREATE_MULTIPLE', async () => {
    await store().create(immunization({ identifier: [IDENT] }));
    await store().create(immunization({ identifier: [IDENT] }));
    await expectOutcome(
      store().create(immunization({ identifier: [IDENT] }), { ifNoneExist: ifNoneExist() }),
      'precondition-failed',
      'STORE_CONDITIONAL_CREATE_MULTIPLE',
      'If-None-Exist matched 2 or more Immunization resources',
    );
  });

  test('when 20 identical conditional creates run in parallel, then exactly one resource exists', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        store().create(immunization({ identifier: [IDENT] }), { ifNoneExist: ifNoneExist() }),
      ),
    );
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(new Set(results.map((r) => r.resource.id)).size).toBe(1);
    const found = await store().search(q('Immunization', '_total=accurate'));
    expect(found.total).toBe(1);
  });

  test('when concurrent single writes include a failing one, then only that one fails', async () => {
    const existing = (await store().create(patient())).resource;
    const results = await Promise.allSettled([
      store().create(immunization({ lotNumber: 'A' })),
      store().update({ ...existing, gender: 'male' } as typeof existing, { ifMatch: '5' }),
      store().create(immunization({ lotNumber: 'B' })),
      store().update({ ...existing, gender: 'female' } as typeof existing, { ifMatch: '1' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((await store().search(q('Immunization', '_total=accurate'))).total).toBe(2);
    expect(await store().read('Patient', existing.id as string)).toMatchObject({
      resource: { gender: 'female', meta: { versionId: '2' } },
    });
  });

  test('when a transaction completes, then all its writes are visible', async () => {
    const ids = await store().transaction(async (tx) => {
      const p = await tx.create(patient());
      const i = await tx.create(immunization({ patient: { reference: `Patient/${p.resource.id}` } }));
      return [p.resource.id as string, i.resource.id as string];
    });
    expect((await store().read('Patient', ids[0] as string)).status).toBe('found');
    expect((await store().read('Immunization', ids[1] as string)).status).toBe('found');
  });

  test('when a write in the middle of a transaction fails, then nothing of it remains and the error is rethrown', async () => {
    const existing = (await store().create(patient())).resource;
    let createdId = '';
    await expectOutcome(
      store().transaction(async (tx) => {
        createdId = (await tx.create(immunization())).resource.id as string;
        await tx.update({ ...existing, gender: 'male' } as typeof existing, { ifMatch: '9' });
        await tx.create(patient());
      }),
      'precondition-failed',
      'STORE_VERSION_MISMATCH',
      `Patient/${existing.id} is at version 1, not '9'`,
    );
    expect(await store().read('Immunization', createdId)).toEqual({ status: 'missing' });
    expect((await store().search(q('Patient', '_total=accurate'))).total).toBe(1);
    expect((await store().history({ count: 10, offset: 0 })).total).toBe(1);
  });

  test('when a nested transaction runs, then it commits with the outer one and rolls back with it', async () => {
    await expect(
      store().transaction(async (tx) => {
        await tx.transaction(async (inner) => inner.create(patient({ gender: 'female' })));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect((await store().search(q('Patient', '_total=accurate'))).total).toBe(0);
    await store().transaction(async (tx) => tx.transaction(async (inner) => inner.create(patient())));
    expect((await store().search(q('Patient', '_total=accurate'))).total).toBe(1);
  });

  test('when another request reads while a transaction awaits, then it sees only the committed state', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let txId = '';
    const tx = store().transaction(async (t) => {
      txId = (await t.create(immunization())).resource.id as string;
      await gate;
      throw new Error('abandon');
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const outside = store().search(q('Immunization', '_total=accurate'));
    release();
    await expect(tx).rejects.toThrow('abandon');
    expect((await outside).total).toBe(0);
    expect(await store().read('Immunization', txId)).toEqual({ status: 'missing' });
  });

  test('when concurrent transactions each create a resource, then both commit independently', async () => {
    const results = await Promise.all(
      [1, 2].map((n) =>
        store().transaction(async (tx) => {
          const created = await tx.create(immunization({ lotNumber: `L${n}` }));
          await new Promise((resolve) => setTimeout(resolve, 5));
          return created.resource as Immunization;
        }),
      ),
    );
    const found = await store().search(q('Immunization', '_total=accurate'));
    expect(found.total).toBe(2);
    expect(results.map((r) => r.lotNumber)).toEqual(['L1', 'L2']);
  });
}
