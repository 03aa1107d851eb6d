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

const containedPatient = (n: number) =>
  JSON.stringify(
    patient({
      contained: Array.from({ length: n }, (_, i) => ({ resourceType: 'Organization', id: `o${i}`, name: 'x' })),
      generalPractitioner: Array.from({ length: n }, (_, i) => ({ reference: `#o${i}` })),
    }),
  );

// Inline validation (VALIDATION_WORKERS=0) and the shipped default (one validation worker: large bodies, large
// resources and write-time validation of large resources go to it).
describe.each([0, 1])('abuse catalogue (real server on 127.0.0.1, VALIDATION_WORKERS=%i)', (workers) => {
  beforeAll(async () => {
    // A budget far above what these requests need on an idle machine: the 1,500-entry set-up transaction passed the
    // 10 s default at load average 20+, and the budget is not what this suite asserts.
    t = await createTestApp({
      validationMode: 'strict',
      maxBodyBytes: 16 * 1024 * 1024,
      requestBudgetMs: 120_000,
      validationWorkers: workers,
    });
    await t.services.validationPool?.ready();
    server = t.app.listen(0, '127.0.0.1');
    server.on('clientError', onClientError);
    // Longer than any pause between two requests on one kept-alive socket: with Node's 5 s default the server could
    // close a socket just as the client reused it (ECONNRESET on a loaded machine).
    server.keepAliveTimeout = 120_000;
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
  }, 600_000);
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  const observations = (marker: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'urn:example:abuse', code: marker }], text: `${marker} ${i}` },
        subject: { reference: `Patient/${patientId}` },
      },
      request: { method: 'POST', url: 'Observation' },
    }));
  const countOf = async (marker: string) =>
    (
      JSON.parse((await call('GET', `/fhir/Observation?code=urn:example:abuse|${marker}&_summary=count`)).text) as {
        total: number;
      }
    ).total;

  test('when a transaction writes 3,000 entries, then /healthz and a read answer while it runs, and all of it is committed', async () => {
    const marker = `tx-${workers}`;
    const entry = observations(marker, 3000);
    const a = await underAbuse(() =>
      call('POST', '/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry })),
    );
    expect(a.status).toBe(200);
    expect(await countOf(marker)).toBe(entry.length);
  });

  test('when the client of a long transaction goes away, then the work stops and nothing of it is stored', async () => {
    const marker = `gone-${workers}`;
    const body = JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: observations(marker, 5000) });
    await new Promise<void>((resolve) => {
      // Its own connection, closed once the whole body is sent: the server sees the close between two steps.
      const req = httpRequest(`${base}/fhir`, {
        method: 'POST',
        headers: { 'Content-Type': FHIR_JSON, 'Content-Length': Buffer.byteLength(body) },
      });
      req.on('error', () => resolve());
      req.end(body, () => {
        req.destroy();
        resolve();
      });
    });
    // The search waits in the store queue behind the transaction, so it sees its end: rolled back.
    expect(await countOf(marker)).toBe(0);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });

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

afterAll(() => agent.destroy());
