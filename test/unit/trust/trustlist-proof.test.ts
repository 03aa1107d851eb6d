import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrustListSync, type TrustLogger, type TrustListSyncOptions } from '../../../src/trust/sync.ts';
import {
  loadTrustAnchor,
  signTrustList,
  verifyTrustListProof,
  type TrustAnchor,
} from '../../../src/trust/trustlist-proof.ts';
import { readCertificate } from '../../../src/trust/x509.ts';
import type { DidDocument } from '../../../src/trust/did-trustlist.ts';
import { NOW, makeCa, makeDsc, participantDocument, type TestCa, type TestDsc } from './pki.ts';
import { json, serve, type TestServer } from './serve.ts';

const HOUR = 3_600_000;
const anchorKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const anchor: TrustAnchor = loadTrustAnchor(JSON.stringify(anchorKeys.publicKey.export({ format: 'jwk' })));
const VM = 'did:web:tng.test:v2:trustlist#signer';

let dir: string;
let server: TestServer;
let xa: TestCa;
let xaDsc: TestDsc;
let doc: DidDocument;

type Signed = DidDocument & { proof: Record<string, unknown> };
const sign = async (d: object, created: Date, key = anchorKeys.privateKey): Promise<Signed> =>
  (await signTrustList(structuredClone(d) as Record<string, unknown>, key, {
    created,
    verificationMethod: VM,
  })) as unknown as Signed;

beforeAll(async () => {
  xa = await makeCa('XA');
  xaDsc = await makeDsc(xa);
  doc = participantDocument('DCC', 'XXA', [xa], [xaDsc]);
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trust-proof-'));
  server = await serve(json(await sign(doc, NOW)));
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
    cacheFile: join(dir, 'cache.json'),
    maxAgeMs: 24 * HOUR,
    now: () => NOW,
    anchor,
    ...over,
  };
}

const kid = (d: TestDsc): string => readCertificate(d.der).kid;

