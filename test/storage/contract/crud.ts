/**
 * Contract: create, read, vread, update (incl. create-on-update and If-Match), soft versioned delete.
 */
import type { Patient, Resource } from '@medplum/fhirtypes';
import { parseStrictJson } from '../../../src/fhir/json.ts';
import { expectOutcome, immunization, patient, q, useStore } from './helpers.ts';
import type { MakeStore } from './helpers.ts';

export function crudContract(makeStore: MakeStore): void {
  const { store, clock } = useStore(makeStore);

  test('when a resource is created, then it gets a server id, version 1 and lastUpdated, and read returns it', async () => {
    const { outcome, resource } = await store().create(patient({ id: 'client-chosen' }));
    expect(outcome).toBe('created');
    expect(resource.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(resource.id).not.toBe('client-chosen');
    expect(resource.meta).toMatchObject({ versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z' });
    const read = await store().read('Patient', resource.id as string);
    expect(read).toEqual({ status: 'found', resource });
  });

  test('when create is given a server-chosen id, then the resource gets it', async () => {
    const { resource } = await store().create(patient(), { id: 'chosen-1' });
    expect(resource.id).toBe('chosen-1');
    expect((await store().read('Patient', 'chosen-1')).status).toBe('found');
  });

  test('when create is given an id that exists, then it fails with STORE_ID_EXISTS', async () => {
    await store().create(patient(), { id: 'dup' });
    await expectOutcome(
      store().create(patient(), { id: 'dup' }),
      'conflict',
      'STORE_ID_EXISTS',
      'Patient/dup already exists',
    );
  });

  test('when a resource was never stored, then read says missing and vread finds nothing', async () => {
    expect(await store().read('Patient', 'nope')).toEqual({ status: 'missing' });
    expect(await store().vread('Patient', 'nope', '1')).toBeUndefined();
  });

  test('when a resource is updated, then it gets the next version and vread returns each version', async () => {
    const created = (await store().create(patient())).resource as Patient;
    clock.tick(1000);
    const updated = await store().update({ ...created, gender: 'female' });
    expect(updated.outcome).toBe('updated');
    expect(updated.resource.meta).toMatchObject({ versionId: '2', lastUpdated: '2024-01-01T00:00:01.000Z' });
    const v1 = await store().vread('Patient', created.id as string, '1');
    const v2 = await store().vread('Patient', created.id as string, '2');
    expect(v1).toMatchObject({ versionId: '1', method: 'POST', resource: created });
    expect(v2).toMatchObject({ versionId: '2', method: 'PUT', lastUpdated: '2024-01-01T00:00:01.000Z' });
    expect((v2?.resource as Patient).gender).toBe('female');
    expect(await store().vread('Patient', created.id as string, '3')).toBeUndefined();
  });

  test('when an update names an id that does not exist, then the resource is created with version 1', async () => {
    const { outcome, resource } = await store().update(patient({ id: 'new-by-put' }));
    expect(outcome).toBe('created');
    expect(resource.meta?.versionId).toBe('1');
    expect((await store().read('Patient', 'new-by-put')).status).toBe('found');
  });

  test('when an update has no id, then it fails with STORE_ID_REQUIRED', async () => {
    await expectOutcome(store().update(patient()), 'invalid', 'STORE_ID_REQUIRED', 'An update needs the resource id');
  });

  test('when If-Match names the current version, then the update succeeds', async () => {
    const created = (await store().create(patient())).resource;
    const { resource } = await store().update(created, { ifMatch: '1' });
    expect(resource.meta?.versionId).toBe('2');
  });

  test('when If-Match names another version, then the update fails with STORE_VERSION_MISMATCH and nothing changes', async () => {
    const created = (await store().create(patient())).resource;
    await expectOutcome(
      store().update({ ...created, gender: 'male' } as Patient, { ifMatch: '7' }),
      'precondition-failed',
      'STORE_VERSION_MISMATCH',
      `Patient/${created.id} is at version 1, not '7'`,
    );
    const read = await store().read('Patient', created.id as string);
    expect(read).toEqual({ status: 'found', resource: created });
  });

  test('when a resource is deleted, then read says deleted with the deletion version and history has a DELETE entry', async () => {
    const created = (await store().create(patient())).resource;
    const id = created.id as string;
    clock.tick(5000);
    expect(await store().delete('Patient', id)).toEqual({ versionId: '2' });
    expect(await store().read('Patient', id)).toEqual({
      status: 'deleted',
      versionId: '2',
      lastUpdated: '2024-01-01T00:00:05.000Z',
    });
    const { entries } = await store().history({ resourceType: 'Patient', id, count: 10, offset: 0 });
    expect(entries.map((e) => [e.versionId, e.method, e.resource === undefined])).toEqual([
      ['2', 'DELETE', true],
      ['1', 'POST', false],
    ]);
    expect(await store().vread('Patient', id, '2')).toMatchObject({ method: 'DELETE', versionId: '2' });
    expect((await store().vread('Patient', id, '1'))?.resource).toEqual(created);
  });

  test('when a deleted or missing resource is deleted, then nothing happens and no version is returned', async () => {
    const id = (await store().create(patient())).resource.id as string;
    await store().delete('Patient', id);
    expect(await store().delete('Patient', id)).toEqual({});
    expect(await store().delete('Patient', 'never')).toEqual({});
    const { total } = await store().history({ resourceType: 'Patient', id, count: 10, offset: 0 });
    expect(total).toBe(2);
  });

  test('when a delete carries a wrong If-Match, then it fails with STORE_VERSION_MISMATCH and the resource stays', async () => {
    const id = (await store().create(patient())).resource.id as string;
    await expectOutcome(
      store().delete('Patient', id, { ifMatch: '3' }),
      'precondition-failed',
      'STORE_VERSION_MISMATCH',
      `Patient/${id} is at version 1, not '3'`,
    );
    expect((await store().read('Patient', id)).status).toBe('found');
  });

  test('when a deleted resource is updated, then it comes back with the next version and outcome created', async () => {
    const created = (await store().create(patient())).resource;
    await store().delete('Patient', created.id as string);
    const revived = await store().update({ ...created, gender: 'other' } as Patient);
    expect(revived.outcome).toBe('created');
    expect(revived.resource.meta?.versionId).toBe('3');
    expect((await store().search(q('Patient', `_id=${created.id}`))).resources).toHaveLength(1);
  });

  test('when a deleted resource is updated with an outdated If-Match, then it fails with STORE_VERSION_CONFLICT_DELETED', async () => {
    const created = (await store().create(patient())).resource;
    await store().delete('Patient', created.id as string);
    await expectOutcome(
      store().update(created, { ifMatch: '1' }),
      'conflict',
      'STORE_VERSION_CONFLICT_DELETED',
      `Patient/${created.id} is at version 2, not '1' (deleted)`,
    );
  });

  test('when a resource is deleted, then search no longer finds it', async () => {
    const kept = (await store().create(immunization())).resource;
    const gone = (await store().create(immunization())).resource;
    await store().delete('Immunization', gone.id as string);
    const result = await store().search(q('Immunization', 'status=completed&_total=accurate'));
    expect(result.resources.map((r) => r.id)).toEqual([kept.id]);
    expect(result.total).toBe(1);
  });

  test('when a resource holds decimals kept as source text, then read, search and history give the same text back', async () => {
    const body =
      '{"resourceType":"Observation","status":"final","code":{"text":"w"},"valueQuantity":{"value":72.50,"unit":"kg"},"component":[{"code":{"text":"x"},"valueQuantity":{"value":1e2}}]}';
    const created = (await store().create(parseStrictJson(body) as Resource)).resource;
    const id = created.id as string;
    const read = await store().read('Observation', id);
    expect(JSON.stringify((read as { resource: Resource }).resource)).toContain('"value":72.50,');
    expect(JSON.stringify((read as { resource: Resource }).resource)).toContain('"value":1e2}');
    const found = await store().search(q('Observation', 'value-quantity=72.5'));
    expect(found.resources.map((r) => r.id)).toEqual([id]);
    expect(JSON.stringify(found.resources[0])).toContain('"value":72.50,');
    const v1 = await store().vread('Observation', id, '1');
    expect(JSON.stringify(v1?.resource)).toContain('"value":72.50,');
  });

  test('when the store describes itself, then it names its kind', () => {
    expect(store().describe()).toMatch(/^[a-z]+:/);
  });
}
