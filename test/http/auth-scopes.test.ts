/**
 * Authorization with real tokens: SMART v2 scopes on every interaction (batch and transaction entries too), operation
 * scopes, security records that plain FHIR writes cannot touch, link secrets that never leave, bad Authorization
 * headers and tokens, and the per-address budget of the public endpoints.
 */
import { generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { revocationEntryId, revokeCredential } from '../../src/credentials/revocation.ts';
import { newLinkRecord, recordIdOf } from '../../src/credentials/shl-link-record.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { FHIR_JSON, immunization, patient } from '../helpers/test-app.ts';

let t: AuthTestApp;
let reader: string;
let admin: string;

beforeAll(async () => {
  t = await createAuthTestApp({ validationMode: 'off' });
  reader = await (await t.registerClient('reader', ['system/Patient.rs'])).token('system/Patient.rs');
  admin = await t.tokenFor('system/*.cruds system/AuditEvent.cruds system/$revoke-credential');
});
afterAll(() => t.close());

const code = (res: request.Response) => res.body.issue?.[0]?.details?.coding?.[0]?.code;
const as = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': FHIR_JSON });

describe('scopes', () => {
  test('when there is no token, then 401 with WWW-Authenticate: Bearer and an OperationOutcome naming the scope', async () => {
    const res = await request(t.app).get('/fhir/Patient');
    expect([res.status, res.headers['www-authenticate'], code(res)]).toEqual([
      401,
      'Bearer realm="gdhcn-gateway"',
      'AUTH_TOKEN_MISSING',
    ]);
    expect(res.body.issue[0].details.text).toMatch(/needs a bearer token with scope system\/Patient\.s/);
  });

  test('when a read-only token writes, then 403 naming system/Patient.c, and nothing is stored', async () => {
    const res = await request(t.app).post('/fhir/Patient').set(as(reader)).send(patient());
    expect([res.status, code(res), res.body.issue[0].details.text]).toEqual([
      403,
      'AUTH_SCOPE_MISSING',
      "The token's scopes do not allow this request; it needs system/Patient.c",
    ]);
    expect(
      (await request(t.app).get('/fhir/Patient').set(as(reader))).body.total ??
        (await request(t.app).get('/fhir/Patient').set(as(reader))).body.entry?.length ??
        0,
    ).toBe(0);
  });

  test('when a read-only token reads and searches its type, then it is answered', async () => {
    const created = await request(t.app).post('/fhir/Patient').set(as(admin)).send(patient());
    expect(created.status).toBe(201);
    expect((await request(t.app).get(`/fhir/Patient/${created.body.id}`).set(as(reader))).status).toBe(200);
    expect((await request(t.app).get('/fhir/Immunization').set(as(reader))).status).toBe(403);
  });

  test('when a batch mixes an allowed read and a forbidden create, then each entry is answered by its own scope', async () => {
    const res = await request(t.app)
      .post('/fhir')
      .set(as(reader))
      .send({
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: 'Patient' } },
          { request: { method: 'POST', url: 'Immunization' }, resource: immunization() },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['200 OK', '403']);
    expect(res.body.entry[1].response.outcome.issue[0].details.text).toMatch(/needs system\/Immunization\.c/);
  });

  test('when a transaction holds a create the token may not do, then 403 and nothing of it is stored', async () => {
    const before = (await request(t.app).get('/fhir/Patient?_summary=count').set(as(admin))).body.total;
    const res = await request(t.app)
      .post('/fhir')
      .set(as(reader))
      .send({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'POST', url: 'Patient' }, resource: patient() }],
      });
    expect([res.status, code(res)]).toEqual([403, 'AUTH_SCOPE_MISSING']);
    expect((await request(t.app).get('/fhir/Patient?_summary=count').set(as(admin))).body.total).toBe(before);
  });

  test('when a token with system/*.cruds asks for $issue-hcert, then 403 naming the operation scope', async () => {
    const res = await request(t.app)
      .post('/fhir/Immunization/x/$issue-hcert')
      .set(as(admin))
      .send({ resourceType: 'Parameters' });
    expect([res.status, res.body.issue[0].details.text]).toEqual([
      403,
      "The token's scopes do not allow this request; it needs system/Immunization.$issue-hcert",
    ]);
  });

  test('when $verify and metadata are called without a token, then they answer', async () => {
    expect((await request(t.app).get('/fhir/metadata')).status).toBe(200);
    const v = await request(t.app)
      .post('/fhir/$verify')
      .set('Content-Type', FHIR_JSON)
      .send({ resourceType: 'Parameters', parameter: [{ name: 'credential', valueString: 'HC1:nonsense' }] });
    expect(v.status).not.toBe(401);
  });
});

