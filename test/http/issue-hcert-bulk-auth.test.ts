/** `$issue-hcert-bulk` under access control: its scope is needed for kick-off, status and cancel, and a job is its client's only. */
import request from 'supertest';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { OPERATION_SCOPES } from '../../src/auth/operation-scopes.ts';

let t: AuthTestApp;
let owner: string;
let other: string;
let unscoped: string;
const SCOPE = OPERATION_SCOPES.issueHcertBulk;

beforeAll(async () => {
  t = await createAuthTestApp();
  owner = await (await t.registerClient('bulk-owner', [SCOPE])).token(SCOPE);
  other = await (await t.registerClient('bulk-other', [SCOPE])).token(SCOPE);
  const single = OPERATION_SCOPES.issueHcert;
  unscoped = await (await t.registerClient('single-issuer', [single])).token(single);
});
afterAll(() => t.close());

const kickOff = (token?: string) => {
  const r = request(t.app)
    .post('/fhir/$issue-hcert-bulk')
    .set('Content-Type', FHIR_JSON)
    .set('Prefer', 'respond-async');
  return (token ? r.set('Authorization', `Bearer ${token}`) : r).send('{"resourceType":"Parameters"}');
};

test('kick-off needs the scope: 401 without a token, 403 naming it with another scope', async () => {
  expect((await kickOff()).status).toBe(401);
  const refused = await kickOff(unscoped);
  expect([refused.status, refused.body.issue[0].details.text]).toEqual([
    403,
    `The token's scopes do not allow this request; it needs ${SCOPE}`,
  ]);
});

test('only the client that started a job reads or cancels it', async () => {
  const kicked = await kickOff(owner);
  expect(kicked.status).toBe(202);
  const path = new URL(kicked.headers['content-location'] as string);
  const at = `${path.pathname}${path.search}`;
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  expect((await request(t.app).get(at).set(as(other))).status).toBe(404);
  expect((await request(t.app).delete(at).set(as(other))).status).toBe(404);
  expect((await request(t.app).get(at).set(as(unscoped))).status).toBe(403);
  const own = await request(t.app).get(at).set(as(owner));
  expect([200, 202]).toContain(own.status);
  expect((await request(t.app).delete(at).set(as(owner))).status).toBe(202);
});
