/**
 * POST /auth/token (SMART Backend Services) with real signed client assertions, and the hostile ones: each gets a
 * clear OAuth error, no token, and the server keeps answering.
 */
import { generateKeyPair, SignJWT, base64url } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { openClientRegistry } from '../../src/auth/clients.ts';
import {
  createAuthTestApp,
  makeClientKeys,
  ASSERTION_TYPE,
  type AuthTestApp,
  type TestClient,
} from '../helpers/auth-app.ts';

let t: AuthTestApp;
let client: TestClient;
const nowS = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  t = await createAuthTestApp();
  client = await t.registerClient('his-1', [
    'system/Immunization.cruds',
    'system/Patient.rs',
    'system/Immunization.$issue-hcert',
  ]);
});
afterAll(() => t.close());

const ask = (assertion: string, scope = 'system/Immunization.rs') =>
  request(t.app).post('/auth/token').type('form').send({
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: assertion,
    scope,
  });

async function expectRefused(res: request.Response, error: string, description: RegExp): Promise<void> {
  expect({ status: res.status, error: res.body.error, token: res.body.access_token }).toEqual({
    status: error === 'invalid_client' ? 401 : 400,
    error,
    token: undefined,
  });
  expect(res.body.error_description).toMatch(description);
  // Still up, and still minting for a good assertion.
  expect((await ask(await client.assertion())).status).toBe(200);
}

describe('token endpoint', () => {
  test.each(['ES384', 'ES256', 'RS384'] as const)(
    'when a client signs its assertion with %s, then it gets a bearer token with the granted scopes',
    async (alg) => {
      const c = await t.registerClient(`alg-${alg}`, ['system/Immunization.rs'], { alg });
      const res = await request(t.app)
        .post('/auth/token')
        .type('form')
        .send({
          grant_type: 'client_credentials',
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await c.assertion(),
          scope: 'system/Immunization.rs',
        });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect({ ...res.body, access_token: typeof res.body.access_token }).toEqual({
        access_token: 'string',
        token_type: 'bearer',
        expires_in: 300,
        scope: 'system/Immunization.rs',
      });
    },
  );

  test('when a client asks for more than it is allowed, then the granted scope is the intersection', async () => {
    const res = await ask(
      await client.assertion(),
      'system/*.cruds system/Immunization.$issue-hcert system/$install-package system/Observation.read',
    );
    expect(res.status).toBe(200);
    expect(res.body.scope.split(' ').sort()).toEqual([
      'system/Immunization.$issue-hcert',
      'system/Immunization.cruds',
      'system/Patient.rs',
    ]);
  });

  test('when v1 scopes are asked, then they are mapped to v2 letters', async () => {
    const res = await ask(await client.assertion(), 'system/Immunization.read system/Patient.write');
    expect(res.body.scope).toBe('system/Immunization.rs');
  });

  test('when no requested scope is allowed, then invalid_scope', async () => {
    await expectRefused(
      await ask(await client.assertion(), 'system/Observation.cruds'),
      'invalid_scope',
      /none of the requested scopes/,
    );
  });

  test('when grant_type is not client_credentials, then unsupported_grant_type', async () => {
    const res = await request(t.app)
      .post('/auth/token')
      .type('form')
      .send({
        grant_type: 'password',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await client.assertion(),
        scope: 'system/Immunization.rs',
      });
    await expectRefused(res, 'unsupported_grant_type', /client_credentials/);
  });

  test.each([
    ['at the host root', '/.well-known/smart-configuration'],
    ['under the FHIR base, where SMART App Launch puts discovery', '/fhir/.well-known/smart-configuration'],
  ])(
    'when the smart-configuration is read %s without a token, then it names the token endpoint, private_key_jwt and the algorithms',
    async (_where, path) => {
      const res = await request(t.app).get(path);
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.body).toEqual((await request(t.app).get('/.well-known/smart-configuration')).body);
      expect(res.body).toMatchObject({
        token_endpoint: t.tokenUrl,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384', 'ES256'],
        grant_types_supported: ['client_credentials'],
      });
      expect(res.body.scopes_supported).toContain('system/Immunization.$issue-hcert');
    },
  );

  test('when the CapabilityStatement is read, then rest.security names SMART-on-FHIR and the token URL', async () => {
    const res = await request(t.app).get('/fhir/metadata');
    const sec = res.body.rest[0].security;
    expect(sec.service[0].coding[0].code).toBe('SMART-on-FHIR');
    expect(sec.extension[0].extension).toEqual([{ url: 'token', valueUri: t.tokenUrl }]);
  });
});

