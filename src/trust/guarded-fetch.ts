/**
 * One guarded outbound GET/POST for every URL that arrives from outside the operator's hands (an SHL in `$verify`,
 * a client's `jwks_uri`, an external authorization server's JWKS), so none of them can make this server probe the
 * network (SSRF): only URLs under an allow-listed prefix, https only (an `http:` prefix on the allow-list permits
 * http for that origin), no credentials in the URL, no redirects, one deadline, a byte cap, and no private,
 * loopback or link-local address unless the allow-list names that address literally.
 * https://owasp.org/www-community/attacks/Server_Side_Request_Forgery
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { readCapped as readCappedStream } from './read-source.ts';

export interface GuardedFetchOptions {
  /** URL prefixes (e.g. `https://shl.example.org/shl/`), matched on scheme, host, port and whole path segments. */
  allow: readonly string[];
  /** One deadline for DNS, connection, headers and body (default 5000). */
  timeoutMs?: number;
  /** Largest response body read (default 5 MiB). */
  maxBytes?: number;
  fetch?: typeof fetch;
  /** Resolves every address of a host name (default `dns.lookup` with `all: true`). */
  lookup?: (hostname: string) => Promise<readonly { address: string; family: number }[]>;
  /** Start of every message, e.g. `SHL fetch` or `JWKS fetch`. */
  label: string;
  /** The setting that holds the allow-list, named in refusals (e.g. `SHL_FETCH_ALLOW`). */
  allowName: string;
}

export type GuardedFetchCode = 'REFUSED' | 'FAILED' | 'TOO_LARGE';

/** A refused (never contacted) or failed fetch; `status` is the HTTP status when the server answered. */
export class GuardedFetchError extends Error {
  readonly code: GuardedFetchCode;
  readonly status: number | undefined;

  constructor(code: GuardedFetchCode, message: string, status?: number, cause?: unknown) {
    super(message, cause === undefined ? {} : { cause });
    this.name = 'GuardedFetchError';
    this.code = code;
    this.status = status;
  }
}

export type GuardedFetch = (raw: unknown, init: RequestInit) => Promise<{ res: Response; body: Uint8Array }>;

/** Never echo the query (may hold tokens) or user:pass in a message. */
export const shownUrl = (url: URL): string => `${url.origin}${url.pathname}`;

// Ranges a URL must not reach by DNS name: "this network", private, CGNAT, loopback, link-local, IETF/doc/benchmark,
// multicast and reserved (IPv4); unspecified/loopback/IPv4-compatible, discard, NAT64 local-use, doc, unique-local,
// link-local, site-local and multicast (IPv6). IPv4-mapped addresses are checked by BlockList against the IPv4 rules.
const BLOCKED = new BlockList();
const V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
const V6 = ['::/96', '100::/64', '64:ff9b:1::/48', '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8'];
for (const [list, type] of [
  [V4, 'ipv4'],
  [V6, 'ipv6'],
] as const) {
  for (const cidr of list) BLOCKED.addSubnet(cidr.split('/')[0]!, Number(cidr.split('/')[1]), type);
}

/** The eight 16-bit words of an IPv6 address (zone already removed; a trailing dotted quad allowed). */
function ipv6Words(ip: string): number[] {
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  const text = quad
    ? `${ip.slice(0, quad.index)}${((+quad[1]! << 8) | +quad[2]!).toString(16)}:${((+quad[3]! << 8) | +quad[4]!).toString(16)}`
    : ip;
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...(tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0')), ...t].map((w) =>
    parseInt(w, 16),
  );
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

export function parseUrlPrefix(text: string, who = 'createGuardedFetch'): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || !['https:', 'http:'].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw new TypeError(`${who}: "${text}" is not an http(s) URL prefix without credentials, query or fragment`);
  }
  return url;
}

/** Same scheme, host and port; the path is the prefix's or below it on a segment boundary ("/shl" ≠ "/shlx"). */
export function underPrefix(url: URL, prefix: URL): boolean {
  const base = prefix.pathname.endsWith('/') ? prefix.pathname : `${prefix.pathname}/`;
  return (
    url.protocol === prefix.protocol &&
    url.host === prefix.host &&
    (url.pathname === prefix.pathname || url.pathname.startsWith(base))
  );
}

/** Rejects when `signal` fires first (dns.lookup takes no signal). */
function before<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
  ]);
}

