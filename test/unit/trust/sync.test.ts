import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTrustListSync,
  startTrustListSchedule,
  type TrustLogger,
  type TrustListSyncOptions,
} from '../../../src/trust/sync.ts';
import { readCertificate } from '../../../src/trust/x509.ts';
import { NOW, makeCa, makeDsc, participantDocument, type TestDsc } from './pki.ts';
import { huge, json, serve, text, type TestServer } from './serve.ts';
import type { DidDocument } from '../../../src/trust/did-trustlist.ts';

const HOUR = 3_600_000;
let dir: string;
let server: TestServer;
let docs: DidDocument[];
let xaDsc: TestDsc;
let xbDsc: TestDsc;

beforeAll(async () => {
  const [xa, xb, xc] = await Promise.all([makeCa('XA'), makeCa('XB'), makeCa('XC')]);
  xaDsc = await makeDsc(xa);
  xbDsc = await makeDsc(xb);
  const xcDscs = await Promise.all([1, 2, 3, 4].map(() => makeDsc(xc)));
  docs = [
    participantDocument('DCC', 'XXA', [xa], [xaDsc]),
    participantDocument('ICVP', 'XXB', [xb], [xbDsc]),
    participantDocument('DCC', 'XXC', [xc], xcDscs),
  ];
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trust-sync-'));
  server = await serve(json(docs));
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function logger(): TrustLogger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, info: () => undefined, warn: () => undefined, error: (_o, msg) => void errors.push(msg) };
}

function options(over: Partial<TrustListSyncOptions> = {}): TrustListSyncOptions {
  return {
    source: { url: server.url },
    fetch,
    cacheFile: join(dir, 'trustlist.json'),
    maxAgeMs: 24 * HOUR,
    now: () => NOW,
    ...over,
  };
}

const kid = (d: TestDsc): string => readCertificate(d.der).kid;

