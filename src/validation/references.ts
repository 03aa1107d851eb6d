/**
 * References: resolution inside the enclosing Bundle (fullUrl, urn:uuid, `Type/id`) or among
 * contained resources, then the target type and target profile checks.
 * https://hl7.org/fhir/R4/references.html and https://hl7.org/fhir/R4/bundle.html#references
 */
import type { AnyResource } from '../packages/types.ts';
import { pathText, type BundleEntryRef, type PathSource, type WalkContext } from './context.ts';
import type { ElementNode, TypeRef } from './model.ts';
import { createIssueSink } from './issues.ts';
import { surelyFails } from './quick-reject.ts';
import { knownErrorCount, validateAgainstProfile } from './walker.ts';

const BASE_SD = 'http://hl7.org/fhir/StructureDefinition/';
const TYPE_ID = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** id → position of a container's contained resources, built once per contained list (linear, not per reference). */
const containedIndexes = new WeakMap<object, { list: unknown; length: number; index: Map<unknown, number> }>();
function containedIndex(root: AnyResource, contained: AnyResource[]): Map<unknown, number> {
  const hit = containedIndexes.get(root);
  if (hit && hit.list === root.contained && hit.length === contained.length) return hit.index;
  const index = new Map<unknown, number>();
  contained.forEach((c, i) => {
    if (!index.has(c?.id)) index.set(c?.id, i);
  });
  containedIndexes.set(root, { list: root.contained, length: contained.length, index });
  return index;
}

