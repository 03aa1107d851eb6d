import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrustListSync, type TrustListSyncOptions } from '../../../src/trust/sync.ts';
import { loadTrustAnchor, signTrustList } from '../../../src/trust/trustlist-proof.ts';
import { didWebUrl } from '../../../src/trust/trustlist-refs.ts';
import { buildDidDocument } from '../../../src/trust/publish.ts';
import { readCertificate } from '../../../src/trust/x509.ts';
import { NOW, makeCa, makeDsc, type TestDsc } from './pki.ts';
import { serve, type Handler, type TestServer } from './serve.ts';

const HOUR = 3_600_000;
const anchorKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const anchor = loadTrustAnchor(JSON.stringify(anchorKeys.publicKey.export({ format: 'jwk' })));

let dir: string;
let server: TestServer;
let host: string;
let xaDsc: TestDsc;
let xbDsc: TestDsc;
let embedded: Record<string, object>;

/** did:web of a path on the test server, e.g. didOf('v2/trustlist/DCC/XXA') */
const didOf = (path: string): string => `did:web:${encodeURIComponent(host)}:${path.split('/').join(':')}`;
const sign = (d: object, key = anchorKeys.privateKey) =>
  signTrustList(structuredClone(d) as Record<string, unknown>, key, {
    created: NOW,
    verificationMethod: 'did:web:tng.test#signer',
  });
const refList = (path: string, refs: string[]) => ({
  id: didOf(path),
  controller: didOf(path),
  verificationMethod: refs,
});

