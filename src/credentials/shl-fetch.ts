/**
 * The SHL fetcher of `$verify`, guarded so a submitted link cannot make this server probe the network (SSRF):
 * only URLs under an allow-listed prefix (SHL_FETCH_ALLOW; by default only this server's own SHL base, answered
 * in process), https only, no credentials, no redirects, one short deadline, a byte cap, and no private, loopback
 * or link-local address unless the allow-list names that address literally.
 * https://owasp.org/www-community/attacks/Server_Side_Request_Forgery
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { FormatError, type FormatErrorCode } from '../formats/errors.ts';
import { parseManifestResponse } from '../formats/shl/manifest.ts';
import { readCapped as readCappedStream } from '../trust/read-source.ts';
import type { ShlFetcher } from './verify-options.ts';

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

/** Never echo the query (may hold tokens) or user:pass in a message. */
const shown = (url: URL): string => `${url.origin}${url.pathname}`;
const refused = (why: string) => new ShlFetchError('SHL_FETCH_REFUSED', `SHL fetch refused: ${why}`);

// Ranges a link must not reach by DNS name: "this network", private, CGNAT, loopback, link-local, IETF/doc/benchmark,
// multicast and reserved (IPv4); unspecified/loopback/IPv4-compatible, discard, NAT64 local-use, doc, unique-local,
// link-local, site-local and multicast (IPv6). IPv4-mapped addresses are checked by BlockList against the IPv4 rules.
const BLOCKED = new BlockList();
const V4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4'];
const V6 = ['::/96', '100::/64', '64:ff9b:1::/48', '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8'];
for (const [list, type] of [[V4, 'ipv4'], [V6, 'ipv6']] as const) {
  for (const cidr of list) BLOCKED.addSubnet(cidr.split('/')[0]!, Number(cidr.split('/')[1]), type);
}

/** The eight 16-bit words of an IPv6 address (zone already removed; a trailing dotted quad allowed). */
function ipv6Words(ip: string): number[] {
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  const text = quad ? `${ip.slice(0, quad.index)}${((+quad[1]! << 8) | +quad[2]!).toString(16)}:${((+quad[3]! << 8) | +quad[4]!).toString(16)}` : ip;
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...(tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0')), ...t].map((w) => parseInt(w, 16));
}

/** The IPv4 address carried inside NAT64 (64:ff9b::/96), 6to4 (2002::/16) or IPv4-mapped IPv6, if any. */
function embeddedIpv4(ip: string): string | undefined {
  const w = ipv6Words(ip);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (w[0] === 0x64 && w[1] === 0xff9b && w.slice(2, 6).every((x) => x === 0)) return v4(w[6]!, w[7]!);
  if (w[0] === 0x2002) return v4(w[1]!, w[2]!);
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return v4(w[6]!, w[7]!);
  return undefined;
}

/**
 * True when the address is globally routable (not private, loopback, link-local, unique-local, CGNAT, multicast…).
 * @example isPublicAddress('169.254.169.254') // false
 */
export function isPublicAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').split('%')[0]!; // brackets of a URL host; a zone id is not part of the range
  const family = isIP(ip);
  if (family === 0) return false;
  if (BLOCKED.check(ip, family === 6 ? 'ipv6' : 'ipv4')) return false;
  const inner = family === 6 ? embeddedIpv4(ip) : undefined;
  return inner === undefined || !BLOCKED.check(inner, 'ipv4');
}

function parsePrefix(text: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || !['https:', 'http:'].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw new TypeError(`createGuardedShlFetcher: "${text}" is not an http(s) URL prefix without credentials, query or fragment`);
  }
  return url;
}

/** Same scheme, host and port; the path is the prefix's or below it on a segment boundary ("/shl" ≠ "/shlx"). */
function under(url: URL, prefix: URL): boolean {
  const base = prefix.pathname.endsWith('/') ? prefix.pathname : `${prefix.pathname}/`;
  return url.protocol === prefix.protocol && url.host === prefix.host && (url.pathname === prefix.pathname || url.pathname.startsWith(base));
}

/** Rejects when `signal` fires first (dns.lookup takes no signal). */
function before<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))]);
}