/** Finds the target of a literal reference in the current Bundle or the current resource's contained list. */
export function resolveReference(ctx: WalkContext, reference: string): BundleEntryRef | undefined {
  if (reference === '#') return { resource: ctx.rootResource, path: ctx.rootPath };
  if (reference.startsWith('#')) {
    // Local references always point into the container (%rootResource), also from inside a contained resource.
    const contained = (ctx.rootResource.contained as AnyResource[] | undefined) ?? [];
    const i = containedIndex(ctx.rootResource, contained).get(reference.slice(1));
    return i === undefined ? undefined : { resource: contained[i], path: `${ctx.rootPath}.contained[${i}]` };
  }
  const bundle = ctx.bundle;
  if (!bundle) {
    const m = ctx.parameters && TYPE_ID.exec(reference);
    return m ? ctx.parameters?.get(m[0].replace(/^\//, '').replace(/\/_history\/.*$/, '')) : undefined;
  }
  const direct = bundle.byFullUrl.get(reference);
  if (direct) return direct;
  const m = TYPE_ID.exec(reference);
  if (!m) return undefined;
  const typeId = m[0].replace(/^\//, '').replace(/\/_history\/.*$/, '');
  if (/^[a-z]+:/.test(reference)) return bundle.byFullUrl.get(reference.replace(/\/_history\/.*$/, ''));
  const versions = bundle.sameTypeId.get(typeId);
  if (versions && m[2]) {
    // A versioned reference to a resource held in several versions: the entry with that meta.versionId.
    const version = m[2].slice('/_history/'.length);
    return versions.find((v) => (v.resource.meta as { versionId?: unknown } | undefined)?.versionId === version);
  }
  return bundle.byTypeId.get(typeId);
}

/** The resource type a profile constrains, known from the registry or from a core URL. */
function typeOfProfile(ctx: WalkContext, url: string): string | undefined {
  const p = ctx.engine.registry.profile(url);
  if (p) return p.type;
  return url.startsWith(BASE_SD) ? url.slice(BASE_SD.length).split('|')[0] : undefined;
}

function targetTypeOf(
  reference: string | undefined,
  obj: Record<string, unknown>,
  resolved: BundleEntryRef | undefined,
): string | undefined {
  if (resolved) return resolved.resource.resourceType;
  if (typeof obj.type === 'string') return obj.type;
  if (reference && !reference.startsWith('urn:')) return TYPE_ID.exec(reference)?.[1];
  return undefined;
}

/** Whether `target` conforms to at least one of the (loaded) profiles; undefined when none can be checked. */
export function conformsToAny(
  ctx: WalkContext,
  target: BundleEntryRef,
  profiles: readonly string[],
): boolean | undefined {
  let checked = false;
  for (const url of profiles) {
    const p = ctx.engine.registry.profile(url);
    if (!p || p.type !== target.resource.resourceType) continue;
    checked = true;
    // A walk done earlier in this call answers at once (slice matching asks again for every slice it tries).
    const known = knownErrorCount(ctx, target.resource, p);
    if (known !== undefined) {
      if (known === 0) return true;
      continue;
    }
    if (surelyFails(p, target.resource)) continue;
    const trial = { ...ctx, sink: createIssueSink() };
    if (validateAgainstProfile(trial, target.resource, p, target.path) === 0) return true;
  }
  return checked ? false : undefined;
}

/** Where a problem of the reference string of the Reference at `at` is reported (built only then). */
const referenceAt = (at: PathSource): string => `${pathText(at)}.reference`;

function checkUnresolved(ctx: WalkContext, reference: string, node: ElementNode, at: PathSource): void {
  const bundle = ctx.bundle;
  if (ctx.engine.checkReferencesExist && !bundle && !reference.startsWith('#') && !/^[a-z]+:/.test(reference)) {
    ctx.sink.add(
      'REFERENCE_NOT_RESOLVED',
      referenceAt(at),
      `Unable to resolve resource with reference '${reference}'`,
      'error',
    );
    return;
  }
  if (!bundle || reference.startsWith('#')) {
    if (reference.startsWith('#'))
      ctx.sink.add('REFERENCE_NOT_RESOLVED', referenceAt(at), `The contained resource '${reference}' is not found`);
    return;
  }
  // Composition.section.entry of documents has its own rule (bundle-rules.ts), reported once there.
  if (bundle.type === 'document' && node.path === 'Composition.section.entry') return;
  // A reference in the Bundle itself (Bundle.signature.who / onBehalfOf) names the signer, not document content.
  if (ctx.resource.resourceType === 'Bundle') return;
  const local = reference.startsWith('urn:uuid:') || reference.startsWith('urn:oid:') || !/^[a-z]+:/.test(reference);
  if (local && (bundle.type === 'document' || reference.startsWith('urn:'))) {
    // Only a document must be self-contained; elsewhere the HL7 validator warns.
    ctx.sink.add(
      'REFERENCE_NOT_RESOLVED',
      referenceAt(at),
      `The reference '${reference}' cannot be resolved inside the Bundle`,
      bundle.type === 'document' ? 'error' : 'warning',
    );
  } else if (!local && bundle.type === 'document') {
    // A document should be self-contained, but an absolute URL may legitimately point to a server.
    ctx.sink.add(
      'REFERENCE_EXTERNAL',
      referenceAt(at),
      `The reference '${reference}' points outside the document Bundle`,
    );
  }
}

/**
 * A relative reference (`Type/id`) inside a Bundle entry resolves against that entry's fullUrl
 * (https://hl7.org/fhir/R4/bundle.html#references). Reports, as the HL7 validator does, an entry with no fullUrl to
 * resolve against, and a relative reference that is no `Type/id` (or `Type/id/_history/v`); true when reported, so
 * the caller does not also report it unresolved.
 */
function checkRelativeInBundle(ctx: WalkContext, reference: string, at: PathSource): boolean {
  const bundle = ctx.bundle;
  if (!bundle || reference[0] === '#' || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(reference)) return false;
  // References of the Bundle itself (signature.who) have no entry; responses echo what the server got.
  if (
    ctx.resource.resourceType === 'Bundle' ||
    bundle.type === 'batch-response' ||
    bundle.type === 'transaction-response'
  )
    return false;
  const entry = bundle.byPath.get(ctx.rootPath);
  if (!entry) return false;
  if (entry.fullUrl === undefined) {
    ctx.sink.add('BUNDLE_ENTRY_NO_FULLURL', entry.path.replace(/\.resource$/, ''), 'Bundle entry missing fullUrl');
    ctx.sink.add(
      'BUNDLE_REFERENCE_NO_FULLURL',
      referenceAt(at),
      `The relative reference '${reference}' is inside a Bundle entry that has no fullUrl to resolve it against`,
    );
    return true;
  }
  const slashes = reference.split('/').length - 1;
  if (slashes === 1 || slashes === 3) return false;
  // A transaction or batch may use a conditional reference (a search URL).
  if ((bundle.type === 'transaction' || bundle.type === 'batch') && reference.includes('?')) return false;
  ctx.sink.add(
    'REFERENCE_FORMAT',
    referenceAt(at),
    `Relative URLs must be of the format [ResourceName]/[id]. Encountered ${reference}`,
  );
  return true;
}

/**
 * A reference type's allowed target types and its constraining (non-core) target profiles: they follow from the
 * loaded profiles alone, so each type works them out once per engine rather than once per reference checked.
 */
const TARGETS = new WeakMap<TypeRef, { engine: object; allowed: (string | undefined)[]; constraining: string[] }>();
function targetsOf(ctx: WalkContext, type: TypeRef): { allowed: (string | undefined)[]; constraining: string[] } {
  const hit = TARGETS.get(type);
  if (hit !== undefined && hit.engine === ctx.engine) return hit;
  const entry = {
    engine: ctx.engine,
    allowed: type.targetProfiles.map((t) => typeOfProfile(ctx, t)),
    constraining: type.targetProfiles.filter((t) => !t.startsWith(BASE_SD)),
  };
  TARGETS.set(type, entry);
  return entry;
}

/** Checks one Reference value found at `path`. */
export function checkReference(
  ctx: WalkContext,
  obj: Record<string, unknown>,
  type: TypeRef,
  node: ElementNode,
  at: PathSource,
): void {
  const reference = typeof obj.reference === 'string' ? obj.reference : undefined;
  const resolved = reference ? resolveReference(ctx, reference) : undefined;
  if (reference && ctx.bundle?.sameTypeId.has(reference))
    ctx.sink.add('REFERENCE_AMBIGUOUS', referenceAt(at), `Multiple matches in bundle for reference ${reference}`);
  if (reference && !checkRelativeInBundle(ctx, reference, at) && !resolved) checkUnresolved(ctx, reference, node, at);
  const targets = type.targetProfiles;
  if (targets.length === 0) return;
  const { allowed, constraining } = targetsOf(ctx, type);
  const actual = targetTypeOf(reference, obj, resolved);
  if (actual && !allowed.includes(undefined) && !allowed.includes('Resource') && !allowed.includes(actual)) {
    ctx.sink.add(
      'REFERENCE_TARGET_TYPE',
      pathText(at),
      `The type '${actual}' of the reference target is not a valid target for ${node.path} (must be one of ${[...new Set(allowed)].join(', ')})`,
    );
    return;
  }
  if (!resolved) return;
  if (constraining.length === 0) return;
  const verdict = conformsToAny(ctx, resolved, constraining);
  if (verdict === false) {
    ctx.sink.add(
      'REFERENCE_TARGET_PROFILE',
      pathText(at),
      `The target ${reference} (${resolved.path}) does not conform to ${constraining.join(' or ')}; its own errors are reported at ${resolved.path}`,
    );
  }
}
