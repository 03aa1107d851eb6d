/** Reference rewriting for transactions: `urn:uuid:` fullUrls and conditional references become `Type/id`. */
import type { BundleEntry, Resource } from '@medplum/fhirtypes';
import { isRawNumber } from '../../fhir/json.ts';

const CONDITIONAL = /^[A-Z][A-Za-z]+\?./;

/** A copy of `resource` in which every `reference` found in `map` is replaced. Kept decimal texts stay as they are. */
export function rewriteReferences(resource: Resource, map: ReadonlyMap<string, string>): Resource {
  if (map.size === 0) return resource;
  return rewrite(resource, map) as Resource;
}

function rewrite(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (typeof value !== 'object' || value === null || isRawNumber(value)) return value;
  if (Array.isArray(value)) return value.map((v) => rewrite(v, map));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === 'reference' && typeof v === 'string' && map.has(v) ? map.get(v) : rewrite(v, map);
  }
  return out;
}

/** Every conditional reference in the entries, with the location of its first use. */
export function collectConditionalReferences(entries: BundleEntry[]): Map<string, string> {
  const found = new Map<string, string>();
  entries.forEach((e, i) => walk(e.resource, `Bundle.entry[${i}].resource`, found));
  return found;
}

function walk(value: unknown, path: string, found: Map<string, string>): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, found));
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === 'reference' && typeof v === 'string' && CONDITIONAL.test(v)) {
      if (!found.has(v)) found.set(v, `${path}.reference`);
    } else walk(v, `${path}.${k}`, found);
  }
}
