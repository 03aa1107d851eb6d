/**
 * The hot operation routes (`POST $verify`, `POST Immunization/{id}/$issue-hcert`, http/hot-routes.ts) answer exactly
 * as the generic Express stack does: two apps on the same services, one with the early dispatch and one without,
 * get the same requests; status, headers (all but the per-request id and date), body, AuditEvent facts and request
 * metrics must match, for success, bad JSON, an oversized body, a wrong content type, a missing and an insufficient
 * token, an overload refusal and an unknown parameter.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import type { Express } from 'express';
import request from 'supertest';
import { createApp, HOT_OPERATIONS } from '../../src/app.ts';
import { hotPathPattern } from '../../src/http/hot-routes.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';

const ORIGIN = 'https://wallet.example';
/** One instant for the whole file: verdicts that name the time of checking are then the same from both stacks. */
const FIXED = new Date();

let t: AuthTestApp;
let generic: Express;
let hot: Express;
let issuer: string;
let weak: string;
let hc1: string;

beforeAll(async () => {
  t = await createAuthTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, corsOrigins: [ORIGIN], maxBodyBytes: 8192 },
    { now: () => FIXED },
  );
  generic = createApp(t.services, undefined, { hotRoutes: false });
  hot = createApp(t.services);
  issuer = await t.tokenFor('system/*.cruds system/Immunization.$issue-hcert');
  weak = await t.tokenFor('system/*.cruds', 'weak');
  const put = (path: string, body: object) =>
    request(generic).put(`/fhir/${path}`).set('Authorization', `Bearer ${issuer}`).type(FHIR_JSON).send(body);
  expect((await put('Patient/p1', patient())).status).toBe(201);
  expect((await put('Immunization/imm1', covidImmunization())).status).toBe(201);
  const issued = await request(hot)
    .post('/fhir/Immunization/imm1/$issue-hcert')
    .set('Authorization', `Bearer ${issuer}`)
    .type(FHIR_JSON)
    .send({ resourceType: 'Parameters', parameter: [{ name: 'qrFormat', valueCode: 'none' }] });
  expect(issued.status).toBe(200);
  hc1 = (issued.body.parameter as { name: string; valueString?: string }[]).find((p) => p.name === 'hc1')
    ?.valueString as string;
  expect(hc1.startsWith('HC1:')).toBe(true);
});
afterAll(() => t.close());

const VOLATILE_HEADERS = new Set(['x-request-id', 'date', 'connection', 'keep-alive']);

interface Seen {
  status: number;
  headers: Record<string, string>;
  body: string;
  audits: unknown[];
  counted: string;
}

/** The requests counter's text for one route (the metrics the HTTP layer keeps per request). */
async function counted(): Promise<string> {
  return t.services.metrics.registry.getSingleMetricAsString('gdhcn_http_requests_total');
}

/** One request against `app`, with what it left in the audit trail and the request metrics. */
async function seen(app: Express, send: (app: Express) => Promise<request.Response>): Promise<Seen> {
  const enqueue = jest.spyOn(t.services.audit, 'enqueue');
  const before = await counted();
  const res = await send(app);
  const audits = enqueue.mock.calls.map(([facts]) => {
    const { requestId: _id, recorded: _at, ...rest } = facts as unknown as Record<string, unknown>;
    return rest;
  });
  enqueue.mockRestore();
  const headers = Object.fromEntries(
    Object.entries(res.headers as Record<string, string>).filter(([k]) => !VOLATILE_HEADERS.has(k)),
  );
  return { status: res.status, headers, body: res.text, audits, counted: diff(before, await counted()) };
}

/** The counter lines whose value changed (each app counts into the same registry). */
function diff(before: string, after: string): string {
  const old = new Set(before.split('\n'));
  return after
    .split('\n')
    .filter((l) => !old.has(l))
    .map((l) => l.replace(/ \d+$/, ''))
    .join('\n');
}

async function same(send: (app: Express) => Promise<request.Response>): Promise<Seen> {
  const a = await seen(generic, send);
  const b = await seen(hot, send);
  expect(b).toEqual(a);
  return b;
}

const verifyBody = (credential: string) => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'credential', valueString: credential }],
});

test('the hot pattern takes the operation paths and nothing else', () => {
  const p = hotPathPattern('/fhir', HOT_OPERATIONS);
  expect(
    ['/fhir/$verify', '/fhir/Immunization/imm1/$issue-hcert', '/fhir/Immunization/$verify'].every((x) => p.test(x)),
  ).toBe(true);
  for (const x of [
    '/fhir/$validate',
    '/fhir/Immunization/i1',
    '/fhirx/$verify',
    '/fhir/$verify/',
    '/fhir/a/b/c/$verify',
  ])
    expect(p.test(x)).toBe(false);
});

test('when a valid HC1 is verified (with a CORS origin), then both stacks answer the same verdict and headers', async () => {
  const r = await same((app) =>
    request(app).post('/fhir/$verify').set('Origin', ORIGIN).type(FHIR_JSON).send(verifyBody(hc1)),
  );
  expect(r.status).toBe(200);
  expect(r.body).toContain('"valueBoolean":true');
  expect(r.headers['access-control-allow-origin']).toBe(ORIGIN);
  expect(r.headers['x-content-type-options']).toBe('nosniff');
  expect(r.counted).toContain('route="/fhir/$verify"');
});

