/** AUTH=off, for local experiments: everything answers, and the log says so at start and on every 1000th request. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { createTestApp } from '../helpers/test-app.ts';

test('when AUTH=off, then requests need no token and a warning is logged at start and on every 1000th request', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const t = await createTestApp({ auth: false }, { log: pino({ level: 'warn' }, sink) });
  try {
    expect(lines.filter((l) => l.includes('AUTH=off')).length).toBe(1);
    expect((await request(t.app).get('/fhir/Patient')).status).toBe(200);
    t.services.auth.offCounter.n = 998;
    await request(t.app).get('/fhir/Patient');
    await request(t.app).get('/fhir/Patient');
    const warnings = lines.filter((l) => l.includes('AUTH=off'));
    expect(warnings.length).toBe(2);
    expect(JSON.parse(warnings[1]!)).toMatchObject({ level: 40, requests: 1000 });
  } finally {
    await t.close();
  }
});
