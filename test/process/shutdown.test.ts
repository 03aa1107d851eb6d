/**
 * Graceful shutdown of the real server process: on SIGTERM it stops accepting, lets the request in flight finish,
 * closes the store and exits 0. Process start-up takes seconds on a busy machine, hence the generous test timeouts.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { startServer, type ServerProcess } from './server-process.ts';

let server: ServerProcess | undefined;
afterEach(() => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
});

test('when SIGTERM arrives during a request, then that request completes, new connections are refused, and the process exits 0', async () => {
  server = await startServer();
  const { base } = server;
  const bearer = `Bearer ${await server.token()}`;
  const body = JSON.stringify({ resourceType: 'Patient', id: 'in-flight', active: true });
  const half = Math.floor(body.length / 2);

  // A write whose body is only half sent: in flight until the rest arrives.
  let inFlight: ClientRequest | undefined;
  const answer = new Promise<{ status: number; body: string }>((done, fail) => {
    const req = httpRequest(
      `${base}/fhir/Patient/in-flight`,
      {
        method: 'PUT',
        headers: {
          Authorization: bearer,
          'Content-Type': 'application/fhir+json',
          'Content-Length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', fail);
    req.write(body.slice(0, half));
    inFlight = req;
  });
  // Another request answered proves the server has read the first one's headers by now (one event loop, in order).
  expect((await fetch(`${base}/healthz`)).status).toBe(200);

  server.child.kill('SIGTERM');
  await server.waitForLog(/"msg":"shutting down/);
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();

  inFlight!.end(body.slice(half));
  const res = await answer;
  expect(res.status).toBe(201);
  expect(JSON.parse(res.body)).toMatchObject({ resourceType: 'Patient', id: 'in-flight' });

  expect(await server.exited).toBe(0);
  expect(server.log()).toMatch(/"msg":"stopped"/);
}, 120_000);

test('when a request outlasts SHUTDOWN_TIMEOUT, then its connection is cut and the process still exits 0', async () => {
  server = await startServer({ SHUTDOWN_TIMEOUT: '1s' });
  const { base } = server;
  const bearer = `Bearer ${await server.token()}`;
  const cut = new Promise<string>((done) => {
    const req = httpRequest(
      `${base}/fhir/Patient/stuck`,
      {
        method: 'PUT',
        headers: { Authorization: bearer, 'Content-Type': 'application/fhir+json', 'Content-Length': '1000' },
      },
      () => done('answered'),
    );
    req.on('error', (err) => done(`cut: ${(err as NodeJS.ErrnoException).code}`));
    req.write('{"resourceType":"Patient"');
  });
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  expect(await cut).toMatch(/^cut: /);
  expect(server.log()).toMatch(/in-flight requests still running at the deadline/);
}, 120_000);
