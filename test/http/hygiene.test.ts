/** Protocol hygiene (issue 19): every error an OperationOutcome with a stable id, no paths or stacks, browser-facing headers, CORS, no form-triggered writes. */
import { connect, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { onClientError } from '../../src/http/hardening.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { samplePackage } from '../helpers/tar-builder.ts';
import { createTestApp, FHIR_JSON, immunization, patient, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    validationMode: 'off',
    corsOrigins: ['https://app.example'],
    maxBodyBytes: 4096,
    fhirPackages: SHARED_PACKAGE_FILES,
  });
});
afterAll(() => t.close());

const messageId = (res: request.Response) => res.body.issue?.[0]?.details?.coding?.[0]?.code;

function expectOutcome(res: request.Response, status: number, id: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(messageId(res)).toBe(id);
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\/tmp\/|\/work\//);
}

describe('errors are OperationOutcomes with stable ids', () => {
  test('when a path is unknown, a method is not FHIR, a body too large or of an unsupported type, then 404, 405, 413, 415 OperationOutcomes', async () => {
    expectOutcome(await request(t.app).get('/nothing-here'), 404, 'PATH_UNKNOWN');
    expectOutcome(await request(t.app).get('/fhir/Patient/unknown-id'), 404, 'RESOURCE_NOT_FOUND');
    expectOutcome(await request(t.app).propfind('/fhir/Patient'), 405, 'METHOD_NOT_ALLOWED');
    expectOutcome(
      await request(t.app)
        .post('/fhir/Patient')
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify(patient({ text: { status: 'generated', div: 'x'.repeat(5000) } }))),
      413,
      'BODY_TOO_LARGE',
    );
    expectOutcome(
      await request(t.app).post('/fhir/Patient').set('Content-Type', 'application/xml').send('<Patient/>'),
      415,
      'XML_NOT_SUPPORTED',
    );
  });

  test('when a handler fails unexpectedly, then 500 INTERNAL_ERROR without a stack trace', async () => {
    const failing = {
      code: 'explode',
      definition: 'urn:test:explode',
      levels: ['system' as const],
      methods: ['GET' as const],
      handle: async () => {
        throw new Error(`boom at ${process.cwd()}/src/x.ts`);
      },
    };
    const res = await request(createApp(t.services, [failing])).get('/fhir/$explode');
    expectOutcome(res, 500, 'INTERNAL_ERROR');
    expect(res.text).not.toContain('boom');
  });

  test('when /healthz, $packages or a refused $install-package answer, then they name no absolute path', async () => {
    for (const path of ['/healthz', '/fhir/$packages']) {
      const res = await request(t.app).get(path);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(process.cwd());
      expect(res.text).not.toMatch(/"\/[^"]*\//);
    }
    const clash = await request(t.app)
      .post('/fhir/$install-package')
      .set('Content-Type', 'application/gzip')
      .send(samplePackage('who.ddcc', '1.0.0'));
    expect(clash.status).toBeGreaterThanOrEqual(400);
    expect(clash.body.resourceType).toBe('OperationOutcome');
    expect(clash.text).not.toContain(process.cwd());
    expect(clash.text).not.toMatch(/\/[\w.-]+\/[\w.#-]+\.tgz/);
  });
});

describe('headers for browsers', () => {
  test('when patient data is read, then nosniff and Cache-Control: no-store; HSTS only when the public URL is https', async () => {
    const created = await request(t.app)
      .post('/fhir/Patient')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(patient()));
    const res = await request(t.app).get(`/fhir/Patient/${created.body.id}`);
    expect([res.status, res.headers['x-content-type-options'], res.headers['cache-control']]).toEqual([
      200,
      'nosniff',
      'no-store',
    ]);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    const https = await createTestApp({ validationMode: 'off', fhirBaseUrl: 'https://gw.example/fhir' });
    try {
      expect((await request(https.app).get('/fhir/metadata')).headers['strict-transport-security']).toMatch(
        /^max-age=\d+/,
      );
    } finally {
      await https.close();
    }
  });

  test('when a configured origin sends a preflight, then 204 with the allowed methods and headers, no token needed; another origin gets no CORS grant', async () => {
    const pre = await request(t.app)
      .options('/fhir/Patient')
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,authorization');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toMatch(/Content-Type/);
    expect(pre.headers['access-control-allow-headers']).toMatch(/Authorization/);
    const get = await request(t.app).get('/fhir/metadata').set('Origin', 'https://app.example');
    expect(get.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(get.headers['access-control-expose-headers']).toContain('Location');
    const other = await request(t.app)
      .options('/fhir/Patient')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(
      (await request(t.app).get('/fhir/metadata').set('Origin', 'https://evil.example')).headers[
        'access-control-allow-origin'
      ],
    ).toBeUndefined();
  });

  test('when an HTML form (urlencoded, multipart or text/plain) POSTs to $issue-hcert or a create, then 415 and nothing happens', async () => {
    const stored = await request(t.app)
      .put('/fhir/Immunization/imm-form')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(immunization({ id: 'imm-form' })));
    expect([200, 201]).toContain(stored.status);
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
      expectOutcome(
        await request(t.app).post('/fhir/Immunization/imm-form/$issue-hcert').set('Content-Type', type).send('a=b'),
        415,
        'CONTENT_TYPE_UNSUPPORTED',
      );
      expectOutcome(
        await request(t.app).post('/fhir/Patient').set('Content-Type', type).send('a=b'),
        415,
        'CONTENT_TYPE_UNSUPPORTED',
      );
    }
    const provenance = await request(t.app).get('/fhir/Provenance?_summary=count');
    expect(provenance.body.total).toBe(0);
    // A search form is fine: it changes nothing.
    expect(
      (
        await request(t.app)
          .post('/fhir/Patient/_search')
          .set('Content-Type', 'application/x-www-form-urlencoded')
          .send('_count=1')
      ).status,
    ).toBe(200);
  });
});

describe("errors of Node's HTTP parser (real server on 127.0.0.1)", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = t.app.listen(0, '127.0.0.1');
    server.on('clientError', onClientError);
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  function raw(text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(text));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
  }
  const bodyOf = (response: string) =>
    JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as {
      resourceType: string;
      issue: Array<{ details: { coding: Array<{ code: string }> } }>;
    };

  test('when the headers or the URL are oversized, then 431 REQUEST_HEADERS_TOO_LARGE as an OperationOutcome', async () => {
    const headers = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(headers.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(bodyOf(headers).issue[0].details.coding[0].code).toBe('REQUEST_HEADERS_TOO_LARGE');
    const url = await raw(`GET /fhir/Patient?name=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(url.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(bodyOf(url).resourceType).toBe('OperationOutcome');
  });

  test('when the method is unknown or the request line is garbage, then 400 with METHOD_UNKNOWN / REQUEST_MALFORMED, and the server keeps answering', async () => {
    const method = await raw('FROBNICATE /fhir/Patient HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(method.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(bodyOf(method).issue[0].details.coding[0].code).toBe('METHOD_UNKNOWN');
    const garbage = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nNot a header line\r\n\r\n');
    expect(garbage.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(bodyOf(garbage).issue[0].details.coding[0].code).toBe('REQUEST_MALFORMED');
    expect((await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).split('\r\n')[0]).toBe(
      'HTTP/1.1 200 OK',
    );
  });
});