/** Serves `docs` by path (`/<path>/did.json`), 404 otherwise: the trust-network CDN double. */
function cdn(docs: Record<string, object>): Handler {
  return (req, res) => {
    const path = (req.url ?? '').replace(/^\//, '').replace(/\/did\.json$/, '');
    const doc = docs[path];
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/did+json' });
    res.end(doc ? JSON.stringify(doc) : '{}');
  };
}

beforeAll(async () => {
  const [xa, xb] = await Promise.all([makeCa('XA'), makeCa('XB')]);
  [xaDsc, xbDsc] = await Promise.all([makeDsc(xa), makeDsc(xb)]);
  server = await serve(cdn({}));
  host = new URL(server.url).host;
  embedded = {
    'v2/trustlist/DCC/XXA': await sign(
      buildDidDocument(didOf('v2/trustlist/DCC/XXA'), [{ der: xa.der }, { der: xaDsc.der, chain: [xa.der] }]),
    ),
    'v2/trustlist/ICVP/XXB': await sign(
      buildDidDocument(didOf('v2/trustlist/ICVP/XXB'), [{ der: xb.der }, { der: xbDsc.der, chain: [xb.der] }]),
    ),
  };
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trust-refs-'));
});

afterEach(() => rm(dir, { recursive: true, force: true }));
afterAll(() => server.close());

function options(root: string, over: Partial<TrustListSyncOptions> = {}): TrustListSyncOptions {
  return {
    source: { url: `http://${host}/${root}/did.json` },
    fetch,
    cacheFile: join(dir, 'cache.json'),
    maxAgeMs: 24 * HOUR,
    now: () => NOW,
    anchor,
    ...over,
  };
}

const kid = (d: TestDsc): string => readCertificate(d.der).kid;

describe('trustlist-ref resolution (trust-network CDN double on 127.0.0.1)', () => {
  test('when the root lists references to two participants, then both sub-lists are fetched, verified and used', async () => {
    const root = await sign(
      refList('v2/trustlist-ref', [
        didOf('v2/trustlist/DCC/XXA'),
        `${didOf('v2/trustlist/ICVP/XXB')}#DSC`,
        didOf('v2/trustlist/DCC/XXA'),
      ]),
    );
    server.setHandler(cdn({ ...embedded, 'v2/trustlist-ref': root }));
    const sync = createTrustListSync(options('v2/trustlist-ref'));
    expect(await sync.refresh()).toMatchObject({ ok: true });
    expect(sync.status()).toMatchObject({
      referencedDocuments: 2,
      counts: { dsc: 2, csca: 2, byDomain: { DCC: 2, ICVP: 2 } },
    });
    expect(sync.lookupByKid(kid(xaDsc)).candidates[0]!.verdict.ok).toBe(true);
    expect(sync.lookupByKid(kid(xbDsc)).candidates[0]!.verdict.ok).toBe(true);
    const restarted = createTrustListSync(options('v2/trustlist-ref'));
    expect(restarted.lookupByKid(kid(xbDsc)).candidates).toHaveLength(1); // the cache holds the sub-lists too
  });

  test('when references form a cycle, then the refresh is refused and names the cycle', async () => {
    const a = await sign(refList('v2/cycle/a', [didOf('v2/cycle/b')]));
    const b = await sign(refList('v2/cycle/b', [didOf('v2/trustlist/DCC/XXA'), didOf('v2/cycle/a')]));
    server.setHandler(cdn({ ...embedded, 'v2/cycle/a': a, 'v2/cycle/b': b }));
    const sync = createTrustListSync(options('v2/cycle/a'));
    const result = await sync.refresh();
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'TRUSTLIST_REF_REFUSED',
        message: `trust list references form a cycle: ${didOf('v2/cycle/a')} -> ${didOf('v2/cycle/b')} -> ${didOf('v2/cycle/a')}`,
      },
    });
    expect(sync.status()).toMatchObject({ state: 'degraded', counts: { dsc: 0 } });
  });

  test('when a chain of references is 10,000 deep, then it is refused at the depth cap after a bounded number of fetches', async () => {
    const link = await Promise.all(
      Array.from({ length: 12 }, (_, i) => sign(refList(`v2/chain/${i}`, [didOf(`v2/chain/${i + 1}`)]))),
    );
    const deep: Handler = (req, res) => {
      const n = Number(/\/v2\/chain\/(\d+)\//.exec(req.url ?? '')?.[1] ?? -1);
      res.writeHead(200, { 'content-type': 'application/did+json' });
      res.end(
        JSON.stringify(
          n < link.length ? link[n] : refList(`v2/chain/${n}`, n < 10_000 ? [didOf(`v2/chain/${n + 1}`)] : []),
        ),
      );
    };
    server.setHandler(deep);
    const before = server.requests;
    const sync = createTrustListSync(options('v2/chain/0', { references: { maxDepth: 8 } }));
    const result = await sync.refresh();
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'TRUSTLIST_REF_REFUSED',
        message: `trust list references are nested deeper than 8 levels (at ${didOf('v2/chain/9')})`,
      },
    });
    expect(server.requests - before).toBe(9);
  });

  test.each([
    [
      'a sub-list signed by another key',
      async () => ({ 'v2/trustlist/DCC/XXA': await sign(embedded['v2/trustlist/DCC/XXA']!, otherKeys.privateKey) }),
      'TRUSTLIST_PROOF_INVALID',
      /^Referenced trust list did:web:.*:v2:trustlist:DCC:XXA: the proof signature does not verify/,
    ],
    [
      'a sub-list without proof',
      async () => ({ 'v2/trustlist/DCC/XXA': { ...embedded['v2/trustlist/DCC/XXA']!, proof: undefined } }),
      'TRUSTLIST_PROOF_MISSING',
      /carries no proof$/,
    ],
    [
      'a sub-list answering another DID',
      async () => ({ 'v2/trustlist/DCC/XXA': embedded['v2/trustlist/ICVP/XXB']! }),
      'TRUSTLIST_REF_REFUSED',
      /^reference .*DCC:XXA answered a document with id ".*ICVP:XXB"$/,
    ],
    [
      'a missing sub-list',
      async () => ({ 'v2/trustlist/DCC/XXA': undefined as unknown as object }),
      'TRUSTLIST_FETCH_FAILED',
      /download failed: HTTP 404$/,
    ],
  ])(
    'when the root references %s, then the whole refresh is refused and the last good list kept',
    async (_name, override, code, message) => {
      const root = await sign(
        refList('v2/trustlist-ref', [didOf('v2/trustlist/DCC/XXA'), didOf('v2/trustlist/ICVP/XXB')]),
      );
      server.setHandler(cdn({ ...embedded, 'v2/trustlist-ref': root }));
      const sync = createTrustListSync(options('v2/trustlist-ref'));
      await sync.refresh();
      const later = await sign({
        ...refList('v2/trustlist-ref', [didOf('v2/trustlist/DCC/XXA'), didOf('v2/trustlist/ICVP/XXB')]),
      });
      server.setHandler(cdn({ ...embedded, 'v2/trustlist-ref': later, ...(await override()) }));
      const result = await sync.refresh();
      expect(result).toMatchObject({ ok: false, error: { code, message: expect.stringMatching(message) } });
      expect(sync.lookupByKid(kid(xaDsc)).candidates).toHaveLength(1);
    },
  );

  test('when a reference points outside the allowed prefixes, then it is refused without a request', async () => {
    const root = await sign(refList('v2/out', ['did:web:169.254.169.254:latest:meta-data']));
    server.setHandler(cdn({ 'v2/out': root }));
    const before = server.requests;
    const result = await createTrustListSync(options('v2/out')).refresh();
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'TRUSTLIST_REF_REFUSED',
        message:
          'reference did:web:169.254.169.254:latest:meta-data resolves to https://169.254.169.254/latest/meta-data/did.json, outside the allowed prefixes',
      },
    });
    expect(server.requests - before).toBe(1);
  });

  test('when a did:web is resolved, then host, port and path follow the did:web method', () => {
    expect(didWebUrl('did:web:tng.example:v2:trustlist:DCC:XA')).toBe(
      'https://tng.example/v2/trustlist/DCC/XA/did.json',
    );
    expect(didWebUrl('did:web:tng.example%3A8443')).toBe('https://tng.example:8443/.well-known/did.json');
    expect(() => didWebUrl('did:key:z6Mk')).toThrow(expect.objectContaining({ code: 'TRUSTLIST_REF_REFUSED' }));
  });
});
