/**
 * A heavy request lends its admission slot while it waits for its write's commit (ADR 0070): with one heavy slot,
 * five concurrent creates all reach the store before any commit ends (so they can share one commit), and when
 * the commits end the slot count is back to exactly one.
 */
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import type { OperationRoute } from '../../src/http/routes.ts';
import type { ResourceStore } from '../../src/storage/store.ts';
import { createTestApp, FHIR_JSON, patient, type TestApp } from '../helpers/test-app.ts';

describe('admission slots and the commit wait', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ validationMode: 'off', heavyConcurrency: 1, queueMax: 0, queueTimeoutMs: 60_000 });
  });
  afterAll(() => t.close());

  test('when five creates wait for their commit with one heavy slot, then all five reach the store, all are stored, and the slot is held by one request again afterwards', async () => {
    const store = t.services.store;
    let entered = 0;
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    // The store's commit held back until all five are in: a create waits like one queued for a group commit.
    const gated: ResourceStore = {
      ...store,
      create: async (resource, options) => {
        entered++;
        await gate;
        return store.create(resource, options);
      },
    };
    let holdStarted = 0;
    let releaseHold: () => void = () => undefined;
    const hold: OperationRoute = {
      code: 'hold',
      definition: 'urn:test:hold',
      levels: ['system'],
      methods: ['GET'],
      handle: () => {
        holdStarted++;
        return new Promise((resolve) => {
          releaseHold = () => resolve({ status: 200, resource: { resourceType: 'Parameters' } });
        });
      },
    };
    const app = createApp({ ...t.services, store: gated }, [hold]);
    const post = (n: number) =>
      request(app)
        .post('/fhir/Patient')
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(patient({ identifier: [{ system: 'urn:test:lend', value: `p${n}` }] })))
        .then((r) => r);
    const creates = [0, 1, 2, 3, 4].map(post);
    // queueMax 0: a request finding no free slot is refused at once, so none of the five waited in the queue.
    for (let i = 0; i < 500 && entered < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(entered).toBe(5);
    openGate();
    const answers = await Promise.all(creates);
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    for (const r of answers) expect((await store.read('Patient', r.body.id)).status).toBe('found');

    // One slot again, not more (the five taken back past the limit were given up) and not less.
    const holding = request(app)
      .get('/fhir/$hold')
      .then((r) => r);
    while (holdStarted === 0) await new Promise((r) => setTimeout(r, 5));
    const refused = await post(5);
    expect([refused.status, refused.body.issue[0].details.coding[0].code]).toEqual([503, 'SERVER_BUSY']);
    releaseHold();
    expect((await holding).status).toBe(200);
    expect((await post(6)).status).toBe(201);
  });
});