test('when $issue-hcert succeeds, then both stacks answer 200 with the same parameters and audit the signature', async () => {
  const send = (app: Express) =>
    request(app)
      .post('/fhir/Immunization/imm1/$issue-hcert')
      .set('Authorization', `Bearer ${issuer}`)
      .type(FHIR_JSON)
      .send({ resourceType: 'Parameters', parameter: [{ name: 'qrFormat', valueCode: 'none' }] });
  const a = await seen(generic, send);
  const b = await seen(hot, send);
  // Each issuance signs a new credential (its own id and signature): the shape, headers and audit facts match.
  const names = (s: Seen) => (JSON.parse(s.body).parameter as { name: string }[]).map((p) => p.name);
  expect(b.status).toBe(200);
  expect(names(b)).toEqual(names(a));
  expect(Object.keys(b.headers).sort()).toEqual(Object.keys(a.headers).sort());
  expect(b.headers['content-type']).toBe(a.headers['content-type']);
  expect(b.counted).toEqual(a.counted);
  expect(b.audits.length).toBeGreaterThan(0);
  expect(b.audits.map((e) => (e as { subtype: string }).subtype)).toEqual(
    a.audits.map((e) => (e as { subtype: string }).subtype),
  );
});

test('when the body is not JSON, then both stacks answer the same 400', async () => {
  const r = await same((app) => request(app).post('/fhir/$verify').type(FHIR_JSON).send('{"resourceType": '));
  expect(r.status).toBe(400);
  expect(r.body).toContain('JSON_SYNTAX');
});

test('when the body is larger than the limit, then both stacks answer the same 413 and close the connection', async () => {
  const big = verifyBody(`HC1:${'A'.repeat(9000)}`);
  const r = await same((app) => request(app).post('/fhir/$verify').type(FHIR_JSON).send(big));
  expect(r.status).toBe(413);
  expect(r.body).toContain('BODY_TOO_LARGE');
});

test('when the content type is not FHIR JSON, then both stacks answer the same 415', async () => {
  const r = await same((app) =>
    request(app)
      .post('/fhir/Immunization/imm1/$issue-hcert')
      .set('Authorization', `Bearer ${issuer}`)
      .set('Content-Type', 'text/plain')
      .send('a=b'),
  );
  expect(r.status).toBe(415);
});

test('when $issue-hcert comes without a token, then both stacks answer the same 401 and audit the refusal', async () => {
  const r = await same((app) =>
    request(app).post('/fhir/Immunization/imm1/$issue-hcert').type(FHIR_JSON).send({ resourceType: 'Parameters' }),
  );
  expect(r.status).toBe(401);
  expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
  expect(r.audits).toEqual([expect.objectContaining({ status: 401 })]);
});

test('when $issue-hcert comes with a token lacking its scope, then both stacks answer the same 403 and audit it', async () => {
  const r = await same((app) =>
    request(app)
      .post('/fhir/Immunization/imm1/$issue-hcert')
      .set('Authorization', `Bearer ${weak}`)
      .type(FHIR_JSON)
      .send({ resourceType: 'Parameters' }),
  );
  expect(r.status).toBe(403);
  expect(r.body).toContain('AUTH_SCOPE_MISSING');
  expect(r.audits).toEqual([expect.objectContaining({ status: 403 })]);
});

test('when a token is malformed, then both stacks answer the same 400 from the authentication step', async () => {
  const r = await same((app) =>
    request(app).post('/fhir/$verify').set('Authorization', 'Basic abc').type(FHIR_JSON).send(verifyBody('HC1:XX')),
  );
  expect(r.status).toBe(400);
  expect(r.body).toContain('AUTH_HEADER_MALFORMED');
});

test('when $verify carries an unknown parameter, then both stacks answer the same 400', async () => {
  const r = await same((app) =>
    request(app)
      .post('/fhir/$verify')
      .type(FHIR_JSON)
      .send({ resourceType: 'Parameters', parameter: [{ name: 'colour', valueString: 'blue' }] }),
  );
  expect(r.status).toBe(400);
  expect(r.body).toContain('OPERATION_PARAM_UNKNOWN');
});

/** Holds one heavy slot with a request whose body never finishes, then sends `$verify`; returns its answer. */
async function overloaded(app: Express): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: false });
  const holder = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/fhir/$verify',
    agent,
    headers: { 'Content-Type': FHIR_JSON, 'Content-Length': '1000' },
  });
  holder.on('error', () => {});
  holder.write('{');
  // The holder is admitted once its headers arrive; a second request then finds the only slot taken.
  await new Promise((resolve) => setTimeout(resolve, 200));
  try {
    return await new Promise((resolve, reject) => {
      const r = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/fhir/$verify',
          agent,
          headers: { 'Content-Type': FHIR_JSON },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      r.on('error', reject);
      r.end(JSON.stringify(verifyBody('HC1:XX')));
    });
  } finally {
    holder.destroy();
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('when every heavy slot is taken and the queue is full, then both stacks answer the same 503 with Retry-After', async () => {
  const busy = await createAuthTestApp({ heavyConcurrency: 1, queueMax: 0 });
  try {
    const answers = [];
    for (const hotRoutes of [false, true]) {
      const a = await overloaded(createApp(busy.services, undefined, { hotRoutes }));
      const { date: _d, 'x-request-id': _id, connection: _c, 'keep-alive': _k, ...headers } = a.headers;
      answers.push({ status: a.status, headers, body: a.body });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[1]?.status).toBe(503);
    expect(answers[1]?.headers['retry-after']).toBeDefined();
    expect(answers[1]?.body).toContain('SERVER_BUSY');
  } finally {
    await busy.close();
  }
});
