/**
 * Resolution of reference-type trust lists (`trustlist-ref`): a DID document whose `verificationMethod` holds DID
 * strings naming sub-lists (per participant, domain, usage). Each DID is resolved as did:web
 * (`did:web:host%3Aport:a:b` → `https://host:port/a/b/did.json`, https://w3c-ccg.github.io/did-method-web/), only
 * under an allow-listed URL prefix (http only where a prefix says http, as the SHL fetch guard rules), with no
 * redirects, the download budget shared by the whole tree, a depth cap and a document-count cap. A cycle, an
 * over-deep chain, a refused or failed fetch, or a sub-list whose `id` is not the DID asked for refuses the
 * whole refresh (the caller keeps its last good list): a partial tree would silently drop participants.
 * Each sub-list is handed to `verify` (the proof check) like the root.
 */
import { TrustError } from './errors.ts';
import { readCapped } from './read-source.ts';

export interface ReferenceOptions {
  /** URL prefixes references may resolve under (scheme, host, port and whole path segments). */
  allow: readonly string[];
  fetch: typeof fetch;
  /** Longest chain of references below the root (default 8). */
  maxDepth?: number;
  /** Most sub-lists in one tree (default 1000). */
  maxDocuments?: number;
  /** Bytes left for all sub-lists together. */
  maxBytes: number;
  timeoutMs: number;
  /** Checks a fetched sub-list (its proof); throws to refuse. */
  verify?: (document: unknown, did: string) => Promise<void>;
}

const refused = (message: string) => new TrustError('TRUSTLIST_REF_REFUSED', message);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** DID strings a document's `verificationMethod` refers to (fragment removed). */
export function referencesOf(document: unknown): string[] {
  if (!isObject(document) || !Array.isArray(document.verificationMethod)) return [];
  return document.verificationMethod
    .filter((vm): vm is string => typeof vm === 'string')
    .map((did) => did.split('#')[0]!);
}

/**
 * The did.json URL of a did:web, with `https:` unless `httpHosts` holds its host (an http allow-list prefix).
 * @example didWebUrl('did:web:tng.example:v2:trustlist:DCC:XA') // 'https://tng.example/v2/trustlist/DCC/XA/did.json'
 */
export function didWebUrl(did: string, httpHosts: ReadonlySet<string> = new Set()): string {
  const m = /^did:web:([^:#?/]+)((?::[^:#?/]+)*)$/.exec(did);
  if (!m) throw refused(`reference ${JSON.stringify(did.slice(0, 200))} is not a did:web identifier`);
  const host = decodeURIComponent(m[1]!);
  const path = m[2] ? m[2].slice(1).split(':').map(decodeURIComponent).join('/') : '.well-known';
  const scheme = httpHosts.has(host) ? 'http' : 'https';
  const url = `${scheme}://${host}/${path}/did.json`;
  if (!URL.canParse(url)) throw refused(`reference ${did.slice(0, 200)} does not make a URL`);
  return url;
}

function under(url: URL, prefix: URL): boolean {
  const base = prefix.pathname.endsWith('/') ? prefix.pathname : `${prefix.pathname}/`;
  return (
    url.protocol === prefix.protocol &&
    url.host === prefix.host &&
    (url.pathname === prefix.pathname || url.pathname.startsWith(base))
  );
}

async function download(url: string, options: ReferenceOptions, budget: { left: number }): Promise<unknown> {
  const tooLarge = () =>
    new TrustError('TRUSTLIST_TOO_LARGE', 'Trust list with its references exceeds the download cap');
  let res: Response;
  try {
    res = await options.fetch(url, {
      headers: { accept: 'application/did+json, application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new TrustError(
      'TRUSTLIST_FETCH_FAILED',
      `Referenced trust list ${url} download failed: ${cause ?? (e as Error).message}`,
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new TrustError('TRUSTLIST_FETCH_FAILED', `Referenced trust list ${url} download failed: HTTP ${res.status}`);
  }
  if (Number(res.headers.get('content-length') ?? 0) > budget.left) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const bytes = res.body ? await readCapped(res.body, budget.left, tooLarge) : Buffer.alloc(0);
  budget.left -= bytes.length;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new TrustError('TRUSTLIST_MALFORMED', `Referenced trust list ${url} is not JSON`);
  }
}

/**
 * Resolves every reference below `roots`, depth first, and returns the embedded sub-lists found (verified).
 * Throws TrustError TRUSTLIST_REF_REFUSED (cycle, depth, count, not allow-listed, id mismatch),
 * TRUSTLIST_FETCH_FAILED, TRUSTLIST_TOO_LARGE, TRUSTLIST_MALFORMED, or what `verify` throws.
 */
export async function resolveReferences(roots: readonly unknown[], options: ReferenceOptions): Promise<unknown[]> {
  const allow = options.allow.map((p) => new URL(p));
  const httpHosts = new Set(allow.filter((p) => p.protocol === 'http:').map((p) => p.host));
  const maxDepth = options.maxDepth ?? 8;
  const maxDocuments = options.maxDocuments ?? 1000;
  const budget = { left: options.maxBytes };
  const done = new Set<string>();
  const found: unknown[] = [];

  const visit = async (did: string, path: readonly string[]): Promise<void> => {
    if (path.includes(did)) throw refused(`trust list references form a cycle: ${[...path, did].join(' -> ')}`);
    if (done.has(did)) return; // reached by two routes: resolved once
    if (path.length > maxDepth)
      throw refused(`trust list references are nested deeper than ${maxDepth} levels (at ${did})`);
    if (done.size >= maxDocuments) throw refused(`trust list references name more than ${maxDocuments} sub-lists`);
    const url = new URL(didWebUrl(did, httpHosts));
    if (!allow.some((p) => under(url, p)))
      throw refused(`reference ${did} resolves to ${url.origin}${url.pathname}, outside the allowed prefixes`);
    done.add(did);
    const json = await download(url.href, options, budget);
    const documents = Array.isArray(json) ? json : [json];
    for (const doc of documents) {
      if (!isObject(doc) || doc.id !== did)
        throw refused(`reference ${did} answered a document with id ${JSON.stringify(isObject(doc) ? doc.id : null)}`);
      await options.verify?.(doc, did);
      found.push(doc);
      for (const next of referencesOf(doc)) await visit(next, [...path, did]);
    }
  };

  for (const root of roots) {
    const id = isObject(root) && typeof root.id === 'string' ? root.id : '(root)';
    for (const did of referencesOf(root)) await visit(did, [id]);
  }
  return found;
}
