/**
 * The passcode race (issue 19): 300 parallel manifest requests against a link allowing K wrong guesses, the right
 * passcode at a random position, repeated 20 times, over a real listening server on 127.0.0.1. The store is wrapped
 * to record the order in which passcode verdicts are committed, so "the right one succeeds only if it is among the
 * first K checked" is asserted against the server's own order, not the order the client sent in.
 */
import type { AddressInfo } from 'node:net';
import { Agent, request as httpRequest, type Server } from 'node:http';
import { createApp } from '../../src/app.ts';
import { createShlLink } from '../../src/credentials/shl-links.ts';
import type { ResourceStore } from '../../src/storage/store.ts';
import { packageExample } from '../helpers/shared-packages.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const K = 5;
const REQUESTS = 300;
const ROUNDS = 20;
const RIGHT = 'right-passcode-7391';

type Verdict = 'wrong-counted' | 'right-confirmed' | 'refused';

/** The store, with every transaction's outcome appended to `log` when it ends (a write = a wrong guess counted). */
function recordingStore(real: ResourceStore, log: Verdict[]): ResourceStore {
  return new Proxy(real, {
    get(target, key) {
      if (key === 'transaction') {
        return <T>(work: (tx: ResourceStore) => Promise<T>) =>
          target.transaction(async (tx) => {
            let wrote = false;
            const spy = new Proxy(tx, {
              get(t, k) {
                const v = Reflect.get(t, k) as unknown;
                if (k === 'update')
                  return (...args: Parameters<ResourceStore['update']>) => ((wrote = true), t.update(...args));
                return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
              },
            });
            try {
              const result = await work(spy);
              log.push(wrote ? 'wrong-counted' : 'right-confirmed');
              return result;
            } catch (e) {
              log.push('refused');
              throw e;
            }
          });
      }
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

interface Answer {
  status: number;
  body: { remainingAttempts?: number; issue?: Array<{ details?: { coding?: Array<{ code?: string }> } }> };
}

let t: TestApp;
let server: Server;
let base: string;
const verdicts: Verdict[] = [];
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

beforeAll(async () => {
  t = await createTestApp({
    validationMode: 'off',
    shlBaseUrl: 'https://gateway.test/shl',
    queueMax: 1000,
    queueTimeoutMs: 600_000,
  });
  const shl = { ...t.services.credentials.shl, store: recordingStore(t.services.store, verdicts) };
  const app = createApp({ ...t.services, credentials: { ...t.services.credentials, shl } });
  server = app.listen(0, '127.0.0.1');
  // Kept-alive sockets outlive the pauses between rounds: with Node's 5 s default the server could close a socket
  // just as the client reused it (an ECONNRESET seen once on a loaded machine).
  server.keepAliveTimeout = 120_000;
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

function postManifest(linkId: string, passcode: string): Promise<Answer> {
  const body = JSON.stringify({ recipient: 'race test', passcode });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}/shl/${linkId}`,
      {
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'],
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const messageId = (a: Answer) => a.body.issue?.[0]?.details?.coding?.[0]?.code;

async function newLink(): Promise<string> {
  const ips = packageExample('hl7.fhir.uv.ips#2.0.0.tgz', 'Bundle-IPS-examples-Bundle-01.json');
  const created = await createShlLink(t.services.credentials.shl, {
    content: JSON.stringify(ips),
    contentType: 'application/fhir+json',
    now: new Date(),
    passcode: RIGHT,
    maxAttempts: K,
  });
  return created.linkId;
}

describe('SHL passcode race (doubles: none; real server on 127.0.0.1)', () => {
  test(`when ${REQUESTS} parallel guesses (one right, at a random position) hit a ${K}-attempt link, ${ROUNDS} times, then exactly ${K} wrong guesses are counted and the right one succeeds only if checked among the first ${K}`, async () => {
    let successes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const linkId = await newLink();
      verdicts.length = 0;
      const position = Math.floor(Math.random() * REQUESTS);
      const answers = await Promise.all(
        Array.from({ length: REQUESTS }, (_, i) => postManifest(linkId, i === position ? RIGHT : `wrong-${i}`)),
      );
      const right = answers[position];
      const wrong = answers.filter((_, i) => i !== position);

      // Exactly K wrong guesses consumed, each told a distinct number of attempts left; every other one was refused.
      const counted = wrong.filter((a) => a.status === 401);
      expect(counted.map((a) => a.body.remainingAttempts).sort()).toEqual([0, 1, 2, 3, 4]);
      expect(wrong.filter((a) => a.status !== 401).map((a) => [a.status, messageId(a)])).toEqual(
        Array.from({ length: REQUESTS - 1 - K }, () => [404, 'SHL_DISABLED']),
      );
      expect(verdicts.filter((v) => v === 'wrong-counted')).toHaveLength(K);

      // The server's own order: how many wrong guesses were counted before the right one was confirmed.
      const confirmedAt = verdicts.indexOf('right-confirmed');
      if (right.status === 200) {
        successes++;
        expect(confirmedAt).toBeGreaterThanOrEqual(0);
        expect(verdicts.slice(0, confirmedAt).filter((v) => v === 'wrong-counted').length).toBeLessThan(K);
      } else {
        expect([right.status, messageId(right)]).toEqual([404, 'SHL_DISABLED']);
        expect(confirmedAt).toBe(-1);
      }

      // Once disabled, the right passcode no longer opens the link.
      const after = await postManifest(linkId, RIGHT);
      expect([after.status, messageId(after)]).toEqual([404, 'SHL_DISABLED']);
    }
    // With the right guess at a uniformly random position, it is checked among the first K only now and then.
    expect(successes).toBeLessThan(ROUNDS);
  }, 300_000);

  test(`when the right passcode follows exactly ${K - 1} wrong ones, then it opens the link; after ${K} wrong ones it does not`, async () => {
    const open = await newLink();
    for (let i = 0; i < K - 1; i++) expect((await postManifest(open, 'wrong')).status).toBe(401);
    expect((await postManifest(open, RIGHT)).status).toBe(200);

    const closed = await newLink();
    for (let i = 0; i < K; i++) expect((await postManifest(closed, 'wrong')).status).toBe(401);
    const late = await postManifest(closed, RIGHT);
    expect([late.status, messageId(late)]).toEqual([404, 'SHL_DISABLED']);
  }, 120_000);
});
