/** `GET /readyz`: storage writable, ingest profiles loaded, signing keys valid long enough, trust list fresh (or degraded, with the reason). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const DAY = 86_400_000;
const opened: TestApp[] = [];
async function app(...args: Parameters<typeof createTestApp>): Promise<TestApp> {
  const t = await createTestApp(...args);
  opened.push(t);
  return t;
}
afterAll(async () => {
  for (const t of opened) await t.close().catch(() => undefined);
});

/** No ingest profile configured: the package check has nothing to miss. */
const NO_PROFILES = { validationProfiles: {} };

describe('GET /readyz', () => {
  let healthy: TestApp;
  beforeAll(async () => {
    healthy = await app(NO_PROFILES);
  });

  test('when storage, packages, keys and trust are fine, then 200 ready with every check passing', async () => {
    const res = await request(healthy.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.status).toBe('ready');
    expect(
      Object.fromEntries(
        Object.entries(res.body.checks as Record<string, { status: string }>).map(([k, v]) => [k, v.status]),
      ),
    ).toEqual({
      storage: 'pass',
      packages: 'pass',
      issuerKeys: 'pass',
      trustList: 'pass',
    });
    expect(res.body.checks.issuerKeys.daysLeft).toBeGreaterThanOrEqual(30);
  });

  test('when the storage probe runs, then it leaves no resource and no history behind', async () => {
    await request(healthy.app).get('/readyz').expect(200);
    expect((await request(healthy.app).get('/fhir/Basic/readiness-probe')).status).toBe(404);
    const history = await request(healthy.app).get('/fhir/_history');
    expect(history.status).toBe(200);
    expect(history.body.total ?? history.body.entry?.length ?? 0).toBe(0);
  });

  test('when the storage fails, then 503 not-ready naming the storage, and the server still answers', async () => {
    const broken = await app(NO_PROFILES);
    await broken.services.store.close();
    const res = await request(broken.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('not-ready');
    expect(res.body.checks.storage.status).toBe('fail');
    expect(res.body.checks.storage.reason).toMatch(/^storage write failed: /);
    expect(res.body.checks.packages.status).toBe('pass');
    expect((await request(broken.app).get('/healthz')).status).toBe(200);
  });

  test('when a configured ingest profile is not loaded, then 503 naming the profile', async () => {
    const missing = await app({
      validationProfiles: { Immunization: 'http://example.org/StructureDefinition/not-loaded' },
    });
    const res = await request(missing.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.packages).toMatchObject({
      status: 'fail',
      reason: 'configured ingest profile(s) not loaded: http://example.org/StructureDefinition/not-loaded',
    });
  });

  test('when the signing keys expire sooner than READYZ_KEY_MIN_VALIDITY, then 503 with the days left', async () => {
    const demanding = await app({ ...NO_PROFILES, readyKeyMinValidityMs: 400 * DAY });
    const res = await request(demanding.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.issuerKeys.status).toBe('fail');
    expect(res.body.checks.issuerKeys.reason).toMatch(
      /^the signing keys expire in \d+ day\(s\), less than the 400 required \(READYZ_KEY_MIN_VALIDITY\)$/,
    );
  });

  describe('with a trust list from a file', () => {
    const clock = { at: new Date() };
    let peer: TestApp;
    let file: string;
    beforeAll(async () => {
      const didDocument = (await request(healthy.app).get('/trust/did.json')).text;
      file = join(mkdtempSync(join(tmpdir(), 'readyz-')), 'trustlist.json');
      writeFileSync(file, didDocument);
      peer = await app({ ...NO_PROFILES, trustSelf: false, trustListFile: file }, { now: () => clock.at });
      expect((await peer.services.trust.refresh()).ok).toBe(true);
    });

    test('when the trust list was just read, then its check passes with its size', async () => {
      const res = await request(peer.app).get('/readyz');
      expect(res.status).toBe(200);
      expect(res.body.checks.trustList).toMatchObject({ status: 'pass', state: 'ok' });
      expect(res.body.checks.trustList.entries).toBeGreaterThanOrEqual(2);
    });

    test('when the trust list is older than TRUSTLIST_MAX_AGE, then 200 degraded with the reason', async () => {
      clock.at = new Date(clock.at.getTime() + 3 * DAY);
      const res = await request(peer.app).get('/readyz');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('degraded');
      expect(res.body.checks.trustList.status).toBe('warn');
      expect(res.body.checks.trustList.reason).toMatch(/^the trust list is stale: fetched \d{4}-/);
    });

    test('when a refresh fails, then 200 degraded naming the error, and the last good list stays in use', async () => {
      writeFileSync(file, 'not a trust list');
      expect((await peer.services.trust.refresh()).ok).toBe(false);
      const res = await request(peer.app).get('/readyz');
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('degraded');
      expect(res.body.checks.trustList.reason).toMatch(
        /^the last trust-list refresh failed \(\w+: .+\); the last good list is in use$/,
      );
      expect(res.body.checks.trustList.entries).toBeGreaterThanOrEqual(2);
    });
  });
});
