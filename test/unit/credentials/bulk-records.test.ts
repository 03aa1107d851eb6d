/**
 * The bulk batch's prefetched reads (issue 18): the per-item `records()` run on the prefetch view answers exactly
 * what it answers on the store itself, for every kind of item (issuable, deleted, never stored, a patient that is
 * deleted, missing, remote or written as an absolute URL, an id that is not a FHIR id), and the view reads the
 * batch with two searches instead of two reads per item.
 */
import type { Immunization, Resource } from '@medplum/fhirtypes';
import { OutcomeError } from '../../../src/fhir/outcome.ts';
import { prefetchRecords } from '../../../src/credentials/bulk-records.ts';
import { recordsOfImmunization } from '../../../src/http/operations/records.ts';
import { createSqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import type { ResourceStore } from '../../../src/storage/store.ts';
import { covidImmunization, patient } from './fixtures.ts';

const BASE = 'https://gateway.test/fhir';
let store: ResourceStore;
const items: string[] = [];

/** What `records()` gives for an item: the records, or the refusal's kind and issues. */
async function outcome(s: ResourceStore, id: string): Promise<unknown> {
  try {
    return await recordsOfImmunization(s, id, BASE);
  } catch (err) {
    if (!(err instanceof OutcomeError)) throw err;
    return { kind: err.kind, issues: err.outcome.issue };
  }
}

beforeAll(async () => {
  store = createSqliteStore({ path: ':memory:' });
  const imm = (id: string, reference: string): Immunization => covidImmunization({ id, patient: { reference } });
  const records: Resource[] = [
    patient({ id: 'p1' }),
    patient({ id: 'p2' }),
    patient({ id: 'gone' }),
    imm('ok-1', 'Patient/p1'),
    imm('ok-2', 'Patient/p1'), // two items of one patient
    imm('ok-abs', `${BASE}/Patient/p2`),
    imm('patient-deleted', 'Patient/gone'),
    imm('patient-missing', 'Patient/nobody'),
    imm('patient-remote', 'https://elsewhere.test/fhir/Patient/p1'),
    imm('patient-odd', 'Patient/p1/_history/1'),
    imm('deleted', 'Patient/p1'),
  ];
  for (const r of records) await store.create(r, { id: r.id as string });
  await store.delete('Patient', 'gone');
  await store.delete('Immunization', 'deleted');
  items.push(...records.filter((r) => r.resourceType === 'Immunization').map((r) => r.id as string));
  items.push('never-stored', 'not a fhir id', 'ok-1'); // an item listed twice
});

afterAll(() => store.close());

test('every item gets from the prefetch view what it gets from the store', async () => {
  const view = await prefetchRecords(store, items);
  const expected = await Promise.all(items.map((id) => outcome(store, id)));
  const actual = await Promise.all(items.map((id) => outcome(view, id)));
  expect(actual).toEqual(expected);
  // The cases are the ones meant: issuable ones among them, and refusals of each kind.
  const kinds = expected.map((o) => (o as { kind?: string }).kind);
  expect(kinds.filter((k) => k === undefined)).toHaveLength(4);
  expect(new Set(kinds)).toEqual(new Set([undefined, 'not-found', 'gone', 'unprocessable']));
});

test('the batch is read with two searches and no per-item reads of what the searches found', async () => {
  const calls = { read: 0, search: 0 };
  const counting = new Proxy(store, {
    get: (target, prop) => {
      const value = Reflect.get(target, prop);
      if (prop !== 'read' && prop !== 'search') return value;
      return (...args: unknown[]) => {
        calls[prop]++;
        return (value as (...a: unknown[]) => unknown)(...args);
      };
    },
  });
  const issuable = ['ok-1', 'ok-2', 'ok-abs'];
  const view = await prefetchRecords(counting, issuable);
  for (const id of issuable) await recordsOfImmunization(view, id, BASE);
  expect(calls).toEqual({ read: 0, search: 2 });
});