describe('bad Authorization headers and tokens', () => {
  test.each([
    ['a Basic header', 'Basic dXNlcjpwYXNz', 'AUTH_HEADER_MALFORMED', 400],
    ['Bearer without a token', 'Bearer ', 'AUTH_HEADER_MALFORMED', 400],
    ['a token with spaces', 'Bearer a b c', 'AUTH_HEADER_MALFORMED', 400],
    ['a token that is not a JWT', 'Bearer abc.def', 'AUTH_TOKEN_INVALID', 401],
  ])(
    'when the header is %s, then it is refused with a clear message id and the server stays up',
    async (_what, header, id, status) => {
      const res = await request(t.app).get('/fhir/Patient').set('Authorization', header);
      expect([res.status, code(res)]).toEqual([status, id]);
      expect((await request(t.app).get('/fhir/Patient').set(as(reader))).status).toBe(200);
    },
  );

  test('when the Authorization header is sent twice, then 400 AUTH_HEADER_MALFORMED', async () => {
    const { createServer } = await import('node:http');
    const { connect } = await import('node:net');
    const server = createServer(t.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `GET /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${reader}\r\nAuthorization: Bearer ${admin}\r\nConnection: close\r\n\r\n`,
        );
      });
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    await new Promise((r) => server.close(r));
    const status = [Number(raw.split(' ')[1]), /"code":"(AUTH_[A-Z_]+)"/.exec(raw)?.[1]];
    expect(status).toEqual([400, 'AUTH_HEADER_MALFORMED']);
  });

  test('when a token is signed by another server with our issuer name, then 401 AUTH_TOKEN_INVALID', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ scope: 'system/*.cruds', client_id: 'reader' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(t.services.config.issuerUrl)
      .setAudience(t.services.config.fhirBaseUrl)
      .setSubject('reader')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const res = await request(t.app).get('/fhir/Immunization').set('Authorization', `Bearer ${forged}`);
    expect([res.status, code(res), res.headers['www-authenticate']]).toEqual([
      401,
      'AUTH_TOKEN_INVALID',
      'Bearer error="invalid_token"',
    ]);
  });

  test('when a token carries scopes its client was never allowed, then 401 AUTH_TOKEN_INVALID', async () => {
    const client = t.services.auth.clients.get('reader')!;
    const token = await t.services.auth.tokens.mint(client, ['system/Patient.rs', 'system/*.cruds']);
    const res = await request(t.app).delete('/fhir/Patient/p1').set('Authorization', `Bearer ${token}`);
    expect([res.status, res.body.issue[0].details.text]).toEqual([
      401,
      'The bearer token is refused: the bearer token carries scopes this client is not allowed',
    ]);
  });
});

