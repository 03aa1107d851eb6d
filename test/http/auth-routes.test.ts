/**
 * No route slips in open: every Express path is on the documented public list (http/authorize.ts PUBLIC_PATHS) or is
 * the FHIR API, and every interaction and operation of the FHIR route table either demands a scope (401 without a
 * token, 403 with a token that lacks it) or is public on purpose.
 */
import request from 'supertest';
import { PUBLIC_PATHS } from '../../src/http/authorize.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';

let t: AuthTestApp;
let weakToken: string;

beforeAll(async () => {
  t = await createAuthTestApp();
  const weak = await t.registerClient('weak', ['system/Observation.r']);
  weakToken = await weak.token('system/Observation.r');
});
afterAll(() => t.close());

interface Layer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { name: string };
}

/** Operations public on purpose (README "Security"): verifiers need $verify; $packages lists the loaded IGs. */
const PUBLIC_OPERATIONS = new Set(['verify', 'packages']);
const publicOps = () => PUBLIC_OPERATIONS;

test('when the Express stack is walked, then every path is public on purpose or is the FHIR API', () => {
  const layers = (t.app as unknown as { router: { stack: Layer[] } }).router.stack;
  const unexpected: string[] = [];
  for (const l of layers) {
    if (l.route) {
      const methods = Object.keys(l.route.methods).filter((m) => m !== '_all');
      if (methods.every((m) => m === 'options')) continue; // CORS preflight never needs a token
      if (!PUBLIC_PATHS.includes(l.route.path)) unexpected.push(`${methods.join(',')} ${l.route.path}`);
    } else if (
      l.rawPath !== undefined &&
      l.rawPath !== '/' &&
      l.rawPath !== '/fhir' &&
      l.handle.name !== 'publicBudget'
    ) {
      unexpected.push(`mount ${String(l.rawPath)} (${l.handle.name})`);
    }
  }
  expect(unexpected).toEqual([]);
});

/** Every interaction shape of the route table, on a sample type. */
const INTERACTIONS: Array<[string, string]> = [
  ['GET', '/fhir/Immunization'],
  ['POST', '/fhir/Immunization'],
  ['POST', '/fhir/Immunization/_search'],
  ['GET', '/fhir/Immunization/_history'],
  ['GET', '/fhir/Immunization/i1'],
  ['PUT', '/fhir/Immunization/i1'],
  ['DELETE', '/fhir/Immunization/i1'],
  ['GET', '/fhir/Immunization/i1/_history'],
  ['GET', '/fhir/Immunization/i1/_history/1'],
  ['GET', '/fhir/_history'],
  ['POST', '/fhir'],
];

function operationCalls(): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (const op of ops) {
    for (const level of op.levels) {
      const type = op.resourceTypes?.[0] ?? 'Patient';
      const path =
        level === 'system'
          ? `/fhir/$${op.code}`
          : level === 'type'
            ? `/fhir/${type}/$${op.code}`
            : `/fhir/${type}/x1/$${op.code}`;
      for (const m of op.methods) out.push([op.code, m, path]);
    }
  }
  return out;
}

let ops: Array<{ code: string; levels: string[]; resourceTypes?: string[]; methods: string[] }> = [];

beforeAll(async () => {
  const { defaultOperations } = await import('../../src/app.ts');
  ops = defaultOperations(t.services);
});

const send = (method: string, path: string, token?: string) => {
  const r = request(t.app)[method.toLowerCase() as 'get'](path).set('Content-Type', 'application/fhir+json');
  if (token) r.set('Authorization', `Bearer ${token}`);
  return method === 'GET' || method === 'DELETE' ? r : r.send('{"resourceType":"Parameters"}');
};

test('when every interaction of the route table is called without a token, then each answers 401 with WWW-Authenticate: Bearer', async () => {
  const got: string[] = [];
  for (const [m, p] of INTERACTIONS) {
    const res = await send(m, p);
    got.push(`${m} ${p} ${res.status} ${res.headers['www-authenticate'] ?? '-'}`);
  }
  expect(got).toEqual(INTERACTIONS.map(([m, p]) => `${m} ${p} 401 Bearer realm="gdhcn-gateway"`));
});

test('when every interaction is called with a token lacking its scope, then each answers 403 naming the scope', async () => {
  const got: string[] = [];
  for (const [m, p] of INTERACTIONS.filter(([, p]) => p !== '/fhir')) {
    const res = await send(m, p, weakToken);
    got.push(`${m} ${p} ${res.status} ${res.body.issue?.[0]?.details?.coding?.[0]?.code}`);
  }
  expect(got).toEqual(
    INTERACTIONS.filter(([, p]) => p !== '/fhir').map(([m, p]) => `${m} ${p} 403 AUTH_SCOPE_MISSING`),
  );
});

test('when every operation is called without a token, then only the public ones answer something other than 401', async () => {
  const calls = operationCalls();
  expect(calls.length).toBeGreaterThanOrEqual(9);
  const open = new Set<string>();
  for (const [code, m, p] of calls) {
    const res = await send(m, p);
    if (res.status !== 401) open.add(code);
  }
  expect([...open].sort()).toEqual([...publicOps()].sort());
});

test('when every non-public operation is called with a token lacking its scope, then each answers 403 naming the scope', async () => {
  for (const [code, m, p] of operationCalls().filter(([c]) => !publicOps().has(c))) {
    const res = await send(m, p, weakToken);
    expect([code, res.status, res.body.issue[0].details.text]).toEqual([
      code,
      403,
      expect.stringMatching(/^The token's scopes do not allow this request; it needs system\//),
    ]);
  }
});

test('when the metadata is read without a token, then it answers', async () => {
  expect((await request(t.app).get('/fhir/metadata')).status).toBe(200);
});

test('when the SMART discovery document is read under the FHIR base without a token, then it answers (public, not the FHIR API)', async () => {
  expect(PUBLIC_PATHS).toContain('/fhir/.well-known/smart-configuration');
  const res = await request(t.app).get('/fhir/.well-known/smart-configuration');
  expect([res.status, res.headers['content-type']]).toEqual([200, expect.stringMatching(/^application\/json/)]);
  expect(res.body.token_endpoint).toBe(t.tokenUrl);
});
