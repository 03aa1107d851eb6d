/**
 * A client assertion's jti is claimed in the store, not in one process's memory: it is still refused after the
 * server restarts on the same database, and by a second server sharing that database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ASSERTION_TYPE, type AuthTestApp, createAuthTestApp } from '../helpers/auth-app.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An app with its store and client registry in `dataDir` (a file database, as a deployment runs). */
const onDisk = (dataDir: string): Promise<AuthTestApp> => createAuthTestApp({ dataDir }, { inMemory: false });

const ask = (t: AuthTestApp, assertion: string) =>
  request(t.app).post('/auth/token').type('form').send({
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: assertion,
    scope: 'system/Patient.rs',
  });

function expectReplayRefused(res: request.Response): void {
  expect([res.status, res.body.error, res.body.error_description, res.body.access_token]).toEqual([
    401,
    'invalid_client',
    'client_assertion jti was already used',
    undefined,
  ]);
}

test('when an assertion was used and the server restarts on the same database, then its jti is refused, and a fresh one is granted', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gdhcn-jti-'));
  dirs.push(dataDir);
  const first = await onDisk(dataDir);
  const client = await first.registerClient('his-restart', ['system/Patient.rs']);
  const assertion = await client.assertion({ jti: 'used-before-restart' });
  try {
    expect((await ask(first, assertion)).status).toBe(200);
  } finally {
    await first.close();
  }
  const second = await onDisk(dataDir);
  try {
    expectReplayRefused(await ask(second, assertion));
    expect((await ask(second, await client.assertion())).status).toBe(200);
  } finally {
    await second.close();
  }
});

test('when two servers share one database, then a jti used at one is refused at the other', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gdhcn-jti-'));
  dirs.push(dataDir);
  const a = await onDisk(dataDir);
  const b = await onDisk(dataDir);
  try {
    const client = await a.registerClient('his-shared', ['system/Patient.rs']);
    const assertion = await client.assertion();
    expect((await ask(a, assertion)).status).toBe(200);
    expectReplayRefused(await ask(b, assertion));
    expectReplayRefused(await ask(a, assertion));
  } finally {
    await a.close();
    await b.close();
  }
});