describe('security records', () => {
  test('when a revocation entry is deleted, updated or re-created through plain FHIR with every scope, then 403 and it stays', async () => {
    const { entry } = await revokeCredential(t.services.store, {
      credentialId: 'URN:UVCI:01:XX:TEST1',
      requester: 'test',
      now: new Date(),
    });
    const tries = [
      request(t.app).delete(`/fhir/Basic/${entry.id}`).set(as(admin)),
      request(t.app)
        .put(`/fhir/Basic/${entry.id}`)
        .set(as(admin))
        .send({ ...entry, code: { text: 'x' } }),
      request(t.app)
        .put(`/fhir/Basic/${revocationEntryId('URN:UVCI:01:XX:OTHER')}`)
        .set(as(admin))
        .send({ resourceType: 'Basic', id: revocationEntryId('URN:UVCI:01:XX:OTHER'), code: { text: 'x' } }),
      request(t.app)
        .post('/fhir/Basic')
        .set(as(admin))
        .send({ ...entry, id: undefined }),
    ];
    for (const res of await Promise.all(tries))
      expect([res.status, code(res)]).toEqual([403, 'SECURITY_RECORD_READ_ONLY']);
    expect((await t.services.store.read('Basic', entry.id!)).status).toBe('found');
  });

  test('when a transaction deletes a revocation entry, then the whole transaction is refused', async () => {
    const { entry } = await revokeCredential(t.services.store, {
      credentialId: 'URN:UVCI:01:XX:TEST2',
      requester: 'test',
      now: new Date(),
    });
    const res = await request(t.app)
      .post('/fhir')
      .set(as(admin))
      .send({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ request: { method: 'DELETE', url: `Basic/${entry.id}` } }],
      });
    expect([res.status, code(res)]).toEqual([403, 'SECURITY_RECORD_READ_ONLY']);
    expect((await t.services.store.read('Basic', entry.id!)).status).toBe('found');
  });

  test.each(['Provenance', 'AuditEvent'])(
    'when a %s is created, updated or deleted through plain FHIR, then 403',
    async (type) => {
      const body = { resourceType: type, id: 'x1' };
      for (const res of [
        await request(t.app).post(`/fhir/${type}`).set(as(admin)).send(body),
        await request(t.app).put(`/fhir/${type}/x1`).set(as(admin)).send(body),
        await request(t.app).delete(`/fhir/${type}/x1`).set(as(admin)),
      ])
        expect([res.status, code(res)]).toEqual([403, 'SECURITY_RECORD_READ_ONLY']);
    },
  );

  test('when a link record is read, searched or put, then its passcode hash and tickets never show and the PUT is refused', async () => {
    const recordId = recordIdOf('link-id-for-test');
    const doc = newLinkRecord({
      recordId,
      flag: 'P',
      passcodeHash: 'scrypt$secret-hash',
      maxAttempts: 5,
      contentType: 'application/fhir+json',
      jwe: 'a.b.c.d.e',
      now: new Date(),
    });
    await t.services.store.update(doc);
    const read = await request(t.app).get(`/fhir/DocumentReference/${recordId}`).set(as(admin));
    const search = await request(t.app).get('/fhir/DocumentReference').set(as(admin));
    const history = await request(t.app).get(`/fhir/DocumentReference/${recordId}/_history`).set(as(admin));
    for (const res of [read, search, history]) {
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toMatch(/passcodeHash|secret-hash/);
    }
    expect(JSON.stringify(read.body)).toMatch(/attemptsRemaining/);
    const put = await request(t.app)
      .put(`/fhir/DocumentReference/${recordId}`)
      .set(as(admin))
      .send({ ...read.body, status: 'current' });
    expect([put.status, code(put)]).toEqual([403, 'SECURITY_RECORD_READ_ONLY']);
  });
});

describe('public endpoint budget (a double of a busy client on one address)', () => {
  test('when one address passes PUBLIC_RATE_LIMIT per minute, then 429 with Retry-After, on /fhir and on public mounts', async () => {
    const limited = await createAuthTestApp({ publicRateLimit: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await request(limited.app).get('/fhir/metadata')).status);
      const over = await request(limited.app).get('/trust/status');
      expect(statuses).toEqual([200, 200, 200]);
      expect([over.status, code(over), Number(over.headers['retry-after']) > 0]).toEqual([429, 'RATE_LIMITED', true]);
      const fhir = await request(limited.app).get('/fhir/metadata');
      expect([fhir.status, Number(fhir.headers['retry-after']) > 0]).toEqual([429, true]);
    } finally {
      await limited.close();
    }
  });
});
