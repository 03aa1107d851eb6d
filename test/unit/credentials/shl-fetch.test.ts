/** The guarded SHL fetcher of `$verify`: real HTTP servers on 127.0.0.1, port 0; every refusal and cap. */
import { jest } from '@jest/globals';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import {
  createGuardedShlFetcher,
  isPublicAddress,
  ShlFetchError,
  type GuardedShlFetcherOptions,
} from '../../../src/credentials/shl-fetch.ts';
import { checkShl } from '../../../src/credentials/verify-shl.ts';
import { FormatError } from '../../../src/formats/errors.ts';
import { encodeShlink } from '../../../src/formats/shl/link.ts';
import type { ManifestResponse } from '../../../src/formats/shl/manifest.ts';

const JWE = 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXYxMjM0NTY3ODk.Y2lwaGVydGV4dA.dGFnMTIzNDU2Nzg5MDEy';
const MANIFEST: ManifestResponse = { files: [{ contentType: 'application/fhir+json', embedded: JWE }] };
const REQUEST = { recipient: 'Clinic A', passcode: '1234' };

interface Seen {
  method: string;
  url: string;
  type: string | undefined;
  body: string;
}
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A real server on 127.0.0.1:0 that records each request it saw. */
async function serve(handler: Handler): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, type: req.headers['content-type'], body });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json =
  (body: unknown, status = 200): Handler =>
  (_req, res) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function thrown(p: Promise<unknown>): Promise<FormatError & { status?: number }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FormatError);
  return e as FormatError & { status?: number };
}

const noLookup: GuardedShlFetcherOptions['lookup'] = async (host) => {
  throw new Error(`lookup of ${host} was not expected`);
};

