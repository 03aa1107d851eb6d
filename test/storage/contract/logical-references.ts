/**
 * Contract: the `:identifier` modifier on references (`patient:identifier=sys|val`), answered from the token rows
 * of `Reference.identifier` that indexValues writes under `<code>:identifier`.
 */
import { immunization, q, useStore } from './helpers.ts';
import type { MakeStore } from './helpers.ts';

export function logicalReferenceContract(makeStore: MakeStore): void {
  const { store } = useStore(makeStore);

  test('when a reference carries an identifier, then :identifier finds it and a literal reference search does not', async () => {
    const byIdentifier = (
      await store().create(immunization({ patient: { identifier: { system: 'urn:nhs', value: '42' } } }))
    ).resource;
    await store().create(immunization({ patient: { reference: 'Patient/42' } }));
    const found = await store().search(q('Immunization', 'patient:identifier=urn:nhs|42'));
    expect(found.resources.map((r) => r.id)).toEqual([byIdentifier.id]);
    expect((await store().search(q('Immunization', 'patient:identifier=urn:nhs|43'))).resources).toEqual([]);
    expect((await store().search(q('Immunization', 'patient:identifier=42'))).resources.map((r) => r.id)).toEqual([
      byIdentifier.id,
    ]);
  });

  test('when the resource is updated without the identifier, then :identifier no longer finds it', async () => {
    const created = (await store().create(immunization({ patient: { identifier: { system: 'urn:nhs', value: '7' } } })))
      .resource;
    await store().update({ ...created, patient: { reference: 'Patient/7' } } as typeof created);
    expect((await store().search(q('Immunization', 'patient:identifier=urn:nhs|7'))).resources).toEqual([]);
  });
}