describe('verifyTrustListProof', () => {
  test('when a list is signed by the anchor key, then the proof verifies and its created date is returned', async () => {
    const signed = await sign(doc, NOW);
    expect(signed.proof).toMatchObject({
      type: 'JsonWebSignature2020',
      proofPurpose: 'assertionMethod',
      verificationMethod: VM,
    });
    expect(String(signed.proof.jws)).toMatch(/^[\w-]+\.\.[\w-]+$/);
    await expect(verifyTrustListProof(signed, anchor)).resolves.toEqual({ created: NOW });
  });

  test('when the anchor is a certificate (PEM, in a file), then a list signed with its key verifies', async () => {
    const pem = readCertificate(Buffer.from(xa.der).toString('base64'));
    const file = join(dir, 'anchor.pem');
    await writeFile(
      file,
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(xa.der).toString('base64')}\n-----END CERTIFICATE-----\n`,
    );
    const fromFile = loadTrustAnchor(file);
    expect(fromFile.description).toContain('C=XA');
    const signed = await signTrustList(doc as unknown as Record<string, unknown>, xa.keys.privateKey, {
      created: NOW,
      verificationMethod: VM,
    });
    await expect(verifyTrustListProof(signed, fromFile)).resolves.toEqual({ created: NOW });
    expect(pem.country).toBe('XA');
  });

  test.each([
    [
      'a tampered entry',
      async () => {
        const signed = await sign(doc, NOW);
        const vm = signed.verificationMethod[0] as { publicKeyJwk: { x5c: string[] } };
        vm.publicKeyJwk.x5c = [Buffer.from(xaDsc.der).toString('base64')];
        return signed;
      },
      'TRUSTLIST_PROOF_INVALID',
      /^Trust list: the proof signature does not verify with the trust anchor \(JWK EC\)$/,
    ],
    [
      'a re-dated proof',
      async () => ({
        ...(await sign(doc, NOW)),
        proof: { ...(await sign(doc, NOW)).proof, created: '2030-01-01T00:00:00Z' },
      }),
      'TRUSTLIST_PROOF_INVALID',
      /does not verify with the trust anchor/,
    ],
    [
      'a proof by another key',
      () => sign(doc, NOW, otherKeys.privateKey),
      'TRUSTLIST_PROOF_INVALID',
      /does not verify with the trust anchor/,
    ],
    ['no proof', async () => doc, 'TRUSTLIST_PROOF_MISSING', /^Trust list carries no proof$/],
    [
      'an attached JWS',
      async () => ({ ...doc, proof: { type: 'JsonWebSignature2020', created: NOW.toISOString(), jws: 'a.b.c' } }),
      'TRUSTLIST_PROOF_INVALID',
      /is not a detached compact JWS/,
    ],
    [
      'another proof type',
      async () => ({ ...doc, proof: { type: 'Ed25519Signature2018', created: NOW.toISOString(), jws: 'a..c' } }),
      'TRUSTLIST_PROOF_INVALID',
      /is not JsonWebSignature2020$/,
    ],
    [
      'alg none',
      async () => ({
        ...doc,
        proof: {
          type: 'JsonWebSignature2020',
          created: NOW.toISOString(),
          jws: `${Buffer.from('{"alg":"none"}').toString('base64url')}..x`,
        },
      }),
      'TRUSTLIST_PROOF_INVALID',
      /JWS algorithm "none" is not accepted$/,
    ],
  ])('when the list has %s, then it is refused', async (_name, make, code, message) => {
    await expect(verifyTrustListProof(await make(), anchor)).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
  });

  test('when TRUSTLIST_ANCHOR holds a private key or garbage, then loading it fails clearly', () => {
    expect(() => loadTrustAnchor(JSON.stringify(anchorKeys.privateKey.export({ format: 'jwk' })))).toThrow(
      /holds a private key/,
    );
    expect(() => loadTrustAnchor('{"kty":"EC"}')).toThrow(expect.objectContaining({ code: 'KEY_UNPARSEABLE' }));
    expect(() => loadTrustAnchor(join(dir, 'missing.pem'))).toThrow(
      expect.objectContaining({ code: 'FILE_UNREADABLE', message: 'TRUSTLIST_ANCHOR file cannot be read: ENOENT' }),
    );
  });
});

describe('createTrustListSync with TRUSTLIST_ANCHOR', () => {
  test('when the list is signed by the anchor, then it is used and the status says verified with its date', async () => {
    const sync = createTrustListSync(options());
    expect(sync.status().proof).toEqual({ state: 'none', anchor: 'JWK EC', created: undefined });
    expect(await sync.refresh()).toMatchObject({ ok: true });
    expect(sync.status()).toMatchObject({ state: 'ok', proof: { state: 'verified', created: NOW.toISOString() } });
    expect(sync.lookupByKid(kid(xaDsc)).candidates[0]!.verdict.ok).toBe(true);
  });

  test.each([
    [
      'a tampered entry',
      async () => {
        const signed = await sign(doc, new Date(NOW.getTime() + HOUR));
        return { ...signed, verificationMethod: signed.verificationMethod.slice(1) };
      },
      'TRUSTLIST_PROOF_INVALID',
    ],
    [
      'a proof by another key',
      () => sign(doc, new Date(NOW.getTime() + HOUR), otherKeys.privateKey),
      'TRUSTLIST_PROOF_INVALID',
    ],
    ['no proof', async () => doc, 'TRUSTLIST_PROOF_MISSING'],
    ['an older list re-served (rollback)', () => sign(doc, new Date(NOW.getTime() - HOUR)), 'TRUSTLIST_ROLLBACK'],
  ])(
    'when a later download has %s, then the last good list is kept and /trust/status says why',
    async (_name, make, code) => {
      const log = logger();
      const sync = createTrustListSync(options({ logger: log }));
      await sync.refresh();
      server.setHandler(json(await make()));
      const result = await sync.refresh();
      expect(result).toMatchObject({ ok: false, error: { code } });
      expect(sync.status()).toMatchObject({
        state: 'degraded',
        lastError: { code },
        proof: { state: 'verified', created: NOW.toISOString() },
      });
      expect(log.errors[0]).toMatch(/^trust list refresh failed, keeping the last good list: /);
      expect(sync.lookupByKid(kid(xaDsc)).candidates).toHaveLength(1);
    },
  );

  test('when the rollback message is read, then it names both dates', async () => {
    const sync = createTrustListSync(options());
    await sync.refresh();
    server.setHandler(json(await sign(doc, new Date('2026-05-01T00:00:00Z'))));
    expect(await sync.refresh()).toMatchObject({
      ok: false,
      error: {
        message:
          'Trust list signed at 2026-05-01T00:00:00.000Z is older than the list held (signed at 2026-06-01T00:00:00.000Z); refused',
      },
    });
  });

  test('when the process restarts, then the cached verified list and its version survive (rollback still refused)', async () => {
    await createTrustListSync(options()).refresh();
    const restarted = createTrustListSync(options());
    expect(restarted.status().proof).toMatchObject({ state: 'verified', created: NOW.toISOString() });
    server.setHandler(json(await sign(doc, new Date(NOW.getTime() - HOUR))));
    expect(await restarted.refresh()).toMatchObject({ ok: false, error: { code: 'TRUSTLIST_ROLLBACK' } });
  });

  test('when a list unproven by an earlier anchor-less run is cached, then it is not used once an anchor is set', async () => {
    server.setHandler(json(doc));
    await createTrustListSync(options({ anchor: undefined })).refresh();
    const log = logger();
    const withAnchor = createTrustListSync(options({ logger: log }));
    expect(withAnchor.lookupByKid(kid(xaDsc)).candidates).toHaveLength(0);
    expect(withAnchor.status().lastError).toMatchObject({ code: 'TRUSTLIST_PROOF_MISSING' });
  });

  test('when no anchor is configured, then lists are used unchecked and the status says so', async () => {
    server.setHandler(json(doc));
    const sync = createTrustListSync(options({ anchor: undefined }));
    expect(await sync.refresh()).toMatchObject({ ok: true });
    expect(sync.status().proof).toEqual({ state: 'unchecked', anchor: undefined, created: undefined });
  });
});
