/** `GET /metrics`: Prometheus text from this app's own registry, with request, validation, credential, trust and store figures. */
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { routeOf } from '../../src/http/observability.ts';
import { createTestApp, FHIR_JSON, type TestApp } from '../helpers/test-app.ts';

const NO_PROFILES = { validationProfiles: {} };

/** The value of one sample line, e.g. `gdhcn_http_requests_total{method="GET",route="/healthz",status="200"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const inner = /\{(.*)\}/.exec(line)?.[1] ?? '';
    const got = Object.fromEntries([...inner.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  a = await createTestApp(NO_PROFILES);
  b = await createTestApp(NO_PROFILES);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe('GET /metrics', () => {
  let text: string;
  beforeAll(async () => {
    await request(a.app)
      .put('/fhir/Patient/p1')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Patient', id: 'p1' })
      .expect(201);
    await request(a.app).get('/fhir/Patient/p1').expect(200);
    await request(a.app).get('/fhir/Patient/p1').expect(200);
    await request(a.app).get('/fhir/Patient/nobody').expect(404);
    await request(a.app)
      .post('/fhir/Patient/$validate')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Patient', gender: 'x' })
      .expect(200);
    await request(a.app)
      .post('/fhir/$verify')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Parameters', parameter: [{ name: 'credential', valueString: 'HC1:NOT-BASE45' }] })
      .expect(200);
    const res = await request(a.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    text = res.text;
  });

  test('when requests were answered, then they are counted and timed by route pattern and status, ids left out', () => {
    expect(sample(text, 'gdhcn_http_requests_total', { method: 'GET', route: '/fhir/:type/:id', status: '200' })).toBe(
      2,
    );
    expect(sample(text, 'gdhcn_http_requests_total', { method: 'GET', route: '/fhir/:type/:id', status: '404' })).toBe(
      1,
    );
    expect(sample(text, 'gdhcn_http_requests_total', { method: 'PUT', route: '/fhir/:type/:id', status: '201' })).toBe(
      1,
    );
    expect(
      sample(text, 'gdhcn_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/fhir/:type/:id',
        status: '200',
      }),
    ).toBe(2);
    expect(
      sample(text, 'gdhcn_http_request_duration_seconds_bucket', {
        route: '/fhir/:type/:id',
        status: '200',
        le: '+Inf',
      }),
    ).toBe(2);
    expect(text).not.toContain('p1');
    expect(text).not.toContain('nobody');
  });

  test('when resources were validated, then the outcomes are counted by source and result', () => {
    expect(sample(text, 'gdhcn_validations_total', { source: 'validate', result: 'invalid' })).toBe(1);
    expect(sample(text, 'gdhcn_validations_total', { source: 'write', result: 'valid' })).toBe(1);
  });

  test('when a credential was verified, then the verdict is counted by format', () => {
    expect(sample(text, 'gdhcn_credentials_verified_total', { verdict: 'invalid' })).toBe(1);
  });

  test('when the store was used, then its operations are timed', () => {
    expect(sample(text, 'gdhcn_store_operation_duration_seconds_count', { operation: 'update', outcome: 'ok' })).toBe(
      1,
    );
    expect(
      sample(text, 'gdhcn_store_operation_duration_seconds_count', { operation: 'read', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(3);
  });

  test('when scraped, then the trust list size, event-loop lag and heap are there', () => {
    expect(sample(text, 'gdhcn_trustlist_entries', { kind: 'valid_dsc' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  test('when two apps live in one process, then each counts only its own requests', async () => {
    await request(b.app).get('/healthz').expect(200);
    const other = (await request(b.app).get('/metrics')).text;
    expect(sample(other, 'gdhcn_http_requests_total', { route: '/healthz', status: '200' })).toBe(1);
    expect(sample(other, 'gdhcn_http_requests_total', { route: '/fhir/:type/:id' })).toBeUndefined();
  });

  test('when createApp is called again on the same services, then it builds without a registration clash', async () => {
    const again = createApp(b.services);
    expect((await request(again).get('/metrics')).status).toBe(200);
  });
});

describe('routeOf', () => {
  const ops = new Set(['issue-hcert', 'verify']);
  test.each([
    ['/fhir/Patient/erika', '/fhir/:type/:id'],
    ['/fhir/Patient/erika/_history/3', '/fhir/:type/:id/_history/:id'],
    ['/fhir/Immunization/x/$issue-hcert', '/fhir/:type/:id/$issue-hcert'],
    ['/fhir/$verify', '/fhir/$verify'],
    ['/fhir/Patient/$made-up', '/fhir/:type/$unknown'],
    ['/fhir/metadata', '/fhir/metadata'],
    ['/shl/abc', '/shl/:linkId'],
    ['/wp-admin/x.php', 'other'],
    ['/fhir/a/b/c/d/e/f', 'other'],
  ])('when the path is %s, then the route pattern is %s', (path, route) => {
    expect(routeOf(path, ops)).toBe(route);
  });
});
