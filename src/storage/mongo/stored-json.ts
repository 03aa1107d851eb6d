/**
 * Reading stored resource JSON back. Decimals the REST layer kept as their source text (`1.50`, `1e2`, via
 * JSON.rawJSON in fhir/json.ts) were written verbatim by JSON.stringify; reading must keep that text, so such
 * numbers come back as JSON.rawJSON values. The reviver is slow, so it runs only on documents that may hold
 * such a number (a textual test that can say yes wrongly, never no wrongly). Same rule as the SQLite adapter.
 * https://hl7.org/fhir/R4/json.html#primitive
 */
import type { Resource } from '@medplum/fhirtypes';

interface RawJsonApi {
  rawJSON(text: string): unknown;
}
const rawJson = JSON as unknown as RawJsonApi;

/** A number token with a fraction, an exponent or 16+ digits: the only ones whose text can differ from String(n). */
const MAYBE_INEXACT_NUMBER = /[:,[]\s*-?\d+(?:\.\d|[eE]|\d{15})/;

function keepDecimalText(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && context?.source !== undefined && String(value) !== context.source) {
    return rawJson.rawJSON(context.source);
  }
  return value;
}

/** Parses a stored resource, keeping the exact text of decimals that do not round-trip as numbers. */
export function parseStoredResource(text: string): Resource {
  const reviver = MAYBE_INEXACT_NUMBER.test(text) ? (keepDecimalText as (k: string, v: unknown) => unknown) : undefined;
  return JSON.parse(text, reviver) as Resource;
}
