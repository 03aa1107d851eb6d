/** Fair service under load (issue 19): heavy requests take slots and queue with a timeout; light ones never wait. */
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { routeClassOf } from '../../src/http/admission.ts';
import type { OperationRoute } from '../../src/http/routes.ts';
import { createTestApp, FHIR_JSON, patient, type TestApp } from '../helpers/test-app.ts';

describe('route classes', () => {
  test('when a request is a health check, metadata, a read by id or a preflight, then it is light; searches are search; the rest heavy', () => {
    expect(
      ['/healthz', '/fhir/metadata', '/fhir/Patient/p1', '/fhir/Patient/p1/_history/2', '/.well-known/jwks.json'].map(
        (p) => routeClassOf('GET', p),
      ),
    ).toEqual(['light', 'light', 'light', 'light', 'light']);
    expect(routeClassOf('OPTIONS', '/fhir/Patient')).toBe('light');
    expect(['/fhir/Patient', '/fhir/Patient/_search', '/fhir/_history'].map((p) => routeClassOf('GET', p))).toEqual([
      'search',
      'search',
      'search',
    ]);
    expect(routeClassOf('POST', '/fhir/Patient/_search')).toBe('search');
    expect(
      ['/fhir/Patient', '/fhir/Patient/$validate', '/fhir', '/shl/abc'].map((p) => routeClassOf('POST', p)),
    ).toEqual(['heavy', 'heavy', 'heavy', 'heavy']);
    expect(routeClassOf('GET', '/fhir/$packages')).toBe('heavy');
  });
});

describe('admission', () => {
  let t: TestApp;
  let release: () => void = () => undefined;
  let started = 0;
  const gate: OperationRoute = {
    code: 'hold',
    definition: 'urn:test:hold',
    levels: ['system'],
    methods: ['GET'],
    handle: () => {
      started++;
      return new Promise((resolve) => {
        release = () => resolve({ status: 200, resource: { resourceType: 'Parameters' } });
      });
    },
  };
  beforeAll(async () => {
    t = await createTestApp({ validationMode: 'off', heavyConcurrency: 1, queueMax: 1, queueTimeoutMs: 300 });
  });
  afterAll(() => t.close());

  test('when the heavy slots and the queue are full, then the next heavy request gets 503 SERVER_BUSY with Retry-After at once, a queued one after its timeout, while /healthz and reads answer', async () => {
    const app = createApp(t.services, [gate]);
    const created = await request(app)
      .post('/fhir/Patient')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(patient()));
    expect(created.status).toBe(201);

    const holding = request(app)
      .get('/fhir/$hold')
      .then((r) => r);
    while (started === 0) await new Promise((r) => setTimeout(r, 5));
    // Two more heavy requests: whichever arrives first waits in the (one-place) queue and times out, the other is
    // refused at once; both end as 503 SERVER_BUSY with Retry-After, and nothing is stored.
    const before = (await request(app).get('/fhir/Patient?_summary=count')).body.total;
    const more = [0, 1].map(() =>
      request(app)
        .post('/fhir/Patient')
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(patient()))
        .then((r) => r),
    );

    // Light requests are not queued behind the heavy ones.
    expect((await request(app).get('/healthz')).status).toBe(200);
    expect((await request(app).get(`/fhir/Patient/${created.body.id}`)).status).toBe(200);
    // Searches have their own slots.
    expect((await request(app).get('/fhir/Patient?_count=1')).status).toBe(200);

    for (const res of await Promise.all(more)) {
      expect([
        res.status,
        res.body.issue[0].details.coding[0].code,
        res.body.issue[0].code,
        res.headers['retry-after'],
      ]).toEqual([503, 'SERVER_BUSY', 'transient', '1']);
    }
    expect((await request(app).get('/fhir/Patient?_summary=count')).body.total).toBe(before);

    release();
    expect((await holding).status).toBe(200);
    // The slot is free again.
    expect(
      (await request(app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient()))).status,
    ).toBe(201);
  });
});
