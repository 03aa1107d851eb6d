/**
 * The SHL fetcher of `$verify`, guarded so a submitted link cannot make this server probe the network (SSRF):
 * only URLs under an allow-listed prefix (SHL_FETCH_ALLOW; by default only this server's own SHL base, answered
 * in process), https only, no credentials, no redirects, one short deadline, a byte cap, and no private, loopback
 * or link-local address unless the allow-list names that address literally.
 * https://owasp.org/www-community/attacks/Server_Side_Request_Forgery
 */
import { FormatError, type FormatErrorCode } from '../formats/errors.ts';
import { parseManifestResponse } from '../formats/shl/manifest.ts';
import { createGuardedFetch, GuardedFetchError, parseUrlPrefix, underPrefix } from '../trust/guarded-fetch.ts';
import type { ShlFetcher } from './verify-options.ts';

export { isPublicAddress } from '../trust/guarded-fetch.ts';

export interface GuardedShlFetcherOptions {
  /** URL prefixes (e.g. `https://shl.example.org/shl/`), matched on scheme, host, port and whole path segments. */
  allow: readonly string[];
  /** URLs under this server's own SHL base, answered in process without a socket. */
  local?: { prefix: string; handle: ShlFetcher };
  /** One deadline for DNS, connection, headers and body (default 5000). */
  timeoutMs?: number;
  /** Largest response body read (default 5 MiB). */
  maxBytes?: number;
  fetch?: typeof fetch;
  /** Resolves every address of a host name (default `dns.lookup` with `all: true`). */
  lookup?: (hostname: string) => Promise<readonly { address: string; family: number }[]>;
}

/** A failed or refused fetch; `status` is the HTTP status when the server answered (verify-shl maps 401/404/410). */
export class ShlFetchError extends FormatError {
  readonly status: number | undefined;

  constructor(code: FormatErrorCode & `SHL_FETCH_${string}`, message: string, status?: number, cause?: unknown) {
    super(code, message, cause === undefined ? {} : { cause });
    this.name = 'ShlFetchError';
    this.status = status;
  }
}

const JWE_COMPACT = /^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/;

function readManifest(res: Response, body: Uint8Array): ReturnType<typeof parseManifestResponse> {
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new FormatError(
      'MANIFEST_INVALID',
      `SHL manifest: the response is ${type || 'untyped'}, not application/json`,
    );
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (cause) {
    throw new FormatError('MANIFEST_INVALID', 'SHL manifest: the response is not JSON', { cause });
  }
  return parseManifestResponse(json);
}

/**
 * The `fetchShl` of `$verify`: POSTs the manifest request (or GETs the flag-U file) only where the allow-list
 * permits. Throws ShlFetchError `SHL_FETCH_REFUSED` (never contacted), `SHL_FETCH_FAILED` (network, timeout, HTTP
 * status in `status`, redirect) or `SHL_FETCH_TOO_LARGE`; FormatError `MANIFEST_INVALID` or `JWE_INVALID` for a bad body.
 *
 * DNS rebinding: the host is resolved and checked here, and `fetch` resolves it again, so a host whose DNS flips
 * between the two lookups could still reach an inner address. Pinning the checked address would need an undici
 * Agent (not a dependency: Node's bundled undici is not exposed) and connecting to the bare IP breaks TLS name
 * checks; we accept the gap because the allow-list is the primary control: only hosts the operator named are ever
 * contacted, so a rebinding needs control of an allow-listed domain's DNS. The address check is defence in depth.
 * @example
 * const fetchShl = createGuardedShlFetcher({
 *   allow: ['https://shl.example.org/shl/'],
 *   local: { prefix: `${config.baseUrl}/shl/`, handle: answerInProcess },
 * });
 * await fetchShl('https://shl.example.org/shl/abc', { recipient: 'Clinic A' }); // { files: [...] }
 * await fetchShl('http://169.254.169.254/latest/meta-data/', undefined); // throws SHL_FETCH_REFUSED
 */
export function createGuardedShlFetcher(options: GuardedShlFetcherOptions): ShlFetcher {
  const local = options.local
    ? { prefix: parseUrlPrefix(options.local.prefix, 'createGuardedShlFetcher'), handle: options.local.handle }
    : undefined;
  const guarded = createGuardedFetch({ ...options, label: 'SHL fetch', allowName: 'SHL_FETCH_ALLOW' });

  return async (raw, request) => {
    if (local && typeof raw === 'string' && URL.canParse(raw)) {
      const url = new URL(raw);
      if (!url.username && !url.password && underPrefix(url, local.prefix)) return local.handle(url.href, request);
    }
    const init: RequestInit =
      request === undefined
        ? { method: 'GET', headers: { accept: 'application/jose' } }
        : {
            method: 'POST',
            headers: { accept: 'application/json', 'content-type': 'application/json' },
            body: JSON.stringify(request),
          };
    let got: { res: Response; body: Uint8Array };
    try {
      got = await guarded(raw, init);
    } catch (e) {
      if (e instanceof GuardedFetchError) throw new ShlFetchError(`SHL_FETCH_${e.code}`, e.message, e.status, e.cause);
      throw e;
    }
    if (request !== undefined) return readManifest(got.res, got.body);
    const jwe = new TextDecoder().decode(got.body).trim();
    if (!JWE_COMPACT.test(jwe))
      throw new FormatError('JWE_INVALID', 'SHL file: the response is not a compact JWE (five base64url parts)');
    return jwe;
  };
}
