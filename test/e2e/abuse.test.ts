/**
 * The abuse catalogue of issue 19 over HTTP against a real server listening on 127.0.0.1: each hostile but
 * well-formed request gets its answer (served, or refused with an OperationOutcome) within its budget, and a
 * concurrent /healthz and read are answered meanwhile. Asserts answers, never timings.
 */
import type { AddressInfo } from 'node:net';
import { Agent, request as httpRequest, type Server } from 'node:http';
import { onClientError } from '../../src/http/hardening.ts';
import { createTestApp, FHIR_JSON, patient, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
let server: Server;
let base: string;
let patientId: string;
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function call(method: string, path: string, body?: string, type = FHIR_JSON): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> =
      body === undefined ? {} : { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) };
    const req = httpRequest(`${base}${path}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const idOf = (a: Answer): string | undefined =>
  (JSON.parse(a.text) as { issue?: Array<{ details?: { coding?: Array<{ code?: string }> } }> }).issue?.[0]?.details
    ?.coding?.[0]?.code;

/** Sends the hostile request and, while it is in flight, /healthz and a read; all three must answer. */
async function underAbuse(hostile: () => Promise<Answer>): Promise<Answer> {
  const pending = hostile();
  const [health, read] = await Promise.all([call('GET', '/healthz'), call('GET', `/fhir/Patient/${patientId}`)]);
  expect(health.status).toBe(200);
  expect(read.status).toBe(200);
  return pending;
}

beforeAll(async () => {
  t = await createTestApp({ validationMode: 'strict', maxBodyBytes: 16 * 1024 * 1024, requestBudgetMs: 10_000 });
  server = t.app.listen(0, '127.0.0.1');
  server.on('clientError', onClientError);
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const created = await call('POST', '/fhir/Patient', JSON.stringify(patient()));
  patientId = (JSON.parse(created.text) as { id: string }).id;
  // Fan-out for _revinclude: 1,500 Observations of one patient, written as one transaction.
  const entry = Array.from({ length: 1500 }, (_, i) => ({
    resource: {
      resourceType: 'Observation',
      status: 'final',
      code: { text: `o${i}` },
      subject: { reference: `Patient/${patientId}` },
    },
    request: { method: 'POST', url: 'Observation' },
  }));
  const tx = await call('POST', '/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }));
  expect(tx.status).toBe(200);
}, 120_000);
afterAll(async () => {
  agent.destroy();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

const containedPatient = (n: number) =>
  JSON.stringify(
    patient({
      contained: Array.from({ length: n }, (_, i) => ({ resourceType: 'Organization', id: `o${i}`, name: 'x' })),
      generalPractitioner: Array.from({ length: n }, (_, i) => ({ reference: `#o${i}` })),
    }),
  );