describe('createGuardedShlFetcher', () => {
  test('when the manifest URL is under an allow-listed prefix, then the request is POSTed as JSON and the parsed manifest returned', async () => {
    const s = await serve(json(MANIFEST));
    const fetchShl = createGuardedShlFetcher({ allow: [`${s.base}/shl/`] });
    await expect(fetchShl(`${s.base}/shl/abc`, REQUEST)).resolves.toEqual(MANIFEST);
    expect(s.seen).toEqual([
      { method: 'POST', url: '/shl/abc', type: 'application/json', body: JSON.stringify(REQUEST) },
    ]);
  });

  test('when a flag-U file is fetched, then it is a GET and the compact JWE is returned', async () => {
    const s = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/jose' }).end(`${JWE}\n`));
    await expect(
      createGuardedShlFetcher({ allow: [`${s.base}/`] })(`${s.base}/shl/abc?recipient=x`, undefined),
    ).resolves.toBe(JWE);
    expect(s.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /shl/abc?recipient=x']);
  });

  test.each([
    ['another path', '/admin'],
    ['a sibling whose name starts like the prefix', '/shlx/abc'],
    ['dot segments that leave the prefix', '/shl/../admin'],
    ['encoded dot segments that leave the prefix', '/shl/%2e%2e/admin'],
  ])('when the URL is %s, then it is refused and the server sees no request', async (_what, path) => {
    const s = await serve(json(MANIFEST));
    const e = await thrown(createGuardedShlFetcher({ allow: [`${s.base}/shl`] })(`${s.base}${path}`, REQUEST));
    expect(e.code).toBe('SHL_FETCH_REFUSED');
    expect(e.message).toMatch(
      /^SHL fetch refused: http:\/\/127\.0\.0\.1:\d+\/\S* is not under a prefix of SHL_FETCH_ALLOW$/,
    );
    expect(s.seen).toEqual([]);
  });

  test('when the allow-list is empty, then every URL is refused', async () => {
    const s = await serve(json(MANIFEST));
    const e = await thrown(createGuardedShlFetcher({ allow: [] })(`${s.base}/shl/abc`, REQUEST));
    expect(e.code).toBe('SHL_FETCH_REFUSED');
    expect(s.seen).toEqual([]);
  });

  test('when the URL differs only in case and default port from the prefix, then it matches after normalisation', async () => {
    const fetch = jest.fn(async () => Response.json(MANIFEST));
    const fetchShl = createGuardedShlFetcher({
      allow: ['https://SHL.Example.org:443/shl/'],
      fetch,
      lookup: async () => [{ address: '93.184.216.34', family: 4 }],
    });
    await expect(fetchShl('HTTPS://shl.example.ORG/shl/./abc', REQUEST)).resolves.toEqual(MANIFEST);
    expect(fetch).toHaveBeenCalledWith(
      'https://shl.example.org/shl/abc',
      expect.objectContaining({ method: 'POST', redirect: 'manual' }),
    );
  });

  test('when the server answers a 302, then the fetch fails and the redirect target is never contacted', async () => {
    const target = await serve(json(MANIFEST));
    const s = await serve((_req, res) => res.writeHead(302, { location: `${target.base}/shl/abc` }).end());
    const e = await thrown(
      createGuardedShlFetcher({ allow: [`${s.base}/`, `${target.base}/`] })(`${s.base}/shl/abc`, REQUEST),
    );
    expect(e).toBeInstanceOf(ShlFetchError);
    expect([e.code, e.status]).toEqual(['SHL_FETCH_FAILED', 302]);
    expect(e.message).toBe(`SHL fetch failed: ${s.base}/shl/abc answered a redirect (HTTP 302), which is not followed`);
    expect(target.seen).toEqual([]);
  });

  test.each([
    [
      'headers',
      (_req: IncomingMessage, res: ServerResponse) => void setTimeout(() => json(MANIFEST)(_req, res), 3000).unref(),
    ],
    [
      'body',
      (_req: IncomingMessage, res: ServerResponse) => (
        res.writeHead(200, { 'content-type': 'application/json' }).write('{"files":'),
        void setTimeout(() => res.end('[]}'), 3000).unref()
      ),
    ],
  ])(
    'when the server is slow to send its %s, then the fetch fails with a timeout within about timeoutMs',
    async (_what, handler) => {
      const s = await serve(handler);
      const started = Date.now();
      const e = await thrown(
        createGuardedShlFetcher({ allow: [`${s.base}/`], timeoutMs: 200 })(`${s.base}/shl/abc`, REQUEST),
      );
      expect([e.code, e.message]).toEqual(['SHL_FETCH_FAILED', `SHL fetch failed: ${s.base}/shl/abc timed out`]);
      expect(Date.now() - started).toBeLessThan(1500);
    },
  );

  test.each([
    [
      'declared in content-length',
      (_req: IncomingMessage, res: ServerResponse) =>
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 4096 }).end('x'.repeat(4096)),
    ],
    [
      'streamed without a length',
      (_req: IncomingMessage, res: ServerResponse) => (
        res.writeHead(200, { 'content-type': 'application/json' }), res.write('x'.repeat(800)), res.end('x'.repeat(800))
      ),
    ],
  ])('when the body is over the cap (%s), then the fetch fails with a size error', async (_what, handler) => {
    const s = await serve(handler);
    const e = await thrown(
      createGuardedShlFetcher({ allow: [`${s.base}/`], maxBytes: 1024 })(`${s.base}/shl/abc`, REQUEST),
    );
    expect([e.code, e.message]).toEqual([
      'SHL_FETCH_TOO_LARGE',
      'SHL fetch failed: the response exceeds the 1024-byte cap',
    ]);
  });

  test.each([
    '10.0.0.1',
    '169.254.169.254',
    '::1',
    'fc00::',
    '::ffff:127.0.0.1',
    '100.64.0.1',
    'fe80::1%eth0',
    '64:ff9b::a9fe:a9fe',
  ])('when an allow-listed host name resolves to %s, then it is refused before any connection', async (address) => {
    const fetch = jest.fn(async () => Response.json(MANIFEST));
    const lookup = async () => [
      { address: '93.184.216.34', family: 4 },
      { address, family: address.includes(':') ? 6 : 4 },
    ];
    const e = await thrown(
      createGuardedShlFetcher({ allow: ['https://shl.example.org/'], fetch, lookup })(
        'https://shl.example.org/shl/abc',
        REQUEST,
      ),
    );
    expect([e.code, e.message]).toEqual([
      'SHL_FETCH_REFUSED',
      `SHL fetch refused: shl.example.org resolves to the non-public address ${address}; allow-list that address literally to reach it`,
    ]);
    expect(fetch).not.toHaveBeenCalled();
  });

  test('when DNS does not answer before the deadline, then the fetch fails with a timeout', async () => {
    const lookup = () => new Promise<never>(() => undefined);
    const e = await thrown(
      createGuardedShlFetcher({ allow: ['https://shl.example.org/'], lookup, timeoutMs: 100 })(
        'https://shl.example.org/shl/abc',
        REQUEST,
      ),
    );
    expect([e.code, e.message]).toEqual([
      'SHL_FETCH_FAILED',
      'SHL fetch failed: https://shl.example.org/shl/abc timed out',
    ]);
  });

  test('when the URL is under the local prefix, then it is answered in process without DNS or a socket', async () => {
    const fetch = jest.fn(async () => Response.json({}));
    const handle = jest.fn(async () => MANIFEST);
    const fetchShl = createGuardedShlFetcher({
      allow: [],
      local: { prefix: 'https://gateway.example/shl/', handle },
      fetch,
      lookup: noLookup,
    });
    await expect(fetchShl('https://GATEWAY.example/shl/abc', REQUEST)).resolves.toEqual(MANIFEST);
    expect(handle).toHaveBeenCalledWith('https://gateway.example/shl/abc', REQUEST);
    expect(fetch).not.toHaveBeenCalled();
  });

  test('when the URL is http but the allow-list entry is https, then it is refused as not https', async () => {
    const s = await serve(json(MANIFEST));
    const https = s.base.replace('http:', 'https:');
    const e = await thrown(createGuardedShlFetcher({ allow: [`${https}/`] })(`${s.base}/shl/abc`, REQUEST));
    expect([e.code, e.message]).toEqual([
      'SHL_FETCH_REFUSED',
      `SHL fetch refused: ${s.base}/shl/abc is not https (only an http: prefix on SHL_FETCH_ALLOW permits http)`,
    ]);
    expect(s.seen).toEqual([]);
  });

  test.each(['file:///etc/passwd', 'ftp://shl.example.org/shl/abc', 'gopher://127.0.0.1:6379/_INFO'])(
    'when the URL is %s, then it is refused',
    async (url) => {
      const e = await thrown(
        createGuardedShlFetcher({ allow: ['https://shl.example.org/'], lookup: noLookup })(url, REQUEST),
      );
      expect(e.code).toBe('SHL_FETCH_REFUSED');
    },
  );

  test('when the URL carries credentials, then it is refused without echoing them', async () => {
    const s = await serve(json(MANIFEST));
    const url = s.base.replace('http://', 'http://user:s3cret@');
    const e = await thrown(createGuardedShlFetcher({ allow: [`${s.base}/`] })(`${url}/shl/abc`, REQUEST));
    expect([e.code, e.message]).toEqual([
      'SHL_FETCH_REFUSED',
      `SHL fetch refused: ${s.base}/shl/abc carries credentials`,
    ]);
    expect(s.seen).toEqual([]);
  });

  test('when the URL cannot be parsed, then it is refused', async () => {
    const e = await thrown(createGuardedShlFetcher({ allow: ['https://shl.example.org/'] })('not a url', REQUEST));
    expect([e.code, e.message]).toEqual(['SHL_FETCH_REFUSED', 'SHL fetch refused: the URL cannot be parsed']);
  });

  test.each([404, 410, 401, 500])(
    'when the server answers HTTP %i, then the error carries that status',
    async (status) => {
      const s = await serve(json({ error: 'no' }, status));
      const e = await thrown(createGuardedShlFetcher({ allow: [`${s.base}/`] })(`${s.base}/shl/abc`, REQUEST));
      expect([e.code, e.status, e.message]).toEqual([
        'SHL_FETCH_FAILED',
        status,
        `SHL fetch failed: ${s.base}/shl/abc answered HTTP ${status}`,
      ]);
    },
  );

  test.each([
    [
      'text/html',
      (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
      'SHL manifest: the response is text/html, not application/json',
    ],
    [
      'not JSON',
      (_req: IncomingMessage, res: ServerResponse) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{'),
      'SHL manifest: the response is not JSON',
    ],
    ['not a manifest', json({ files: 'x' }), 'SHL manifest: the response must be an object with a files array'],
  ])('when the manifest response is %s, then it fails with MANIFEST_INVALID', async (_what, handler, message) => {
    const s = await serve(handler);
    const e = await thrown(createGuardedShlFetcher({ allow: [`${s.base}/`] })(`${s.base}/shl/abc`, REQUEST));
    expect([e.code, e.message]).toEqual(['MANIFEST_INVALID', message]);
  });

  test('when the flag-U response is not a compact JWE, then it fails with JWE_INVALID', async () => {
    const s = await serve(json(MANIFEST));
    const e = await thrown(createGuardedShlFetcher({ allow: [`${s.base}/`] })(`${s.base}/shl/abc`, undefined));
    expect([e.code, e.message]).toEqual([
      'JWE_INVALID',
      'SHL file: the response is not a compact JWE (five base64url parts)',
    ]);
  });

  test.each(['ftp://x.example/', 'https://u:p@x.example/', 'https://x.example/?q=1', 'nope'])(
    'when an allow-list entry is %s, then creating the fetcher throws a TypeError',
    (entry) => {
      expect(() => createGuardedShlFetcher({ allow: [entry] })).toThrow(TypeError);
    },
  );

  test('when $verify follows a link to a URL that is not allowed, then the check says refused, not "not a credential"', async () => {
    const link = encodeShlink({ url: 'https://attacker.example/shl/abc', key: 'A'.repeat(43) });
    const r = await checkShl(link, {
      validationTime: new Date(),
      fetchShl: createGuardedShlFetcher({ allow: [], lookup: noLookup }),
    });
    const failed = r.checks.filter((c) => c.status === 'fail');
    expect(failed).toEqual([
      {
        name: 'decompress',
        status: 'fail',
        failure: 'decode-error',
        detail: 'SHL_FETCH_REFUSED',
        message:
          'The manifest could not be fetched: SHL fetch refused: https://attacker.example/shl/abc is not under a prefix of SHL_FETCH_ALLOW',
      },
    ]);
  });
});

describe('isPublicAddress', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const inner = fc.oneof(
    fc.tuple(fc.constant(10), octet, octet, octet),
    fc.tuple(fc.constant(127), octet, octet, octet),
    fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), octet, octet),
    fc.tuple(fc.constant(192), fc.constant(168), octet, octet),
    fc.tuple(fc.constant(169), fc.constant(254), octet, octet),
    fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), octet, octet),
  );
  const hex = ([a, b, c, d]: number[]) => `${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;

  test('when an inner IPv4 address is written plain, IPv4-mapped, NAT64 or 6to4, then it is never public', () => {
    fc.assert(
      fc.property(inner, (q) => {
        const dotted = q.join('.');
        for (const form of [
          dotted,
          `::ffff:${dotted}`,
          `::ffff:${hex(q)}`,
          `64:ff9b::${dotted}`,
          `64:ff9b::${hex(q)}`,
          `2002:${hex(q)}::1`,
        ]) {
          expect([form, isPublicAddress(form)]).toEqual([form, false]);
        }
      }),
    );
  });

  test.each([
    '93.184.216.34',
    '8.8.8.8',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('when the address is %s, then it is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  test.each(['0.0.0.0', '255.255.255.255', '224.0.0.1', '::', 'ff02::1', 'fd00::1', 'fe80::1', 'not-an-ip', ''])(
    'when the address is %s, then it is not public',
    (address) => {
      expect(isPublicAddress(address)).toBe(false);
    },
  );
});