describe('hostile assertions', () => {
  test('when the assertion has alg none, then invalid_client', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const body = base64url.encode(
      JSON.stringify({ iss: 'his-1', sub: 'his-1', aud: t.tokenUrl, exp: nowS() + 60, jti: 'x1' }),
    );
    await expectRefused(await ask(`${header}.${body}.`), 'invalid_client', /alg none is not accepted/);
  });

  test('when the assertion is HS256 signed with the public key as the secret, then invalid_client', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(client.publicJwk));
    const jwt = await new SignJWT({ jti: 'hs-1' })
      .setProtectedHeader({ alg: 'HS256', kid: client.kid })
      .setIssuer('his-1')
      .setSubject('his-1')
      .setAudience(t.tokenUrl)
      .setExpirationTime(nowS() + 60)
      .sign(secret);
    await expectRefused(await ask(jwt), 'invalid_client', /alg HS256 is not accepted/);
  });

  test('when aud is not the token URL, then invalid_client', async () => {
    await expectRefused(
      await ask(await client.assertion({ aud: 'https://elsewhere.example/token' })),
      'invalid_client',
      /claim aud is not valid/,
    );
  });

  test('when the assertion has expired, then invalid_client', async () => {
    await expectRefused(await ask(await client.assertion({ exp: nowS() - 60 })), 'invalid_client', /has expired/);
  });

  test('when exp is an hour ahead, then invalid_client', async () => {
    await expectRefused(
      await ask(await client.assertion({ exp: nowS() + 3600 })),
      'invalid_client',
      /more than 300 seconds ahead/,
    );
  });

  test('when a jti is replayed, then the second use is invalid_client', async () => {
    const a = await client.assertion({ jti: 'once-only' });
    expect((await ask(a)).status).toBe(200);
    await expectRefused(await ask(a), 'invalid_client', /jti was already used/);
  });

  test('when the client is unknown, then invalid_client', async () => {
    await expectRefused(
      await ask(await client.assertion({ iss: 'nobody', sub: 'nobody' })),
      'invalid_client',
      /unknown client/,
    );
  });

  test('when iss and sub differ, then invalid_client', async () => {
    await expectRefused(await ask(await client.assertion({ sub: 'someone-else' })), 'invalid_client', /iss and sub/);
  });

  test('when the client is disabled, then invalid_client, and its existing token stops working on the next request', async () => {
    const c = await t.registerClient('to-disable', ['system/Patient.rs']);
    const token = await c.token('system/Patient.rs');
    expect((await request(t.app).get('/fhir/Patient').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect(t.services.auth.clients.disable('to-disable')).toBe(true);
    await expectRefused(await ask(await c.assertion(), 'system/Patient.rs'), 'invalid_client', /disabled/);
    const after = await request(t.app).get('/fhir/Patient').set('Authorization', `Bearer ${token}`);
    expect([after.status, after.body.issue[0].details.coding[0].code]).toEqual([401, 'AUTH_TOKEN_INVALID']);
  });

  test('when another process disables the client (the CLI rewrites the file), then its token is refused on the next request', async () => {
    const c = await t.registerClient('cli-disabled', ['system/Patient.rs']);
    const token = await c.token('system/Patient.rs');
    const read = () => request(t.app).get('/fhir/Patient').set('Authorization', `Bearer ${token}`);
    expect((await read()).status).toBe(200);
    // A registry of its own on the same file, as `gdhcn-gateway clients disable` opens: the server's watched
    // registry learns of the change from the file system, not from this object.
    const cli = openClientRegistry({ path: t.services.auth.clients.path });
    expect(cli.disable('cli-disabled')).toBe(true);
    const after = await read();
    expect([after.status, after.body.issue[0].details.coding[0].code]).toEqual([401, 'AUTH_TOKEN_INVALID']);
  });

  test('when an operator edits the clients file in Git (AUTH_CLIENTS_FILE), then a client disabled there is refused on its next request, and served again once re-enabled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clients-file-'));
    const file = join(dir, 'clients.json');
    const { publicJwk } = await makeClientKeys();
    const entry = { id: 'git-1', name: 'from git', jwks: { keys: [publicJwk] }, scopes: ['system/Patient.rs'] };
    writeFileSync(file, JSON.stringify({ clients: [{ ...entry, enabled: true }] }));
    const app = await createAuthTestApp({ authClientsFile: file });
    try {
      const services = app.services;
      const token = await services.auth.tokens.mint(services.auth.clients.get('git-1')!, ['system/Patient.rs']);
      const read = () => request(app.app).get('/fhir/Patient').set('Authorization', `Bearer ${token}`);
      expect((await read()).status).toBe(200);
      writeFileSync(file, JSON.stringify({ clients: [{ ...entry, enabled: false }] })); // edited in place
      expect((await read()).status).toBe(401);
      writeFileSync(file, JSON.stringify({ clients: [{ ...entry, enabled: true }] })); // re-enabled in Git
      expect((await read()).status).toBe(200);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('when the kid is not in the client JWKS, then invalid_client', async () => {
    await expectRefused(
      await ask(await client.assertion({}, { kid: 'not-a-known-kid' })),
      'invalid_client',
      /no key of this client matches/,
    );
  });

  test('when the assertion is signed by another key under the client kid, then invalid_client', async () => {
    const { privateKey } = await generateKeyPair('ES384');
    const jwt = await new SignJWT({ jti: 'forged-1' })
      .setProtectedHeader({ alg: 'ES384', kid: client.kid })
      .setIssuer('his-1')
      .setSubject('his-1')
      .setAudience(t.tokenUrl)
      .setExpirationTime(nowS() + 60)
      .sign(privateKey);
    await expectRefused(await ask(jwt), 'invalid_client', /signature does not verify/);
  });

  test('when a 10 MB assertion is sent, then the body is refused before it is parsed', async () => {
    const res = await ask(`${'a'.repeat(10 * 1024 * 1024)}.b.c`);
    expect([res.status, res.body.error]).toEqual([413, 'invalid_request']);
    expect((await ask(await client.assertion())).status).toBe(200);
  });

  test('when an assertion just over the size cap fits the body limit, then invalid_client', async () => {
    await expectRefused(await ask(`${'a'.repeat(20_000)}.b.c`), 'invalid_client', /larger than 16384 characters/);
  });

  test('when the assertion is not a JWT, then invalid_client', async () => {
    await expectRefused(await ask('not-a-jwt'), 'invalid_client', /not a signed JWT/);
  });
});
