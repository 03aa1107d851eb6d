/**
 * The audit trail: an AuditEvent for every write (in the write's transaction), read, search, token grant and refused
 * request, searchable by date, agent, entity, action, outcome and subtype with system/AuditEvent.rs only.
 */
import request from 'supertest';
import { openClientRegistry } from '../../src/auth/clients.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { FHIR_JSON, immunization, patient } from '../helpers/test-app.ts';

let t: AuthTestApp;
let writer: string;
let auditor: string;

beforeAll(async () => {
  t = await createAuthTestApp({ validationMode: 'off' });
  writer = await (await t.registerClient('his-7', ['system/Patient.cruds'])).token('system/Patient.cruds');
  auditor = await (await t.registerClient('auditor', ['system/AuditEvent.rs', 'system/*.rs'])).token(
    'system/AuditEvent.rs system/*.rs',
  );
});
afterAll(() => t.close());

const as = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': FHIR_JSON });
type Event = {
  action: string;
  outcome: string;
  subtype: Array<{ code: string }>;
  agent: Array<{ who: { reference?: string; display?: string }; name?: string }>;
  entity?: Array<{ what: { reference?: string; identifier?: { value: string } } }>;
  outcomeDesc: string;
};

async function events(query: string): Promise<Event[]> {
  await t.services.audit.flush();
  const res = await request(t.app).get(`/fhir/AuditEvent?${query}&_count=1000`).set(as(auditor));
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: Event }) => e.resource);
}

test('when a client creates a resource, then one AuditEvent names the client, the resource, action C, outcome 0 and the request id', async () => {
  const res = await request(t.app)
    .post('/fhir/Patient')
    .set(as(writer))
    .set('X-Request-Id', 'req-create-1')
    .send(patient());
  expect(res.status).toBe(201);
  const found = await events(`entity=Patient/${res.body.id}&action=C`);
  expect(found).toHaveLength(1);
  expect(found[0]).toMatchObject({
    action: 'C',
    outcome: '0',
    subtype: [{ code: 'create' }],
    agent: [{ who: { reference: 'Device/his-7' }, name: 'his-7' }],
  });
  expect(found[0]!.entity).toEqual(
    expect.arrayContaining([
      { what: { reference: `Patient/${res.body.id}` } },
      { what: { identifier: { value: 'req-create-1' } }, type: expect.anything() },
    ]),
  );
});

test('when a client reads and searches, then each leaves an AuditEvent with action R', async () => {
  const created = await request(t.app).post('/fhir/Patient').set(as(writer)).send(patient());
  await request(t.app).get(`/fhir/Patient/${created.body.id}`).set(as(writer));
  await request(t.app).get('/fhir/Patient?family=Mustermann').set(as(writer));
  expect((await events(`entity=Patient/${created.body.id}&action=R&subtype=read`)).length).toBe(1);
  expect((await events('agent=Device/his-7&subtype=search-type')).length).toBeGreaterThanOrEqual(1);
});

test('when a request is refused (401, 403), then an AuditEvent with outcome 4 records who and why', async () => {
  await request(t.app).get('/fhir/Immunization').set('X-Request-Id', 'req-anon-1');
  await request(t.app).delete('/fhir/Patient/p1').set(as(auditor)).set('X-Request-Id', 'req-403-1');
  const refused = await events('outcome=4');
  const anon = refused.find((e) => e.entity?.some((x) => x.what.identifier?.value === 'req-anon-1'));
  const forbidden = refused.find((e) => e.entity?.some((x) => x.what.identifier?.value === 'req-403-1'));
  expect(anon).toMatchObject({
    outcomeDesc: 'HTTP 401: AUTH_TOKEN_MISSING',
    agent: [{ who: { display: expect.stringMatching(/^anonymous /) } }],
  });
  expect(forbidden).toMatchObject({
    action: 'D',
    outcomeDesc: 'HTTP 403: AUTH_SCOPE_MISSING',
    agent: [{ who: { reference: 'Device/auditor' } }],
  });
});

test('when a token is granted or refused, then each leaves an AuditEvent of subtype token', async () => {
  const c = await t.registerClient('grant-audit', ['system/Patient.rs']);
  await c.token('system/Patient.rs');
  await request(t.app)
    .post('/auth/token')
    .type('form')
    .send({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await c.assertion({ exp: 1 }),
      scope: 'system/Patient.rs',
    });
  const found = await events('agent=Device/grant-audit&subtype=token');
  expect(found.map((e) => [e.outcome, e.outcomeDesc]).sort()).toEqual([
    ['0', 'HTTP 200'],
    ['4', 'HTTP 401: invalid_client'],
  ]);
});

