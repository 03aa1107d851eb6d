/**
 * Core R4 invariants implemented natively, matched by their exact FHIRPath expression: they run on
 * every resource or Bundle, where FHIRPath evaluation dominated the cost; and dom-3 relies on
 * `as(canonical)` typing that FHIRPath cannot infer from untyped JSON (it would report false errors).
 * https://hl7.org/fhir/R4/domainresource.html#invs and https://hl7.org/fhir/R4/bundle.html#invs
 */
import { allResourceTypes } from '../fhir/base-definitions.ts';
import type { AnyResource } from '../packages/types.ts';
import { hasForbiddenElement, mayHaveEventAttribute, mayHaveScriptUrl } from './xhtml-scan.ts';

/** Where a string occurs: in one contained resource (its index), outside them (-1), or in several places. */
type Owner = number | 'many';

/** Records every string of a JSON tree as occurring in `owner` (one linear walk). */
function recordStrings(value: unknown, owner: number, seen: Map<string, Owner>): void {
  if (typeof value === 'string') {
    const before = seen.get(value);
    if (before === undefined) seen.set(value, owner);
    else if (before !== owner) seen.set(value, 'many');
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) for (const v of value) recordStrings(v, owner, seen);
  else for (const v of Object.values(value)) recordStrings(v, owner, seen);
}

/**
 * dom-3: every contained resource is referenced from elsewhere in the resource (`#id`, or its canonical
 * `url`), or refers to the container (`#`). Returns the ids of contained resources that break it.
 * One walk over the resource records, for each string, whether it occurs outside a given contained
 * resource, so the check is linear in the size of the resource (it was quadratic in the contained count).
 */
export function unreferencedContained(resource: AnyResource): string[] {
  const contained = resource.contained;
  if (!Array.isArray(contained) || contained.length === 0) return [];
  const seen = new Map<string, Owner>();
  for (const [key, value] of Object.entries(resource)) if (key !== 'contained') recordStrings(value, -1, seen);
  contained.forEach((c: unknown, i: number) => recordStrings(c, i, seen));
  const elsewhere = (s: string, i: number): boolean => {
    const owner = seen.get(s);
    return owner !== undefined && owner !== i;
  };
  const bad: string[] = [];
  contained.forEach((c: AnyResource, i: number) => {
    // A contained conformance resource used through its canonical `url` counts as referenced: the
    // IG Publisher produces that shape, and rejecting it would be a false error (docs/decisions).
    const byCanonical = typeof c?.url === 'string' && elsewhere(c.url, i);
    const refersToContainer = seen.get('#') === i || seen.get('#') === 'many';
    if (!elsewhere(`#${c?.id}`, i) && !byCanonical && !(refersToContainer && ownsString(c, '#')))
      bad.push(String(c?.id));
  });
  return bad;
}

/** Whether the tree holds the string `s` (only called for the rare `#` back-reference). */
function ownsString(value: unknown, s: string): boolean {
  if (value === s) return true;
  if (typeof value !== 'object' || value === null) return false;
  return (Array.isArray(value) ? value : Object.values(value)).some((v) => ownsString(v, s));
}

/** Ids of the contained resources of a container, computed once per contained list (not once per reference). */
const containedIds = new WeakMap<object, { list: unknown; length: number; ids: Set<unknown> }>();
function idsOfContained(root: J): Set<unknown> {
  const hit = containedIds.get(root);
  const list = root.contained;
  if (hit && hit.list === list && hit.length === arr(list).length) return hit.ids;
  const ids = new Set(arr(list).map((c) => c?.id));
  containedIds.set(root, { list, length: arr(list).length, ids });
  return ids;
}

type J = Record<string, unknown>;
const arr = (v: unknown): J[] => (Array.isArray(v) ? (v as J[]) : v === undefined || v === null ? [] : [v as J]);
const meta = (r: J): J => (r.meta as J | undefined) ?? {};
const entries = (b: J): J[] => arr(b.entry);
const resourceOf = (e: J): J | undefined => e.resource as J | undefined;

/** Native check: returns true when the invariant holds for `value` (`resource` is %resource, `root` %rootResource). */
export type NativeCheck = (value: J, resource: J, root: J) => boolean;

/** Event attributes (onclick, onload…) inside a tag: "no event related attributes" (same page). `[^<>]*` keeps the
 * scan linear on hostile text (a span never crosses another `<`). */
