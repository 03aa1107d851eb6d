/**
 * Keys fetched from elsewhere, against a double of a key server on 127.0.0.1: an external authorization server's JWKS
 * (cached, re-fetched on an unknown kid), a client registered by `jwksUri`, and JWKS URLs the guarded fetch refuses
 * (private address, redirect).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import request from 'supertest';
import { createAuthTestApp, makeClientKeys, ASSERTION_TYPE, type AuthTestApp } from '../helpers/auth-app.ts';

const ISSUER = 'https://iam.example.test/realms/health';
let server: Server;
let origin: string;
let served: { keys: Record<string, unknown>[] } = { keys: [] };
let jwksHits = 0;
let t: AuthTestApp;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/redirect') {
      res.writeHead(302, { Location: `${origin}/jwks` }).end();
      return;
    }
    jwksHits++;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(served));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await createAuthTestApp(
    { authExternalIssuer: ISSUER, authExternalJwksUrl: `${origin}/jwks`, authJwksAllow: [`${origin}/`] },
    { jwksMinRefreshMs: 0 },
  );
});
afterAll(async () => {
  await t.close();
  await new Promise((r) => server.close(r));
});

async function externalToken(keys: Awaited<ReturnType<typeof makeClientKeys>>, claims: Record<string, unknown> = {}) {
  return new SignJWT({ scope: 'system/Patient.rs', azp: 'keycloak-client', ...claims })
    .setProtectedHeader({ alg: 'ES384', kid: keys.kid })
    .setIssuer(ISSUER)
    .setAudience(t.services.config.fhirBaseUrl)
    .setSubject('service-account')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(keys.privateKey);
}

describe('external authorization server (JWKS double on 127.0.0.1)', () => {
  test('when a token of the configured issuer is sent, then its scopes apply, and a rotated key is fetched on its unknown kid', async () => {
    const first = await makeClientKeys('ES384');
    served = { keys: [first.publicJwk] };
    const ok = await request(t.app)
      .get('/fhir/Patient')
      .set('Authorization', `Bearer ${await externalToken(first)}`);
    expect(ok.status).toBe(200);
    const denied = await request(t.app)
      .get('/fhir/Immunization')
      .set('Authorization', `Bearer ${await externalToken(first)}`);
    expect(denied.status).toBe(403);

    const hitsBefore = jwksHits;
    const rotated = await makeClientKeys('ES384');
    served = { keys: [first.publicJwk, rotated.publicJwk] };
    const after = await request(t.app)
      .get('/fhir/Patient')
      .set('Authorization', `Bearer ${await externalToken(rotated)}`);
    expect(after.status).toBe(200);
    expect(jwksHits).toBe(hitsBefore + 1);
    // Cached: a known kid costs no fetch.
    await request(t.app)
      .get('/fhir/Patient')
      .set('Authorization', `Bearer ${await externalToken(first, { jti: 'another' })}`);
    expect(jwksHits).toBe(hitsBefore + 1);
  });

  test('when the external token has the wrong audience, then 401', async () => {
    const keys = await makeClientKeys('ES384');
    served = { keys: [keys.publicJwk] };
    const token = await new SignJWT({ scope: 'system/Patient.rs' })
      .setProtectedHeader({ alg: 'ES384', kid: keys.kid })
      .setIssuer(ISSUER)
      .setAudience('https://other.example')
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(keys.privateKey);
    const res = await request(t.app).get('/fhir/Patient').set('Authorization', `Bearer ${token}`);
    expect([res.status, res.body.issue[0].details.coding[0].code]).toEqual([401, 'AUTH_TOKEN_INVALID']);
  });

  test('when the kid is in no JWKS the server can fetch, then 401 and the server stays up', async () => {
    served = { keys: [] };
    const stray = await makeClientKeys('ES384');
    const res = await request(t.app)
      .get('/fhir/Patient')
      .set('Authorization', `Bearer ${await externalToken(stray)}`);
    expect(res.status).toBe(401);
    expect((await request(t.app).get('/fhir/metadata')).status).toBe(200);
  });
});

describe('clients registered by jwksUri', () => {
  const tokenRequest = async (clientId: string, keys: Awaited<ReturnType<typeof makeClientKeys>>) =>
    request(t.app)
      .post('/auth/token')
      .type('form')
      .send({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        scope: 'system/Patient.rs',
        client_assertion: await new SignJWT({ jti: crypto.randomUUID() })
          .setProtectedHeader({ alg: 'ES384', kid: keys.kid })
          .setIssuer(clientId)
          .setSubject(clientId)
          .setAudience(t.tokenUrl)
          .setExpirationTime('4m')
          .sign(keys.privateKey),
      });

  test('when the client keys are served at an allow-listed jwksUri, then it gets a token', async () => {
    const keys = await makeClientKeys('ES384');
    served = { keys: [keys.publicJwk] };
    t.services.auth.clients.put({
      id: 'by-uri',
      name: 'by uri',
      jwksUri: `${origin}/client-jwks`,
      scopes: ['system/Patient.rs'],
      enabled: true,
    });
    const res = await tokenRequest('by-uri', keys);
    expect([res.status, res.body.scope]).toEqual([200, 'system/Patient.rs']);
  });

  test('when the jwksUri points at a private address, then invalid_client and nothing is fetched', async () => {
    const keys = await makeClientKeys('ES384');
    t.services.auth.clients.put({
      id: 'private-uri',
      name: 'p',
      jwksUri: 'http://10.0.0.7/jwks',
      scopes: ['system/Patient.rs'],
      enabled: true,
    });
    const res = await tokenRequest('private-uri', keys);
    expect([res.status, res.body.error]).toEqual([401, 'invalid_client']);
    expect(res.body.error_description).toBe(
      "the client's JWKS could not be read: JWKS fetch refused: http://10.0.0.7/jwks is not https (only an http: prefix on AUTH_JWKS_ALLOW permits http)",
    );
  });

  test('when the jwksUri redirects, then invalid_client and the redirect is not followed', async () => {
    const keys = await makeClientKeys('ES384');
    served = { keys: [keys.publicJwk] };
    t.services.auth.clients.put({
      id: 'redirecting',
      name: 'r',
      jwksUri: `${origin}/redirect`,
      scopes: ['system/Patient.rs'],
      enabled: true,
    });
    const hits = jwksHits;
    const res = await tokenRequest('redirecting', keys);
    expect([res.status, res.body.error]).toEqual([401, 'invalid_client']);
    expect(res.body.error_description).toMatch(/answered a redirect \(HTTP 302\), which is not followed/);
    expect(jwksHits).toBe(hits);
  });
});
