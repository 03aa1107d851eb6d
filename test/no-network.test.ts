/** The outbound-network guard of test/helpers/no-network.ts: blocks, records, and lets loopback through. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('when a test connects outside loopback, then the connection is refused at once and recorded with the test name', () => {
  const shared = process.env.GDHCN_NO_NETWORK_LOG;
  expect(shared).toBeDefined();
  // Recorded into a private file, so this deliberate attempt does not fail the run in global-teardown.ts.
  const own = join(mkdtempSync(join(tmpdir(), 'no-network-')), 'attempts.log');
  writeFileSync(own, '');
  process.env.GDHCN_NO_NETWORK_LOG = own;
  try {
    expect(() => net.connect(443, '192.0.2.10')).toThrow('Outbound network is blocked in tests (tried 192.0.2.10)');
    expect(() => net.connect({ host: 'example.org', port: 80 })).toThrow('(tried example.org)');
  } finally {
    process.env.GDHCN_NO_NETWORK_LOG = shared;
  }
  const lines = readFileSync(own, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^192\.0\.2\.10 from .*no-network\.test\.ts \(when a test connects outside loopback/);
  expect(lines[1]).toMatch(/^example\.org from /);
});

test('when a test connects to 127.0.0.1, then it goes through and nothing is recorded', async () => {
  const before = readFileSync(process.env.GDHCN_NO_NETWORK_LOG!, 'utf8');
  const server = createServer((s) => s.end('hi'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  const text = await new Promise<string>((done, fail) => {
    let got = '';
    const socket = net.connect(port, '127.0.0.1');
    socket.on('data', (b) => {
      got += b.toString();
    });
    socket.on('end', () => done(got));
    socket.on('error', fail);
  });
  await new Promise<void>((r) => server.close(() => r()));
  expect(text).toBe('hi');
  expect(readFileSync(process.env.GDHCN_NO_NETWORK_LOG!, 'utf8')).toBe(before);
});