test('when a transaction fails after a create ran, then the create and its AuditEvent are rolled back together', async () => {
  const res = await request(t.app)
    .post('/fhir')
    .set(as(writer))
    .set('X-Request-Id', 'req-tx-fail')
    .send({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'POST', url: 'Patient' }, resource: patient({ name: [{ family: 'Rolledback' }] }) },
        // Updates run after creates: this one is refused once the Patient create has run inside the transaction.
        { request: { method: 'PUT', url: 'Immunization/x' }, resource: immunization({ id: 'x' }) },
      ],
    });
  expect(res.status).toBe(403);
  expect((await request(t.app).get('/fhir/Patient?family=Rolledback').set(as(writer))).body.entry ?? []).toEqual([]);
  const trail = (await events('outcome=0')).filter((e) =>
    e.entity?.some((x) => x.what.identifier?.value === 'req-tx-fail'),
  );
  expect(trail).toEqual([]);
});

test('when AuditEvents are searched by date, then the window is honoured', async () => {
  const today = new Date().toISOString().slice(0, 10);
  expect((await events(`date=ge${today}`)).length).toBeGreaterThan(0);
  expect(await events('date=lt2000-01-01')).toEqual([]);
});

test('when a client with system/*.rs but not system/AuditEvent.rs searches AuditEvents, then 403 naming system/AuditEvent.s', async () => {
  const reader = await (await t.registerClient('wild-reader', ['system/*.rs'])).token('system/*.rs');
  const res = await request(t.app).get('/fhir/AuditEvent').set(as(reader));
  expect([res.status, res.body.issue[0].details.text]).toEqual([
    403,
    "The token's scopes do not allow this request; it needs system/AuditEvent.s",
  ]);
});

test('when an auditor reads an AuditEvent found by search, then GET AuditEvent/<id> returns the same event', async () => {
  const created = await request(t.app).post('/fhir/Patient').set(as(writer)).send(patient());
  const [found] = await events(`entity=Patient/${created.body.id}&action=C`);
  const id = (found as Event & { id: string }).id;
  const res = await request(t.app).get(`/fhir/AuditEvent/${id}`).set(as(auditor));
  expect([res.status, res.body.id, res.body.action]).toEqual([200, id, 'C']);
});

test('when AuditEvents are searched by a parameter the audit trail does not index, then 400 AUDIT_SEARCH_UNSUPPORTED and nothing else changes', async () => {
  const res = await request(t.app).get('/fhir/AuditEvent?source=gdhcn-gateway').set(as(auditor));
  expect(res.status).toBe(400);
  expect(res.body.issue[0].details.coding[0].code).toBe('AUDIT_SEARCH_UNSUPPORTED');
  expect((await request(t.app).get('/fhir/metadata')).status).toBe(200);
});

test('when a client is disabled and re-enabled by the CLI, then each takes effect on its next request and leaves an AuditEvent naming the client', async () => {
  const c = await t.registerClient('toggled', ['system/Patient.rs']);
  const token = await c.token('system/Patient.rs');
  const read = () => request(t.app).get('/fhir/Patient').set(as(token));
  expect((await read()).status).toBe(200);
  // A registry of its own on the same file, as `gdhcn-gateway clients disable|enable` opens.
  const cli = openClientRegistry({ path: t.services.auth.clients.path });
  expect(cli.disable('toggled')).toBe(true);
  expect((await read()).status).toBe(401);
  expect(cli.enable('toggled')).toBe(true);
  expect((await read()).status).toBe(200);
  const trail = await events('entity=Device/toggled');
  expect(trail.map((e) => [e.subtype[0]?.code, e.action, e.outcome])).toEqual([
    ['client-registered', 'C', '0'],
    ['client-disabled', 'U', '0'],
    ['client-enabled', 'U', '0'],
  ]);
  expect(await events('subtype=client-enabled&entity=Device/toggled')).toHaveLength(1);
});

test('when a public endpoint answers 429 (rate limit), then an AuditEvent with outcome 4 records the address and HTTP 429', async () => {
  // The token request is public too: it takes the first of the three.
  const limited = await createAuthTestApp({ publicRateLimit: 3 });
  try {
    const reader = await (await limited.registerClient('auditor-429', ['system/AuditEvent.rs'])).token(
      'system/AuditEvent.rs',
    );
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(limited.app).get('/trust/status')).status);
    expect(statuses).toEqual([200, 200, 429]);
    await limited.services.audit.flush();
    const res = await request(limited.app).get('/fhir/AuditEvent?outcome=4&_count=100').set(as(reader));
    const refused = (res.body.entry ?? [])
      .map((e: { resource: Event }) => e.resource)
      .filter((e: Event) => e.outcomeDesc.startsWith('HTTP 429'));
    expect(refused).toHaveLength(1);
    expect(refused[0].agent[0].who.display).toMatch(/^anonymous /);
  } finally {
    await limited.close();
  }
});