async function checkAddresses(url: URL, lookup: NonNullable<GuardedShlFetcherOptions['lookup']>, signal: AbortSignal): Promise<void> {
  // An IP-literal host matched an allow-list entry that names this very address: the operator chose it.
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) return;
  let addresses: readonly { address: string }[];
  try {
    addresses = await before(lookup(url.hostname), signal);
  } catch (e) {
    throw failure(e, url);
  }
  if (addresses.length === 0) throw new ShlFetchError('SHL_FETCH_FAILED', `SHL fetch failed: ${url.hostname} has no address`);
  const inner = addresses.find((a) => !isPublicAddress(a.address));
  if (inner) throw refused(`${url.hostname} resolves to the non-public address ${inner.address}; allow-list that address literally to reach it`);
}

function failure(e: unknown, url: URL): ShlFetchError {
  if (e instanceof ShlFetchError) return e;
  if ((e as Error | null)?.name === 'TimeoutError') return new ShlFetchError('SHL_FETCH_FAILED', `SHL fetch failed: ${shown(url)} timed out`, undefined, e);
  const code = (e as { cause?: { code?: string }; code?: string } | null)?.cause?.code ?? (e as { code?: string } | null)?.code;
  return new ShlFetchError('SHL_FETCH_FAILED', `SHL fetch failed: ${shown(url)}: ${code ?? (e as Error).message}`, undefined, e);
}

/** The declared length is checked first (no read at all), then the stream itself. */
async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => new ShlFetchError('SHL_FETCH_TOO_LARGE', `SHL fetch failed: the response exceeds the ${maxBytes}-byte cap`);
  if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  return res.body ? readCappedStream(res.body, maxBytes, tooLarge) : new Uint8Array();
}

const JWE_COMPACT = /^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/;

function readManifest(res: Response, body: Uint8Array): ReturnType<typeof parseManifestResponse> {
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new FormatError('MANIFEST_INVALID', `SHL manifest: the response is ${type || 'untyped'}, not application/json`);
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
  const allow = options.allow.map(parsePrefix);
  const local = options.local ? { prefix: parsePrefix(options.local.prefix), handle: options.local.handle } : undefined;
  const { timeoutMs = 5000, maxBytes = 5 * 1024 * 1024 } = options;
  const fetchFn = options.fetch ?? fetch;
  const lookup = options.lookup ?? ((host: string) => dnsLookup(host, { all: true, verbatim: true }));

  return async (raw, request) => {
    if (typeof raw !== 'string' || !URL.canParse(raw)) throw refused('the URL cannot be parsed');
    // Match on the WHATWG-normalised URL (case, default port, dot segments, IPv4 shorthand), never the raw text.
    const url = new URL(raw);
    if (url.username || url.password) throw refused(`${shown(url)} carries credentials`);
    if (local && under(url, local.prefix)) return local.handle(url.href, request);
    if (url.protocol !== 'https:' && !allow.some((p) => p.protocol === url.protocol && p.host === url.host)) {
      throw refused(`${shown(url)} is not https (only an http: prefix on SHL_FETCH_ALLOW permits http)`);
    }
    if (!allow.some((p) => under(url, p))) throw refused(`${shown(url)} is not under a prefix of SHL_FETCH_ALLOW`);

    const signal = AbortSignal.timeout(timeoutMs);
    await checkAddresses(url, lookup, signal);
    let res: Response;
    let body: Uint8Array;
    try {
      const init: RequestInit = request === undefined
        ? { method: 'GET', headers: { accept: 'application/jose' } }
        : { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(request) };
      // A redirect could lead anywhere: it is an error, never followed.
      res = await fetchFn(url.href, { ...init, redirect: 'manual', signal });
      if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) {
        await res.body?.cancel();
        throw new ShlFetchError('SHL_FETCH_FAILED', `SHL fetch failed: ${shown(url)} answered a redirect (HTTP ${res.status}), which is not followed`, res.status);
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new ShlFetchError('SHL_FETCH_FAILED', `SHL fetch failed: ${shown(url)} answered HTTP ${res.status}`, res.status);
      }
      body = await readCapped(res, maxBytes);
    } catch (e) {
      throw failure(e, url);
    }
    if (request !== undefined) return readManifest(res, body);
    const jwe = new TextDecoder().decode(body).trim();
    if (!JWE_COMPACT.test(jwe)) throw new FormatError('JWE_INVALID', 'SHL file: the response is not a compact JWE (five base64url parts)');
    return jwe;
  };
}
