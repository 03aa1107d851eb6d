import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRevocations, dccHash, HashSet16, type RevocationsOptions } from '../../../src/trust/revocations.ts';
import type { TrustLogger } from '../../../src/trust/sync.ts';
import { NOW } from './pki.ts';
import { json, serve } from './serve.ts';

const KID = 'XPjhL9Znd1M=';
const ISS = 'https://shc.example.org/issuer';
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const hash16 = (s: string | Uint8Array) => b64(createHash('sha256').update(s).digest().subarray(0, 16));
const signature = randomBytes(64);
const future = new Date(NOW.getTime() + 86_400_000).toISOString();

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'revocations-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, body: unknown): Promise<{ file: string }> {
  const path = join(dir, name);
  await writeFile(path, typeof body === 'string' ? body : JSON.stringify(body));
  return { file: path };
}

function logger(): TrustLogger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, info: () => undefined, warn: () => undefined, error: (_o, msg) => void errors.push(msg) };
}

function options(over: Partial<RevocationsOptions>): RevocationsOptions {
  return {
    dccSources: [],
    shcSources: [],
    fetch,
    maxBytes: 1024 * 1024,
    cacheFile: join(dir, 'revocations.json'),
    now: () => NOW,
    trustsDccKid: (kid, country) => kid === KID && country === 'XA',
    trustsShcKey: (iss, kid) => iss === ISS && kid === 'shc-kid',
    ...over,
  };
}

const batch = (hashType: string, hashes: string[], over: object = {}) => ({
  country: 'XA',
  kid: KID,
  hashType,
  expires: future,
  entries: hashes.map((hash) => ({ hash })),
  ...over,
});

