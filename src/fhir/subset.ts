/**
 * `_summary` and `_elements`: a match cut down to some of its top-level elements, tagged SUBSETTED so that
 * nobody mistakes it for the whole resource. `true` keeps the elements the base definition marks isSummary,
 * `text` keeps text, id, meta and the mandatory elements, `data` drops text. Pure.
 * https://hl7.org/fhir/R4/search.html#summary https://hl7.org/fhir/R4/search.html#elements
 */
import { tryGetDataType } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';

export interface SubsetRequest {
  summary?: 'true' | 'text' | 'data' | 'false';
  elements?: string[];
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const ALWAYS = new Set(['resourceType', 'id', 'meta']);

/** `occurrenceDateTime` is the element `occurrence[x]`, asked for as `occurrence`. */
function inSet(key: string, names: ReadonlySet<string>): boolean {
  if (names.has(key)) return true;
  for (const n of names) {
    const base = n.endsWith('[x]') ? n.slice(0, -3) : n;
    if (key.length > base.length && key.startsWith(base) && /^[A-Z]/.test(key.slice(base.length))) return true;
  }
  return false;
}

function keep(resource: Resource, wanted: (key: string) => boolean): Resource {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resource)) {
    const base = k.startsWith('_') ? k.slice(1) : k; // a primitive's extension part goes with it
    if (ALWAYS.has(base) || wanted(base)) out[k] = v;
  }
  const meta = (out.meta ?? {}) as Resource['meta'] & object;
  out.meta = { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] };
  return out as unknown as Resource;
}

/**
 * The resource as `_summary` / `_elements` ask for it; unchanged when neither applies.
 * @example subsetResource(immunization, { elements: ['status'] }) // { resourceType, id, meta (SUBSETTED), status }
 */
export function subsetResource(resource: Resource, request: SubsetRequest): Resource {
  const schema = tryGetDataType(resource.resourceType);
  if (request.elements && request.elements.length > 0) {
    const names = new Set(request.elements.map((e) => e.replace(new RegExp(`^${resource.resourceType}\\.`), '')));
    return keep(resource, (k) => inSet(k, names));
  }
  switch (request.summary) {
    case 'true':
      return keep(resource, (k) => inSet(k, schema?.summaryProperties ?? new Set()));
    case 'text':
      return keep(resource, (k) => k === 'text' || inSet(k, schema?.mandatoryProperties ?? new Set()));
    case 'data':
      return keep(resource, (k) => k !== 'text');
    default:
      return resource;
  }
}