describe('abuse catalogue (real server on 127.0.0.1)', () => {
  test('when a resource holds 50,000 contained resources, then 422 CONTAINED_TOO_MANY, and /healthz and a read answer meanwhile', async () => {
    const a = await underAbuse(() => call('POST', '/fhir/Patient', containedPatient(50_000)));
    expect([a.status, idOf(a)]).toEqual([422, 'CONTAINED_TOO_MANY']);
    const v = await underAbuse(() => call('POST', '/fhir/Patient/$validate', containedPatient(50_000)));
    expect([v.status, idOf(v)]).toEqual([422, 'CONTAINED_TOO_MANY']);
  });

  test('when a resource holds contained resources up to the limit, then it is validated and stored (linear dom-3), with /healthz and a read meanwhile', async () => {
    const a = await underAbuse(() => call('POST', '/fhir/Patient', containedPatient(1000)));
    expect(a.status).toBe(201);
  });

  test('when a Bundle holds 50,000 entries, then 422 BUNDLE_TOO_MANY_ENTRIES (batch, transaction and $validate)', async () => {
    const entry = Array.from({ length: 50_000 }, () => ({
      resource: { resourceType: 'Basic', code: { text: 'x' } },
      request: { method: 'POST', url: 'Basic' },
    }));
    for (const type of ['batch', 'transaction']) {
      const a = await underAbuse(() => call('POST', '/fhir', JSON.stringify({ resourceType: 'Bundle', type, entry })));
      expect([a.status, idOf(a)]).toEqual([422, 'BUNDLE_TOO_MANY_ENTRIES']);
    }
    const v = await underAbuse(() =>
      call(
        'POST',
        '/fhir/Bundle/$validate',
        JSON.stringify({
          resourceType: 'Bundle',
          type: 'collection',
          entry: entry.map((e) => ({ resource: e.resource })),
        }),
      ),
    );
    expect([v.status, idOf(v)]).toEqual([422, 'BUNDLE_TOO_MANY_ENTRIES']);
  });

  test('when extensions nest deeper than the JSON depth limit, then 400 JSON_TOO_DEEP; up to the limit, they are validated', async () => {
    // Written as text: JSON.stringify itself cannot nest 10,000 levels.
    const nest = (depth: number) =>
      `{"resourceType":"Patient","extension":[${'{"url":"http://example.org/e","extension":['.repeat(depth)}{"url":"http://example.org/e","valueString":"v"}${']}'.repeat(depth)}]}`;
    const deep = await underAbuse(() => call('POST', '/fhir/Patient/$validate', nest(10_000)));
    expect([deep.status, idOf(deep)]).toEqual([400, 'JSON_TOO_DEEP']);
    const ok = await underAbuse(() => call('POST', '/fhir/Patient/$validate', nest(25)));
    expect(ok.status).toBe(200);
  });

  test('when a string value is 8 MB long, then the resource is answered (validated), and /healthz and a read answer meanwhile', async () => {
    const a = await underAbuse(() =>
      call(
        'POST',
        '/fhir/Patient/$validate',
        JSON.stringify(patient({ name: [{ family: 'x'.repeat(8 * 1024 * 1024) }] })),
      ),
    );
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text).resourceType).toBe('OperationOutcome');
  });

  test('when _revinclude fans out to 1,500 resources with _count=1000, then at most 1000 are included and the Bundle says it cut', async () => {
    const a = await underAbuse(() =>
      call('GET', `/fhir/Patient?_id=${patientId}&_revinclude=Observation:subject&_count=1000`),
    );
    expect(a.status).toBe(200);
    const bundle = JSON.parse(a.text) as {
      entry: Array<{
        search: { mode: string };
        resource: { issue?: Array<{ details: { coding: Array<{ code: string }> } }> };
      }>;
    };
    expect(bundle.entry.filter((e) => e.search.mode === 'include')).toHaveLength(1000);
    expect(
      bundle.entry.filter((e) => e.search.mode === 'outcome').map((e) => e.resource.issue?.[0]?.details.coding[0].code),
    ).toContain('SEARCH_INCLUDES_TRUNCATED');
  });

  test('when _include=* or _revinclude=* is asked, then it is not honoured (reported as ignored) and the search answers', async () => {
    const a = await underAbuse(() => call('GET', `/fhir/Patient?_id=${patientId}&_include=*&_revinclude=*`));
    expect(a.status).toBe(200);
    const bundle = JSON.parse(a.text) as {
      entry: Array<{
        search: { mode: string };
        resource: { issue?: Array<{ details: { coding: Array<{ code: string }> } }> };
      }>;
    };
    expect(bundle.entry.filter((e) => e.search.mode === 'include')).toEqual([]);
    expect(
      bundle.entry
        .filter((e) => e.search.mode === 'outcome')
        .flatMap((e) => e.resource.issue?.map((i) => i.details.coding[0].code) ?? []),
    ).toContain('SEARCH_PARAM_IGNORED');
  });

  test('when a search carries thousands of parameters, then a too-long URL gets 431 as an OperationOutcome, and a form body with 10,000 parameters is answered', async () => {
    const url = await underAbuse(() =>
      call('GET', `/fhir/Patient?${Array.from({ length: 5000 }, (_, i) => `name=n${i}`).join('&')}`),
    );
    expect([url.status, idOf(url)]).toEqual([431, 'REQUEST_HEADERS_TOO_LARGE']);
    const form = await underAbuse(() =>
      call(
        'POST',
        '/fhir/Patient/_search',
        Array.from({ length: 10_000 }, (_, i) => `unknown${i}=x`).join('&'),
        'application/x-www-form-urlencoded',
      ),
    );
    expect(form.status).toBe(200);
    const anded = await underAbuse(() =>
      call(
        'POST',
        '/fhir/Patient/_search',
        Array.from({ length: 2000 }, (_, i) => `_id=id${i}`).join('&'),
        'application/x-www-form-urlencoded',
      ),
    );
    expect([anded.status, idOf(anded)]).toEqual([400, 'SEARCH_TOO_COMPLEX']);
    const ored = await underAbuse(() =>
      call(
        'POST',
        '/fhir/Patient/_search',
        `name=${Array.from({ length: 5000 }, (_, i) => `n${i}`).join(',')}`,
        'application/x-www-form-urlencoded',
      ),
    );
    expect([ored.status, idOf(ored)]).toEqual([400, 'SEARCH_TOO_COMPLEX']);
    const fine = await underAbuse(() =>
      call(
        'POST',
        '/fhir/Patient/_search',
        `name=${Array.from({ length: 300 }, (_, i) => `n${i}`).join(',')}&${Array.from({ length: 40 }, (_, i) => `_id:not=x${i}`).join('&')}`,
        'application/x-www-form-urlencoded',
      ),
    );
    expect(fine.status).toBe(200);
  });
});
