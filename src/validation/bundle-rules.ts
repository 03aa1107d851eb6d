/**
 * Bundle indexing (fullUrl → entry) and the document rules: the first entry is a Composition, every
 * section entry points to a resource of the Bundle, and every entry is reachable from the Composition.
 * https://hl7.org/fhir/R4/documents.html#content
 */
import type { AnyResource } from '../packages/types.ts';
import type { BundleEntryRef, BundleIndex, WalkContext } from './context.ts';
import type { IssueSink } from './issues.ts';
import { resolveReference } from './references.ts';
import { referenceStrings } from '../fhir/reference-strings.ts';

/** An absolute URI: a scheme, then anything (https://hl7.org/fhir/R4/bundle.html#bundle-unique). */
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

interface RawEntry {
  fullUrl?: unknown;
  resource?: AnyResource;
}

/** An entry resource's meta.versionId ('' when none), which tells versions of one fullUrl apart. */
function versionOf(resource: AnyResource): string {
  const versionId = (resource.meta as { versionId?: unknown } | undefined)?.versionId;
  return typeof versionId === 'string' ? versionId : '';
}

/**
 * The lookup tables of one Bundle. The fullUrl table is built at once (bdl-7 and the fullUrl rules read every
 * entry); the tables by entry path and by `Type/id` only when a reference or a document rule first asks: a key string
 * per entry for each, and its hash, were most of the indexing of a large collection with no relative reference
 * (the 1,105 CodeSystems and ValueSets of the R4 `terminologies` Bundle: 1.5 ms per validation).
 */
class Index implements BundleIndex {
  readonly type: string | undefined;
  readonly entries: BundleEntryRef[] = [];
  readonly byFullUrl = new Map<string, BundleEntryRef>();
  private paths: Map<string, BundleEntryRef> | undefined;
  private typeIds: Map<string, BundleEntryRef> | undefined;
  private repeated: Map<string, BundleEntryRef[]> | undefined;

  constructor(type: unknown) {
    this.type = typeof type === 'string' ? type : undefined;
  }

  get byPath(): ReadonlyMap<string, BundleEntryRef> {
    if (this.paths === undefined) {
      this.paths = new Map();
      for (const ref of this.entries) this.paths.set(ref.path, ref);
    }
    return this.paths;
  }

  get byTypeId(): ReadonlyMap<string, BundleEntryRef> {
    if (this.typeIds === undefined) this.indexTypeIds();
    return this.typeIds as Map<string, BundleEntryRef>;
  }

  get sameTypeId(): ReadonlyMap<string, readonly BundleEntryRef[]> {
    if (this.repeated === undefined) this.indexTypeIds();
    return this.repeated as Map<string, BundleEntryRef[]>;
  }

  private indexTypeIds(): void {
    const byTypeId = new Map<string, BundleEntryRef>();
    const sameTypeId = new Map<string, BundleEntryRef[]>();
    for (const ref of this.entries) {
      const resource = ref.resource;
      if (!resource.id) continue;
      const key = `${resource.resourceType}/${resource.id}`;
      const earlier = byTypeId.get(key);
      if (earlier) {
        const all = sameTypeId.get(key);
        if (all) all.push(ref);
        else sameTypeId.set(key, [earlier, ref]);
      }
      byTypeId.set(key, ref);
    }
    this.typeIds = byTypeId;
    this.repeated = sameTypeId;
  }
}

/** Builds the lookup tables of a Bundle found at `path`; duplicate and relative fullUrls are reported to `sink`. */
export function indexBundle(bundle: AnyResource, sink: IssueSink, path: string): BundleIndex {
  const index = new Index(bundle.type);
  const { entries, byFullUrl } = index;
  // The versionIds seen with each fullUrl, kept only once a fullUrl repeats (rare): a key string per entry was not.
  let versions: Map<string, string[]> | undefined;
  const raw = Array.isArray(bundle.entry) ? (bundle.entry as RawEntry[]) : [];
  raw.forEach((e, i) => {
    const resource = e?.resource;
    if (!resource || typeof resource !== 'object') return;
    const fullUrl = typeof e.fullUrl === 'string' ? e.fullUrl : undefined;
    const ref: BundleEntryRef = { resource, path: `${path}.entry[${i}].resource`, fullUrl };
    entries.push(ref);
    if (fullUrl) {
      // bdl-7: fullUrl with meta.versionId is what must be unique (a history-like collection may repeat a fullUrl).
      const earlier = byFullUrl.get(fullUrl);
      if (earlier !== undefined) {
        versions ??= new Map();
        let seen = versions.get(fullUrl);
        if (seen === undefined) versions.set(fullUrl, (seen = [versionOf(earlier.resource)]));
        const version = versionOf(resource);
        if (seen.includes(version) && bundle.type !== 'history')
          sink.add('BUNDLE_FULLURL_DUPLICATE', `${path}.entry[${i}]`, `Duplicate fullUrl '${fullUrl}'`);
        seen.push(version);
      }
      if (!ABSOLUTE.test(fullUrl))
        sink.add(
          'BUNDLE_FULLURL_RELATIVE',
          `${path}.entry[${i}]`,
          `The fullUrl must be an absolute URL (not '${fullUrl}')`,
        );
      byFullUrl.set(fullUrl, ref);
    }
  });
  return index;
}

