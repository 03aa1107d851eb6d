/**
 * The rule source: files and URLs (a local double of the publisher, 127.0.0.1), JWS signatures against the
 * configured key, unsigned files only when allowed, size caps before reading, the last good set kept and cached.
 */
import { mkdtempSync, writeFileSync, truncateSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { CompactSign, generateKeyPair } from 'jose';
import { createRuleSource } from '../../../src/rules/rule-source.ts';
import { rule, valueSet } from '../../helpers/rules.ts';

const now = () => new Date('2025-01-01T00:00:00Z');
const dist = { rules: [rule()], valueSets: [valueSet('disease-agent-targeted', ['840539006'])] };
let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rules-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function sign(json: unknown, key: Parameters<CompactSign['sign']>[0]): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(json))).setProtectedHeader({ alg: 'ES256' }).sign(key);
}

/** Signed by hand: jose refuses to sign with a crit extension it does not know, which is the point of the test. */
function signWithHeader(json: unknown, key: KeyObject, header: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64(header)}.${b64(json)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** A double of a rule publisher: answers every request with the given body. */
function publisherDouble(body: () => string | Promise<string>, status = 200): typeof fetch {
  return (async () => new Response(await body(), { status })) as typeof fetch;
}

describe('rule source (file and URL, publisher double)', () => {
  test('when an unsigned file is read with allowUnsigned, then its rules are in use', async () => {
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify(dist));
    const src = createRuleSource({
      source: { file },
      allowUnsigned: true,
      fetch,
      cacheFile: join(dir, 'cache.json'),
      now,
    });
    expect(await src.refresh()).toEqual({ ok: true });
    expect(src.current()?.rules.map((r) => r.rule.Identifier)).toEqual(['VR-DE-0001']);
    expect(src.status()).toMatchObject({ state: 'ok', signed: false, rules: 1, valueSets: 1 });
  });

  test('when an unsigned file is read without allowUnsigned, then it is refused with RULES_UNSIGNED', async () => {
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify(dist));
    const src = createRuleSource({
      source: { file },
      allowUnsigned: false,
      fetch,
      cacheFile: join(dir, 'cache.json'),
      now,
    });
    expect(await src.refresh()).toEqual({ ok: false });
    expect(src.current()).toBeUndefined();
    expect(src.status().lastError).toMatchObject({
      code: 'RULES_UNSIGNED',
      message:
        'The rule distribution is not signed (compact JWS); unsigned rules are read only from local files with RULES_ALLOW_UNSIGNED=true',
    });
  });

  test('when a URL serves a JWS signed with the configured key, then it is read; a URL serving plain JSON is refused even with allowUnsigned', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jws = await sign(dist, privateKey);
    const signed = createRuleSource({
      source: { url: 'https://rules.test/dist' },
      key: publicKey,
      allowUnsigned: true,
      fetch: publisherDouble(() => jws),
      cacheFile: join(dir, 'a.json'),
      now,
    });
    expect(await signed.refresh()).toEqual({ ok: true });
    expect(signed.status()).toMatchObject({ state: 'ok', signed: true, rules: 1 });
    const plain = createRuleSource({
      source: { url: 'https://rules.test/dist' },
      key: publicKey,
      allowUnsigned: true,
      fetch: publisherDouble(() => JSON.stringify(dist)),
      cacheFile: join(dir, 'b.json'),
      now,
    });
    expect(await plain.refresh()).toEqual({ ok: false });
    expect(plain.status().lastError?.code).toBe('RULES_UNSIGNED');
  });

  test('when the JWS is signed by another key or names an unknown crit extension, then it is refused', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const wrong = createRuleSource({
      source: { url: 'https://rules.test/d' },
      key: publicKey,
      allowUnsigned: false,
      fetch: publisherDouble(() => sign(dist, other.privateKey)),
      cacheFile: join(dir, 'a.json'),
      now,
    });
    await wrong.refresh();
    expect(wrong.status().lastError).toMatchObject({
      code: 'RULES_SIGNATURE_INVALID',
      message: "The rule distribution's signature does not verify: signature verification failed",
    });
    const mine = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const crit = createRuleSource({
      source: { url: 'https://rules.test/d' },
      key: mine.publicKey,
      allowUnsigned: false,
      fetch: publisherDouble(() =>
        signWithHeader(dist, mine.privateKey, { alg: 'ES256', crit: ['x-rules'], 'x-rules': 1 }),
      ),
      cacheFile: join(dir, 'b.json'),
      now,
    });
    await crit.refresh();
    expect(crit.status().lastError?.code).toBe('RULES_SIGNATURE_INVALID');
    expect(crit.status().lastError?.message).toMatch(/Extension Header Parameter "x-rules" is not recognized/);
  });

  test('when the rule file is 100 MB, then it is refused by its size before it is read', async () => {
    const file = join(dir, 'huge.json');
    writeFileSync(file, '');
    truncateSync(file, 100 * 1024 * 1024);
    const src = createRuleSource({
      source: { file },
      allowUnsigned: true,
      fetch,
      cacheFile: join(dir, 'cache.json'),
      now,
    });
    await src.refresh();
    expect(src.status().lastError).toMatchObject({
      code: 'RULES_TOO_LARGE',
      message: 'The rule file has 104857600 bytes, above the 8388608-byte cap',
    });
  });

  test('when a refresh fails after a good one, then the last good set stays in use, and a new client starts from the cache', async () => {
    let body = JSON.stringify(dist);
    const file = join(dir, 'rules.json');
    writeFileSync(file, body);
    const cacheFile = join(dir, 'cache', 'rules-cache.json');
    const src = createRuleSource({ source: { file }, allowUnsigned: true, fetch, cacheFile, now });
    await src.refresh();
    body = '{ not json';
    writeFileSync(file, body);
    expect(await src.refresh()).toEqual({ ok: false });
    expect(src.status()).toMatchObject({ state: 'degraded', rules: 1, lastError: { code: 'RULES_MALFORMED' } });
    expect(src.current()?.rules).toHaveLength(1);
    rmSync(file);
    const restarted = createRuleSource({ source: { file }, allowUnsigned: true, fetch, cacheFile, now });
    expect(await restarted.refresh()).toEqual({ ok: false });
    expect(restarted.current()?.rules).toHaveLength(1);
  });

  test('when the publisher answers 500, then the error says so', async () => {
    const src = createRuleSource({
      source: { url: 'https://rules.test/d' },
      allowUnsigned: false,
      fetch: publisherDouble(() => 'x', 500),
      cacheFile: join(dir, 'c.json'),
      now,
    });
    await src.refresh();
    expect(src.status().lastError).toMatchObject({
      code: 'RULES_FETCH_FAILED',
      message: 'Rule download failed: HTTP 500',
    });
  });
});
