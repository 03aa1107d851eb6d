/**
 * The Immunizations bench/rest.ts stores, shared with its server (bench/rest-server.ts bulk-loads the same ones):
 * record n is distinct in everything searched — identifier `imm-n`, patient `p-⌊n/4⌋` (four doses each, so a
 * patient search returns 4 at any size), and an occurrence instant of its own (n × 7919 minutes modulo ten
 * years: 7919 is prime to the number of minutes, so no two records of the first 5 million share a minute).
 */
import type { Immunization } from '@medplum/fhirtypes';
import { sctidProblem } from '../src/validation/sctid.ts';

export const DOSES_PER_PATIENT = 4;
const BASE = Date.UTC(2015, 0, 1);
const DAY_MS = 86_400_000;
const SPAN_DAYS = 3650;
const MINUTES = SPAN_DAYS * 1440;

/**
 * 50 distinct vaccine codes that are well-formed SNOMED CT ids (item 1119349+k, partition 00, Verhoeff check
 * digit). The validator refuses a code whose check digit is wrong (ADR 0062): `1119349000 + k` was refused for
 * nine k in ten, so those creates failed fast and were counted as failures, not as creates.
 */
export const VACCINE_CODES = Array.from({ length: 50 }, (_, k) => {
  const stem = `${1119349 + k}00`;
  const digit = [...'0123456789'].find((d) => sctidProblem(stem + d) === undefined);
  return stem + digit;
});

export function immunization(n: number): Immunization {
  return {
    resourceType: 'Immunization',
    identifier: [{ system: 'urn:bench:his', value: `imm-${n}` }],
    status: 'completed',
    vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: VACCINE_CODES[n % 50] as string }] },
    patient: { reference: `Patient/p-${Math.floor(n / DOSES_PER_PATIENT)}` },
    occurrenceDateTime: new Date(BASE + ((n * 7919) % MINUTES) * 60_000).toISOString().replace('.000Z', 'Z'),
    lotNumber: `LOT-${n % 997}`,
    doseQuantity: { value: 0.5, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' },
  };
}

export function transaction(from: number, size: number): string {
  const entry = Array.from({ length: size }, (_, k) => ({
    resource: immunization(from + k),
    request: { method: 'POST', url: 'Immunization' },
  }));
  return JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry });
}

/** The page size of the timed searches. */
export const PAGE = 20;
/** Days in a date-range search: ~80 matches at 10k stored, so the page is full at every size. */
export const RANGE_DAYS = 30;

export type SearchKind = 'patient' | 'date' | 'identifier';
export const SEARCH_KINDS: readonly SearchKind[] = ['patient', 'date', 'identifier'];

const day = (d: number) => new Date(BASE + d * DAY_MS).toISOString().slice(0, 10);

/** The i-th search of a kind over `stored` records: spread over all of them, a different one each time. */
export function searchPath(kind: SearchKind, i: number, stored: number): string {
  const k = (i * 7919) % stored;
  switch (kind) {
    case 'patient':
      return `/fhir/Immunization?patient=Patient/p-${Math.floor(k / DOSES_PER_PATIENT)}&_count=${PAGE}`;
    case 'identifier':
      return `/fhir/Immunization?identifier=${encodeURIComponent(`urn:bench:his|imm-${k}`)}&_count=${PAGE}`;
    case 'date': {
      const from = (i * 104_729) % (SPAN_DAYS - RANGE_DAYS);
      return `/fhir/Immunization?date=ge${day(from)}&date=lt${day(from + RANGE_DAYS)}&_count=${PAGE}`;
    }
  }
}

/** How many matches the search must return (checked before timing: a search that finds nothing is fast). */
export function expectedMatches(kind: SearchKind, i: number, stored: number): number {
  const k = (i * 7919) % stored;
  if (kind === 'identifier') return 1;
  if (kind === 'patient') {
    const first = Math.floor(k / DOSES_PER_PATIENT) * DOSES_PER_PATIENT;
    return Math.min(DOSES_PER_PATIENT, stored - first);
  }
  return PAGE;
}
