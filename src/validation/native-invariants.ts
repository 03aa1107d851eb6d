/**
 * Core invariants implemented natively: they run on every resource or element, and dom-3 relies on
 * `as(canonical)` typing that the FHIRPath engine cannot infer from untyped JSON (it would report false errors).
 * https://hl7.org/fhir/R4/domainresource.html#invs
 */
import type { AnyResource } from '../packages/types.ts';

/** Collects every string in a JSON tree (skipping one subtree), to find `#id` and canonical references. */
function strings(value: unknown, skip: unknown, out: Set<string>): void {
  if (value === skip) return;
  if (typeof value === 'string') {
    out.add(value);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) for (const v of value) strings(v, skip, out);
  else for (const v of Object.values(value)) strings(v, skip, out);
}

/**
 * dom-3: every contained resource is referenced from elsewhere in the resource (`#id`, or its canonical
 * `url`), or refers to the container (`#`). Returns the ids of contained resources that break it.
 */
export function unreferencedContained(resource: AnyResource): string[] {
  const contained = resource.contained;
  if (!Array.isArray(contained) || contained.length === 0) return [];
  const bad: string[] = [];
  contained.forEach((c: AnyResource) => {
    const refs = new Set<string>();
    strings(resource, c, refs);
    const own = new Set<string>();
    strings(c, undefined, own);
    // A contained conformance resource used through its canonical `url` counts as referenced: the
    // IG Publisher produces that shape, and rejecting it would be a false error (docs/decisions).
    const byCanonical = typeof c?.url === 'string' && refs.has(c.url);
    if (!refs.has(`#${c?.id}`) && !byCanonical && !own.has('#')) bad.push(String(c?.id));
  });
  return bad;
}