/**
 * A fetch that only reaches what the allow-list permits, answering the response and its body read under the cap.
 * Non-2xx answers and redirects are failures (`status` set). DNS rebinding: the host is resolved and checked here,
 * and `fetch` resolves it again, so a host whose DNS flips between the two lookups could still reach an inner
 * address; the allow-list is the primary control (only hosts the operator named are contacted), the address check
 * is defence in depth.
 * @example
 * const get = createGuardedFetch({ allow: ['https://idp.example.org/'], label: 'JWKS fetch', allowName: 'AUTH_JWKS_ALLOW' });
 * const { body } = await get('https://idp.example.org/jwks', { method: 'GET' });
 * await get('http://169.254.169.254/latest/meta-data/', { method: 'GET' }); // throws GuardedFetchError REFUSED
 */
export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const allow = options.allow.map((p) => parseUrlPrefix(p));
  const { timeoutMs = 5000, maxBytes = 5 * 1024 * 1024, label, allowName } = options;
  const fetchFn = options.fetch ?? fetch;
  const lookup = options.lookup ?? ((host: string) => dnsLookup(host, { all: true, verbatim: true }));
  const refused = (why: string) => new GuardedFetchError('REFUSED', `${label} refused: ${why}`);
  const failure = (e: unknown, url: URL): GuardedFetchError => {
    if (e instanceof GuardedFetchError) return e;
    if ((e as Error | null)?.name === 'TimeoutError')
      return new GuardedFetchError('FAILED', `${label} failed: ${shownUrl(url)} timed out`, undefined, e);
    const code =
      (e as { cause?: { code?: string }; code?: string } | null)?.cause?.code ?? (e as { code?: string } | null)?.code;
    return new GuardedFetchError(
      'FAILED',
      `${label} failed: ${shownUrl(url)}: ${code ?? (e as Error).message}`,
      undefined,
      e,
    );
  };
  const checkAddresses = async (url: URL, signal: AbortSignal): Promise<void> => {
    // An IP-literal host matched an allow-list entry that names this very address: the operator chose it.
    if (isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) return;
    let addresses: readonly { address: string }[];
    try {
      addresses = await before(lookup(url.hostname), signal);
    } catch (e) {
      throw failure(e, url);
    }
    if (addresses.length === 0)
      throw new GuardedFetchError('FAILED', `${label} failed: ${url.hostname} has no address`);
    const inner = addresses.find((a) => !isPublicAddress(a.address));
    if (inner)
      throw refused(
        `${url.hostname} resolves to the non-public address ${inner.address}; allow-list that address literally to reach it`,
      );
  };
  const tooLarge = () =>
    new GuardedFetchError('TOO_LARGE', `${label} failed: the response exceeds the ${maxBytes}-byte cap`);

  return async (raw, init) => {
    if (typeof raw !== 'string' || !URL.canParse(raw)) throw refused('the URL cannot be parsed');
    // Match on the WHATWG-normalised URL (case, default port, dot segments, IPv4 shorthand), never the raw text.
    const url = new URL(raw);
    if (url.username || url.password) throw refused(`${shownUrl(url)} carries credentials`);
    if (url.protocol !== 'https:' && !allow.some((p) => p.protocol === url.protocol && p.host === url.host)) {
      throw refused(`${shownUrl(url)} is not https (only an http: prefix on ${allowName} permits http)`);
    }
    if (!allow.some((p) => underPrefix(url, p)))
      throw refused(`${shownUrl(url)} is not under a prefix of ${allowName}`);
    const signal = AbortSignal.timeout(timeoutMs);
    await checkAddresses(url, signal);
    try {
      // A redirect could lead anywhere: it is an error, never followed.
      const res = await fetchFn(url.href, { ...init, redirect: 'manual', signal });
      if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) {
        await res.body?.cancel();
        throw new GuardedFetchError(
          'FAILED',
          `${label} failed: ${shownUrl(url)} answered a redirect (HTTP ${res.status}), which is not followed`,
          res.status,
        );
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new GuardedFetchError(
          'FAILED',
          `${label} failed: ${shownUrl(url)} answered HTTP ${res.status}`,
          res.status,
        );
      }
      // The declared length is checked first (no read at all), then the stream itself.
      if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
        await res.body?.cancel();
        throw tooLarge();
      }
      const body = res.body ? await readCappedStream(res.body, maxBytes, tooLarge) : new Uint8Array();
      return { res, body };
    } catch (e) {
      throw failure(e, url);
    }
  };
}