interface Section {
  entry?: { reference?: unknown }[];
  section?: Section[];
}

function checkSections(ctx: WalkContext, sections: Section[] | undefined, path: string): void {
  (sections ?? []).forEach((s, i) => {
    const here = `${path}.section[${i}]`;
    (s.entry ?? []).forEach((e, j) => {
      const reference = e?.reference;
      const matches = typeof reference === 'string' ? ctx.bundle?.sameTypeId.get(reference) : undefined;
      if (matches)
        ctx.sink.add(
          'BUNDLE_SECTION_ENTRY_AMBIGUOUS',
          `${here}.entry[${j}]`,
          `Found ${matches.length} matches for '${reference}' in the bundle (section entry): name the version`,
        );
      else if (typeof reference === 'string' && !resolveReference(ctx, reference)) {
        ctx.sink.add(
          'BUNDLE_SECTION_ENTRY_NOT_FOUND',
          `${here}.entry[${j}]`,
          `The section entry '${reference}' does not point to a resource in the document Bundle`,
        );
      }
    });
    checkSections(ctx, s.section, here);
  });
}

/** Document Bundle rules; `ctx.bundle` must be the index of `bundle`. */
export function checkDocumentRules(ctx: WalkContext, bundle: AnyResource, path: string): void {
  if (bundle.type !== 'document' || !ctx.bundle) return;
  const first = ctx.bundle.entries[0];
  const firstRaw = Array.isArray(bundle.entry) ? (bundle.entry[0] as RawEntry | undefined) : undefined;
  if (!firstRaw?.resource || firstRaw.resource.resourceType !== 'Composition') {
    ctx.sink.add(
      'BUNDLE_DOCUMENT_NO_COMPOSITION',
      `${path}.entry[0]`,
      'The first entry of a document Bundle must be a Composition',
    );
    return;
  }
  const composition = first.resource as { section?: Section[] };
  checkSections({ ...ctx, resource: first.resource }, composition.section, first.path);
  checkReachable(ctx);
}

/**
 * Every entry of a document is reachable from the Composition by following references forward, or backward (an
 * entry that refers to a reachable one, e.g. a Provenance), as the HL7 validator checks; an unreachable entry is an
 * error there too. Forward-or-backward is connectivity in the undirected graph: one breadth-first walk, linear in
 * entries plus references.
 */
function checkReachable(ctx: WalkContext): void {
  const entries = ctx.bundle?.entries ?? [];
  const index = new Map(entries.map((e, i) => [e, i]));
  const links: number[][] = entries.map(() => []);
  entries.forEach((e, i) => {
    const here = { ...ctx, resource: e.resource, rootResource: e.resource, rootPath: e.path };
    for (const reference of referenceStrings(e.resource)) {
      if (reference.startsWith('#')) continue;
      // An unversioned reference to a resource held in several versions reaches each of them.
      const targets = ctx.bundle?.sameTypeId.get(reference.replace(/\/_history\/.*$/, '')) ?? [
        resolveReference(here, reference),
      ];
      for (const target of targets) {
        const j = index.get(target as never);
        if (j === undefined || j === i) continue;
        links[i].push(j);
        links[j].push(i);
      }
    }
  });
  const reached = new Set<number>([0]);
  const queue = [0];
  while (queue.length > 0) {
    for (const j of links[queue.pop() as number]) {
      if (!reached.has(j)) reached.add(j), queue.push(j);
    }
  }
  entries.forEach((e, i) => {
    if (reached.has(i)) return;
    const label = e.resource.id === undefined ? e.resource.resourceType : `${e.resource.resourceType}/${e.resource.id}`;
    ctx.sink.add(
      'BUNDLE_ENTRY_UNREACHABLE',
      e.path.replace(/\.resource$/, ''),
      `Entry '${label}' is not reachable by following references (forward or backward) from the Composition`,
    );
  });
}

/** base64 as FHIR's base64Binary allows it (whitespace between quartets). */
const BASE64 = /^(\s*[0-9a-zA-Z+/=]{4}\s*)+$/;

/**
 * A JOSE signature (`sigFormat` application/jose) carries the JWS base64-encoded in `Bundle.signature.data`
 * (https://hl7.org/fhir/R4/datatypes.html#Signature). Data that is not base64 cannot be the signature as defined,
 * even when it is a compact JWS as it is (the HL7 validator then checks it anyway, and reports it as an error).
 */
export function checkSignatureData(ctx: WalkContext, bundle: AnyResource, path: string): void {
  const signature = bundle.signature as { sigFormat?: unknown; data?: unknown } | undefined;
  if (typeof signature !== 'object' || signature === null || signature.sigFormat !== 'application/jose') return;
  const data = signature.data;
  if (typeof data !== 'string' || BASE64.test(data)) return;
  ctx.sink.add(
    'BUNDLE_SIGNATURE_DATA_NOT_BASE64',
    path,
    data.split('.').length === 3
      ? 'The signature data is not base64 content: it looks like a compact JWS as it is, which Signature.data must carry base64-encoded'
      : 'The signature data is not base64 content, so the signature cannot be checked',
  );
}
