/**
 * Shared pieces of the storage contract suite: the store factory type, fixture builders and assertions.
 */
import type { Immunization, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { OutcomeError, messageIdOf } from '../../../src/fhir/outcome.ts';
import type { OutcomeKind } from '../../../src/fhir/outcome.ts';
import { parseSearchQuery } from '../../../src/fhir/search/parse.ts';
import type { SearchQuery } from '../../../src/fhir/search/query.ts';
import type { ResourceStore } from '../../../src/storage/store.ts';

export interface ContractStoreOptions {
  /** Clock for meta.lastUpdated: adapters must use it so that `_since` / `_lastUpdated` tests are exact. */
  now: () => Date;
}

export type MakeStore = (options: ContractStoreOptions) => Promise<ResourceStore>;

/** A clock the tests move by hand. */
export interface TestClock {
  now: () => Date;
  set(iso: string): void;
  tick(ms: number): void;
}

export function testClock(start = '2024-01-01T00:00:00.000Z'): TestClock {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    set: (iso) => {
      t = Date.parse(iso);
    },
    tick: (ms) => {
      t += ms;
    },
  };
}

/** A store per test, opened before and closed after each one. */
export function useStore(makeStore: MakeStore): { store: () => ResourceStore; clock: TestClock } {
  let current: ResourceStore | undefined;
  const clock = testClock();
  beforeEach(async () => {
    clock.set('2024-01-01T00:00:00.000Z');
    current = await makeStore({ now: () => clock.now() });
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return { store: () => current as ResourceStore, clock };
}

/** Parses `a=b&c=d` for a type into a SearchQuery, as the REST layer would. */
export function q(resourceType: string, search = '', options = { defaultCount: 50, maxCount: 100 }): SearchQuery {
  const params = [...new URLSearchParams(search)] as Array<[string, string]>;
  return parseSearchQuery(resourceType, params, options).query;
}

export const SNOMED = 'http://snomed.info/sct';
export const COVID_VACCINE = '1119349007';

export function patient(overrides: Partial<Patient> = {}): Patient {
  return { resourceType: 'Patient', name: [{ family: 'Doe', given: ['Jane'] }], ...overrides };
}

export function immunization(overrides: Partial<Immunization> = {}): Immunization {
  return {
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: { coding: [{ system: SNOMED, code: COVID_VACCINE, display: 'COVID-19 mRNA vaccine' }] },
    patient: { reference: 'Patient/p1' },
    occurrenceDateTime: '2021-05-01T10:00:00Z',
    ...overrides,
  };
}

export function observation(overrides: Partial<Observation> = {}): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
    ...overrides,
  };
}

/** Asserts that `promise` rejects with an OutcomeError of `kind`, message id `id` and text `message`. */
export async function expectOutcome(
  promise: Promise<unknown>,
  kind: OutcomeKind,
  id: string,
  message: string | RegExp,
): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutcomeError);
  const outcomeError = err as OutcomeError;
  expect(outcomeError.kind).toBe(kind);
  expect(messageIdOf(outcomeError.outcome)).toBe(id);
  if (typeof message === 'string') expect(outcomeError.message).toBe(message);
  else expect(outcomeError.message).toMatch(message);
}

/** The ids of resources, in order. */
export function ids(resources: Resource[]): string[] {
  return resources.map((r) => r.id as string);
}

/** Creates resources one by one and returns them as stored. */
export async function createAll<T extends Resource>(store: ResourceStore, resources: T[]): Promise<T[]> {
  const out: T[] = [];
  for (const r of resources) out.push((await store.create(r)).resource as T);
  return out;
}