describe('EU DCC revocation batches', () => {
  test('when batches of each hash type are imported, then matching HCERTs are revoked and others pass', async () => {
    const r = createRevocations(
      options({
        dccSources: [
          await file('a.json', [
            batch('UCI', [hash16('URN:UVCI:01:XA:A')]),
            batch('COUNTRYCODEUCI', [hash16('XAURN:UVCI:01:XA:B')]),
          ]),
          await file('b.json', batch('SIGNATURE', [hash16(signature.subarray(0, 32))])),
        ],
      }),
    );
    await r.refresh();
    const q = (credentialId: string, sig?: Uint8Array) =>
      r.check({ format: 'hcert', issuer: 'XA', kid: KID, credentialId, ...(sig ? { signature: sig } : {}) });
    expect(q('URN:UVCI:01:XA:A')).toBe(true);
    expect(q('URN:UVCI:01:XA:B')).toBe(true);
    expect(q('URN:UVCI:01:XA:C', signature)).toBe(true);
    expect(q('URN:UVCI:01:XA:C', randomBytes(64))).toBe(false);
    expect(r.check({ format: 'hcert', issuer: 'XB', kid: 'other', credentialId: 'x' })).toBeUndefined();
    expect(r.status()).toMatchObject({ dccKids: 1, dccEntries: 3, problems: [], loadedAt: NOW.toISOString() });
  });

  test('when the process restarts, then the imported set is read back from DATA_DIR', async () => {
    await createRevocations(options({ dccSources: [await file('a.json', batch('UCI', [hash16('U1')]))] })).refresh();
    const restarted = createRevocations(options({}));
    expect(restarted.check({ format: 'hcert', issuer: 'XA', kid: KID, credentialId: 'U1' })).toBe(true);
    expect(restarted.status().dccEntries).toBe(1);
  });

  test('when a batch has expired, then the check is skipped with the reason', async () => {
    const r = createRevocations(
      options({
        dccSources: [await file('a.json', batch('UCI', [hash16('U1')], { expires: '2026-01-01T00:00:00Z' }))],
      }),
    );
    await r.refresh();
    expect(r.check({ format: 'hcert', issuer: 'XA', kid: KID, credentialId: 'U2' })).toBe(
      `The revocation list of kid ${KID} expired at 2026-01-01T00:00:00.000Z`,
    );
  });

  test.each([
    ['garbage', 'not json at all', /is not JSON/],
    ['a truncated file', JSON.stringify(batch('UCI', [hash16('U9')])).slice(0, 40), /is not JSON/],
    ['an unknown hash type', batch('MD5', []), /hashType "MD5" is not UCI, COUNTRYCODEUCI or SIGNATURE/],
    ['a short hash', batch('UCI', ['AAAA']), /entry 0 has no 16-byte base64 hash/],
    [
      'a batch for a kid we never trusted',
      batch('UCI', [hash16('U9')], { kid: 'AAAAAAAAAAA=' }),
      /kid AAAAAAAAAAA= of XA: no such DSC in the trust list$/,
    ],
    [
      'an enormous file',
      batch(
        'UCI',
        Array.from({ length: 40_000 }, () => hash16(randomBytes(8))),
      ),
      /exceeds the 1048576-byte cap$/,
    ],
  ])(
    'when a source holds %s, then a log line and status entry say so and the last good state is kept',
    async (_n, body, message) => {
      const good = await file('good.json', batch('UCI', [hash16('U1')]));
      const log = logger();
      const r = createRevocations(options({ dccSources: [good], logger: log }));
      await r.refresh();
      await writeFile(good.file, typeof body === 'string' ? body : JSON.stringify(body));
      await r.refresh();
      expect(r.status().problems).toEqual([
        { source: `file:${good.file}`, message: expect.stringMatching(message), at: NOW.toISOString() },
      ]);
      expect(log.errors[0]).toMatch(/^revocation data refused, keeping the last good state: /);
      expect(r.check({ format: 'hcert', issuer: 'XA', kid: KID, credentialId: 'U1' })).toBe(true);
    },
  );

  test('when batches come from a URL (revocation service double on 127.0.0.1), then they are imported', async () => {
    const server = await serve(json([batch('UCI', [hash16('U7')])]));
    try {
      const r = createRevocations(options({ dccSources: [{ url: server.url }] }));
      await r.refresh();
      expect(r.check({ format: 'hcert', issuer: 'XA', kid: KID, credentialId: 'U7' })).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('SMART Health Card CRLs', () => {
  const crl = (over: object = {}) => ({
    iss: ISS,
    kid: 'shc-kid',
    method: 'rid',
    ctr: 2,
    rids: ['r1', 'r2.1780000000'],
    ...over,
  });

  test('when a CRL of a trusted key is imported, then listed rids are revoked (a timestamped rid only for cards issued before it)', async () => {
    const r = createRevocations(options({ shcSources: [await file('crl.json', crl())] }));
    await r.refresh();
    const q = (rid: string, issuedAt?: Date) =>
      r.check({
        format: 'shc',
        issuer: `${ISS}/`,
        kid: 'shc-kid',
        credentialId: rid,
        ...(issuedAt ? { issuedAt } : {}),
      });
    expect(q('r1')).toBe(true);
    expect(q('r2', new Date(1_779_000_000_000))).toBe(true);
    expect(q('r2', new Date(1_781_000_000_000))).toBe(false);
    expect(q('r3')).toBe(false);
    expect(
      r.check({ format: 'shc', issuer: 'https://other.example', kid: 'shc-kid', credentialId: 'r1' }),
    ).toBeUndefined();
  });

  test.each([
    ['a CRL for a key we never trusted', crl({ kid: 'stranger' }), /kid stranger: that key is not trusted$/],
    ['an older ctr', crl({ ctr: 1, rids: [] }), /ctr 1 is older than the 2 held$/],
    ['a CRL without iss', crl({ iss: undefined }), /iss is missing/],
    ['another method', crl({ method: 'hash' }), /method "hash" is not rid/],
  ])('when a later load holds %s, then it is refused and the held CRL kept', async (_n, body, message) => {
    const source = await file('crl.json', crl());
    const r = createRevocations(options({ shcSources: [source] }));
    await r.refresh();
    await writeFile(source.file, JSON.stringify(body));
    await r.refresh();
    expect(r.status().problems[0]!.message).toMatch(message);
    expect(r.check({ format: 'shc', issuer: ISS, kid: 'shc-kid', credentialId: 'r1' })).toBe(true);
  });
});

describe('HashSet16 and dccHash', () => {
  test('when 5,000 random hashes are held, then each is found and 5,000 others are not', () => {
    const held = Array.from({ length: 5000 }, () => randomBytes(16));
    const set = HashSet16.of([...held, held[0]!]);
    expect(set.size).toBe(5000);
    expect(set.bytes).toBe(100_000); // 16 bytes a hash + a 4-byte prefix
    expect(held.every((h) => set.has(h))).toBe(true);
    expect(Array.from({ length: 5000 }, () => randomBytes(16)).some((h) => set.has(h))).toBe(false);
  });

  test('when hashes share their first 4 bytes, then each is still told apart', () => {
    const base = randomBytes(16);
    const siblings = Array.from({ length: 6 }, (_, i) =>
      Buffer.concat([base.subarray(0, 4), randomBytes(11), Buffer.from([i])]),
    );
    const set = HashSet16.of([...siblings.slice(0, 3), randomBytes(16), siblings[1]!]);
    expect(set.size).toBe(4);
    expect(siblings.map((h) => set.has(h))).toEqual([true, true, true, false, false, false]);
  });

  test('when an ECDSA P-256 signature is hashed, then only its r half counts; an RSA signature is hashed whole', () => {
    const rsa = randomBytes(256);
    expect(b64(dccHash('SIGNATURE', { signature })!)).toBe(hash16(signature.subarray(0, 32)));
    expect(b64(dccHash('SIGNATURE', { signature: rsa })!)).toBe(hash16(rsa));
    expect(b64(dccHash('COUNTRYCODEUCI', { uci: 'U', country: 'xa' })!)).toBe(hash16('XAU'));
    expect(dccHash('UCI', {})).toBeUndefined();
  });
});

describe('SHC CRLs fetched from the issuers themselves (REVOCATION_SHC_AUTO)', () => {
  /** A fetch double standing in for the issuers' web servers: URL → JSON body (or a status). */
  function issuerFetchDouble(routes: Record<string, unknown>) {
    const asked: string[] = [];
    const fetchDouble = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      asked.push(url);
      return url in routes
        ? new Response(JSON.stringify(routes[url]), { status: 200, headers: { 'Content-Type': 'application/json' } })
        : new Response('not found', { status: 404 });
    }) as typeof fetch;
    return { fetchDouble, asked };
  }
  const crlUrl = `${ISS}/.well-known/crl/shc-kid.json`;

  test('when a trusted key declares a CRL, then <iss>/.well-known/crl/<kid>.json is fetched and its rids are revoked', async () => {
    const { fetchDouble, asked } = issuerFetchDouble({
      [crlUrl]: { kid: 'shc-kid', method: 'rid', ctr: 1, rids: ['r9'] },
    });
    const r = createRevocations(
      options({ fetch: fetchDouble, shcCrlKeys: () => [{ iss: `${ISS}/`, kid: 'shc-kid' }] }),
    );
    await r.refresh();
    expect(asked).toEqual([crlUrl]);
    expect(r.status().problems).toEqual([]);
    expect(r.check({ format: 'shc', issuer: ISS, kid: 'shc-kid', credentialId: 'r9' })).toBe(true);
    expect(r.check({ format: 'shc', issuer: ISS, kid: 'shc-kid', credentialId: 'r1' })).toBe(false);
  });

  test.each([
    ['answers 404', {}, /404/],
    [
      'answers a CRL of another kid',
      { [crlUrl]: { kid: 'other', method: 'rid', ctr: 1, rids: [] } },
      /asked for kid shc-kid, got kid other$/,
    ],
    ['answers garbage', { [crlUrl]: 'garbage' }, /SHC CRL is not an object/],
  ])(
    'when the issuer %s, then a problem names the URL and nothing is held for that key',
    async (_n, routes, message) => {
      const { fetchDouble } = issuerFetchDouble(routes);
      const r = createRevocations(options({ fetch: fetchDouble, shcCrlKeys: () => [{ iss: ISS, kid: 'shc-kid' }] }));
      await r.refresh();
      expect(r.status().problems.map((p) => p.source)).toEqual([crlUrl]);
      expect(r.status().problems[0]!.message).toMatch(message);
      expect(r.check({ format: 'shc', issuer: ISS, kid: 'shc-kid', credentialId: 'r9' })).toBeUndefined();
    },
  );

  test('when an issuer is not https, then its CRL is not fetched', async () => {
    const { fetchDouble, asked } = issuerFetchDouble({});
    const r = createRevocations(
      options({ fetch: fetchDouble, shcCrlKeys: () => [{ iss: 'http://plain.example', kid: 'k' }] }),
    );
    await r.refresh();
    expect(asked).toEqual([]);
    expect(r.status().problems[0]!.message).toBe('an issuer CRL is fetched over https only');
  });
});
