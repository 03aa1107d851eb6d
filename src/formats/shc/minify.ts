/**
 * SMART Health Card bundle minification: `resource:N` fullUrls and references; no Resource.id, Resource.meta
 * (meta.security is kept), DomainResource.text, CodeableConcept.text or Coding.display.
 * https://spec.smarthealth.cards/#health-cards-are-small
 */
import { FormatError } from '../errors.ts';
import { isJsonObject } from '../json.ts';

type Json = unknown;

function referenceKeys(entry: Record<string, unknown>): string[] {
  const keys: string[] = [];
  if (typeof entry.fullUrl === 'string') keys.push(entry.fullUrl);
  const resource = entry.resource;
  if (isJsonObject(resource) && typeof resource.resourceType === 'string' && typeof resource.id === 'string') {
    keys.push(`${resource.resourceType}/${resource.id}`);
    if (typeof entry.fullUrl === 'string' && entry.fullUrl.includes('/'))
      keys.push(entry.fullUrl.split('/').slice(-2).join('/'));
  }
  return keys;
}

function minifyValue(value: Json, refs: ReadonlyMap<string, string>, isResourceRoot: boolean): Json {
  if (Array.isArray(value)) return value.map((v) => minifyValue(v, refs, false));
  if (!isJsonObject(value)) return value;
  const out: Record<string, unknown> = {};
  const isCodeableConcept = Array.isArray(value.coding);
  const isCoding = typeof value.system === 'string' && typeof value.code === 'string';
  for (const [key, child] of Object.entries(value)) {
    if (isResourceRoot && (key === 'id' || key === 'text')) continue;
    if (isResourceRoot && key === 'meta') {
      if (isJsonObject(child) && Array.isArray(child.security)) out.meta = { security: child.security };
      continue;
    }
    if ((isCodeableConcept && key === 'text') || (isCoding && key === 'display')) continue;
    if (key === 'reference' && typeof child === 'string' && refs.has(child)) {
      out.reference = refs.get(child);
      continue;
    }
    Object.defineProperty(out, key, {
      value: minifyValue(child, refs, false),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Minify a FHIR Bundle for a SMART Health Card. Pure: returns a new Bundle.
 * @example minifyBundle(bundle).entry[0].fullUrl // 'resource:0'
 * @see https://spec.smarthealth.cards/#health-cards-are-small
 */
export function minifyBundle(bundle: unknown): Record<string, unknown> {
  if (!isJsonObject(bundle) || bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) {
    throw new FormatError('SHC_INVALID', 'SHC: the value to minify is not a Bundle with entries');
  }
  const refs = new Map<string, string>();
  bundle.entry.forEach((entry, i) => {
    if (isJsonObject(entry)) for (const key of referenceKeys(entry)) refs.set(key, `resource:${i}`);
  });
  const entry = bundle.entry.map((e, i) => {
    const resource = isJsonObject(e) ? e.resource : undefined;
    return { fullUrl: `resource:${i}`, resource: minifyValue(resource, refs, true) };
  });
  return { resourceType: 'Bundle', type: 'collection', entry };
}
