/**
 * Reading stored resource JSON back, for every adapter: decimals kept as their source text on the way in
 * (`1.50`, `1e2`) must come back with that text. https://hl7.org/fhir/R4/json.html#primitive
 */
import type { Resource } from '@medplum/fhirtypes';
import { parseStoredJson } from '../fhir/json.ts';

export function parseStoredResource(text: string): Resource {
  return parseStoredJson<Resource>(text);
}