const EVENT_ATTRIBUTE = /<[a-z][^<>]*\son[a-z]+\s*=/i;
/** A link or source that runs script when followed. */
const SCRIPT_URL = /<[a-z][^<>]*\s(href|src)\s*=\s*["']?\s*javascript:/i;

/** The tag-anchored patterns (which rescan every tag's attributes) run only on the rare narrative that has what any
 * of their matches contains (xhtml-scan.ts). */
function htmlChecks(div: unknown): boolean {
  if (typeof div !== 'string') return true;
  return (
    /^<div[\s>]/.test(div) &&
    div.includes('http://www.w3.org/1999/xhtml') &&
    !hasForbiddenElement(div) &&
    !(mayHaveEventAttribute(div) && EVENT_ATTRIBUTE.test(div)) &&
    !(mayHaveScriptUrl(div) && SCRIPT_URL.test(div))
  );
}

/** R4 core expressions → native equivalents (same verdicts, no FHIRPath evaluation). */
export const NATIVE_BY_EXPRESSION: ReadonlyMap<string, NativeCheck> = new Map<string, NativeCheck>([
  ['contained.contained.empty()', (r) => arr(r.contained).every((c) => arr(c.contained).length === 0)],
  [
    'contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()',
    (r) => arr(r.contained).every((c) => meta(c).versionId === undefined && meta(c).lastUpdated === undefined),
  ],
  ['contained.meta.security.empty()', (r) => arr(r.contained).every((c) => arr(meta(c).security).length === 0)],
  ['text.`div`.exists()', (r) => typeof (r.text as J | undefined)?.div === 'string'],
  [
    "total.empty() or (type = 'searchset') or (type = 'history')",
    (b) => b.total === undefined || b.type === 'searchset' || b.type === 'history',
  ],
  [
    "entry.search.empty() or (type = 'searchset')",
    (b) => b.type === 'searchset' || entries(b).every((e) => e.search === undefined),
  ],
  [
    "entry.all(request.exists() = (%resource.type = 'batch' or %resource.type = 'transaction' or %resource.type = 'history'))",
    (b, r) =>
      entries(b).every(
        (e) => (e.request !== undefined) === (r.type === 'batch' || r.type === 'transaction' || r.type === 'history'),
      ),
  ],
  [
    "entry.all(response.exists() = (%resource.type = 'batch-response' or %resource.type = 'transaction-response' or %resource.type = 'history'))",
    (b, r) =>
      entries(b).every(
        (e) =>
          (e.response !== undefined) ===
          (r.type === 'batch-response' || r.type === 'transaction-response' || r.type === 'history'),
      ),
  ],
  [
    "(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&resource.meta.versionId).isDistinct()",
    (b) => b.type === 'history' || distinctFullUrls(b),
  ],
  [
    "type = 'document' implies (identifier.system.exists() and identifier.value.exists())",
    (b) =>
      b.type !== 'document' ||
      (typeof (b.identifier as J | undefined)?.system === 'string' &&
        typeof (b.identifier as J | undefined)?.value === 'string'),
  ],
  ["type = 'document' implies (timestamp.hasValue())", (b) => b.type !== 'document' || typeof b.timestamp === 'string'],
  [
    "type = 'document' implies entry.first().resource.is(Composition)",
    (b) => b.type !== 'document' || resourceOf(entries(b)[0] ?? {})?.resourceType === 'Composition',
  ],
  [
    "type = 'message' implies entry.first().resource.is(MessageHeader)",
    (b) => b.type !== 'message' || resourceOf(entries(b)[0] ?? {})?.resourceType === 'MessageHeader',
  ],
  [
    'resource.exists() or request.exists() or response.exists()',
    (e) => e.resource !== undefined || e.request !== undefined || e.response !== undefined,
  ],
  [
    "fullUrl.exists() implies fullUrl.contains('/_history/').not()",
    (e) => typeof e.fullUrl !== 'string' || !e.fullUrl.includes('/_history/'),
  ],
  [
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))",
    (ref, _r, root) =>
      typeof ref.reference !== 'string' ||
      !ref.reference.startsWith('#') ||
      ref.reference === '#' ||
      idsOfContained(root).has(ref.reference.slice(1)),
  ],
  ['value.empty() or system.exists()', (cp) => cp.value === undefined || cp.system !== undefined],
  ['data.empty() or contentType.exists()', (a) => a.data === undefined || a.contentType !== undefined],
  ['htmlChecks()', (div) => htmlChecks(div)],
  ["fullUrl.contains('/_history/').not()", (e) => typeof e.fullUrl !== 'string' || !e.fullUrl.includes('/_history/')],
  ['(identifier.count() + name.count()) > 0', (o) => arr(o.identifier).length + arr(o.name).length > 0],
  ["where(use = 'home').empty()", (item) => item.use !== 'home'],
  // que-12 as its human text says ("more than one enableWhen"); the R4 expression's `> 2` is a known slip, and the
  // HL7 validator applies the text.
  [
    'enableWhen.count() > 2 implies enableBehavior.exists()',
    (item) => arr(item.enableWhen).length <= 1 || item.enableBehavior !== undefined,
  ],
  // opd-3 as corrected after R4: a parameter whose type is a resource may name target profiles too (R5 says so; the
  // HL7 validator applies the correction to R4, as `type.memberOf(resource-types)`). Read literally, R4's expression
  // rejects an OperationDefinition that profiles a resource parameter, which the Java validator accepts.
  [
    "targetProfile.exists() implies (type = 'Reference' or type = 'canonical')",
    (p) =>
      arr(p.targetProfile).length === 0 ||
      p.type === 'Reference' ||
      p.type === 'canonical' ||
      (typeof p.type === 'string' && isResourceTypeCode(p.type)),
  ],
]);

/** A code of http://hl7.org/fhir/ValueSet/resource-types (the concrete types, and the two abstract ones). */
function isResourceTypeCode(code: string): boolean {
  return code === 'Resource' || code === 'DomainResource' || allResourceTypes().has(code);
}

function distinctFullUrls(b: J): boolean {
  const seen = new Set<string>();
  for (const e of entries(b)) {
    if (typeof e.fullUrl !== 'string') continue;
    const key = `${e.fullUrl}${String(meta(resourceOf(e) ?? {}).versionId ?? '')}`;
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}