describe('createTrustListSync', () => {
  test('when the source answers, then the list is used, cached on disk and reported per country and domain', async () => {
    const sync = createTrustListSync(options());
    expect(sync.status().state).toBe('empty');
    const result = await sync.refresh();
    expect(result.ok).toBe(true);
    const status = sync.status({ detail: true });
    expect(status).toMatchObject({
      state: 'ok',
      source: server.url,
      fetchedAt: NOW.toISOString(),
      stale: false,
      lastError: undefined,
    });
    expect(status.counts).toMatchObject({
      csca: 3,
      dsc: 6,
      validDsc: 6,
      byCountry: { XA: { csca: 1, dsc: 1 }, XB: { csca: 1, dsc: 1 } },
      byDomain: { DCC: 7, ICVP: 2 },
    });
    expect(status.certificates).toHaveLength(9);
    expect(sync.lookupByKid(kid(xaDsc), { country: 'XA' })).toMatchObject({
      candidates: [{ verdict: { ok: true } }],
      warnings: [],
    });
    const cached = JSON.parse(await readFile(join(dir, 'trustlist.json'), 'utf8'));
    expect(cached).toMatchObject({ version: 1, source: server.url, fetchedAt: NOW.toISOString() });
  });

  test('when the process restarts with the source down, then the cached list still verifies', async () => {
    await createTrustListSync(options()).refresh();
    const dead = await serve(json(null));
    await dead.close(); // nothing listens on its port any more
    const restarted = createTrustListSync(options({ source: { url: dead.url } }));
    expect(restarted.lookupByKid(kid(xbDsc)).candidates[0]!.verdict.ok).toBe(true);
    const result = await restarted.refresh();
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'TRUSTLIST_FETCH_FAILED', message: 'Trust list download failed: ECONNREFUSED' },
    });
    expect(restarted.status()).toMatchObject({
      state: 'degraded',
      fetchedAt: NOW.toISOString(),
      lastError: { code: 'TRUSTLIST_FETCH_FAILED' },
    });
    expect(restarted.lookupByKid(kid(xbDsc)).candidates).toHaveLength(1);
  });

  test.each([
    ['garbage', text(200, '<html>not json</html>'), 'TRUSTLIST_MALFORMED', /^Trust list is not JSON: /],
    ['an HTTP error', text(503, 'busy'), 'TRUSTLIST_FETCH_FAILED', /^Trust list download failed: HTTP 503$/],
    ['a non-DID JSON', json({ hello: 1 }), 'TRUSTLIST_MALFORMED', /^Trust list document 0 is not a DID document/],
    [
      'an empty list',
      json({ id: 'did:web:x', verificationMethod: [] }),
      'TRUSTLIST_EMPTY',
      /^Trust list contains no certificates$/,
    ],
    [
      'a 10 MB stream',
      huge(10 * 1024 * 1024 + 1, false),
      'TRUSTLIST_TOO_LARGE',
      /^Trust list exceeds the 10485760-byte cap$/,
    ],
    [
      'a 10 MB declared body',
      huge(10 * 1024 * 1024 + 1, true),
      'TRUSTLIST_TOO_LARGE',
      /^Trust list exceeds the 10485760-byte cap$/,
    ],
  ])(
    'when the source returns %s, then the last good list is kept and the status is degraded',
    async (_name, handler, code, message) => {
      const log = logger();
      const sync = createTrustListSync(options({ logger: log }));
      await sync.refresh();
      server.setHandler(handler);
      const result = await sync.refresh();
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe(code);
        expect(result.error.message).toMatch(message);
      }
      expect(sync.status()).toMatchObject({ state: 'degraded', counts: { dsc: 6 }, lastError: { code } });
      expect(sync.lookupByKid(kid(xaDsc)).candidates).toHaveLength(1);
      expect(log.errors).toHaveLength(1);
      expect(log.errors[0]).toMatch(/^trust list refresh failed, keeping the last good list: /);
    },
  );

  test('when the list shrinks sharply, then it is refused; a later good refresh clears the alarm', async () => {
    const sync = createTrustListSync(options());
    await sync.refresh();
    server.setHandler(json(docs.slice(0, 1)));
    expect(await sync.refresh()).toEqual({
      ok: false,
      error: {
        code: 'TRUSTLIST_SHRUNK',
        message: 'Trust list shrank from 9 to 2 entries; refused',
        at: NOW.toISOString(),
      },
    });
    expect(sync.lookupByKid(kid(xbDsc)).candidates).toHaveLength(1);
    server.setHandler(json(docs.slice(0, 2).concat(docs[2]!)));
    expect((await sync.refresh()).ok).toBe(true);
    expect(sync.status()).toMatchObject({ state: 'ok', lastError: undefined });
  });

  test('when the list is older than maxAge, then every lookup carries a stale warning', async () => {
    let clock = NOW;
    const sync = createTrustListSync(options({ now: () => clock }));
    await sync.refresh();
    clock = new Date(NOW.getTime() + 25 * HOUR);
    const stale = {
      code: 'TRUSTLIST_STALE',
      message: `Trust list fetched at ${NOW.toISOString()} is older than 86400 s`,
    };
    expect(sync.lookupByKid(kid(xaDsc)).warnings).toEqual([stale]);
    expect(sync.lookupShc('https://x', 'k').warnings).toEqual([stale]);
    expect(sync.lookupByDidUrl('did:web:none').warnings).toEqual([stale]);
    expect(sync.status()).toMatchObject({ state: 'stale', stale: true });
  });

  test('when nothing has been fetched yet, then lookups say so', () => {
    const sync = createTrustListSync(options());
    expect(sync.lookupByKid(kid(xaDsc))).toEqual({
      candidates: [],
      warnings: [{ code: 'TRUSTLIST_NEVER_FETCHED', message: `No trust list from ${server.url} has been loaded yet` }],
    });
  });

  test('when the source is a file, then it is read with the same checks', async () => {
    const file = join(dir, 'list.json');
    await writeFile(file, JSON.stringify(docs));
    const sync = createTrustListSync(options({ source: { file } }));
    expect((await sync.refresh()).ok).toBe(true);
    await writeFile(file, 'x'.repeat(2048));
    expect(
      await createTrustListSync(
        options({ source: { file }, maxBytes: 1024, cacheFile: join(dir, 'other.json') }),
      ).refresh(),
    ).toMatchObject({
      ok: false,
      error: { code: 'TRUSTLIST_TOO_LARGE', message: 'Trust list exceeds the 1024-byte cap' },
    });
  });

  test('when local entries are given, then they are merged and do not count towards the remote list', async () => {
    const sync = createTrustListSync(options({ local: { documents: [docs[0]!], shcIssuers: [] } }));
    expect(sync.lookupByKid(kid(xaDsc)).candidates).toHaveLength(1);
    server.setHandler(json({ id: 'did:web:x', verificationMethod: [] }));
    expect(await sync.refresh()).toMatchObject({ ok: false, error: { code: 'TRUSTLIST_EMPTY' } });
    const devOnly = createTrustListSync({
      ...options({ local: { documents: [docs[0]!], shcIssuers: [] } }),
      source: undefined,
    });
    expect(await devOnly.refresh()).toMatchObject({ ok: true });
    expect(devOnly.lookupByKid(kid(xaDsc)).warnings).toEqual([]);
    expect(devOnly.status()).toMatchObject({ state: 'ok', source: 'local' });
  });

  test('when the cache file is corrupt, then start-up records the error and the next refresh recovers', async () => {
    await writeFile(join(dir, 'trustlist.json'), '{oops');
    const sync = createTrustListSync(options());
    expect(sync.status()).toMatchObject({ state: 'degraded', lastError: { code: 'TRUSTLIST_MALFORMED' } });
    expect((await sync.refresh()).ok).toBe(true);
    expect(sync.status().state).toBe('ok');
  });

  test('when two refreshes overlap, then one download serves both', async () => {
    const sync = createTrustListSync(options());
    const [a, b] = await Promise.all([sync.refresh(), sync.refresh()]);
    expect(a).toBe(b);
    expect(server.requests).toBe(1);
  });
});

describe('startTrustListSchedule', () => {
  test('when started, then refresh runs each interval until stopped', () => {
    jest.useFakeTimers();
    try {
      const refresh = jest.fn(async () => ({ ok: true as const, counts: {} as never }));
      const schedule = startTrustListSchedule({ refresh }, { intervalMs: 1000, runNow: true });
      jest.advanceTimersByTime(3000);
      expect(refresh).toHaveBeenCalledTimes(4);
      schedule.stop();
      jest.advanceTimersByTime(3000);
      expect(refresh).toHaveBeenCalledTimes(4);
    } finally {
      jest.useRealTimers();
    }
  });
});
