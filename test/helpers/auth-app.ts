/**
 * An app with access control on (AUTH=on, the default) and clients registered the way an operator registers them,
 * holding real key pairs: tokens come from real signed client assertions (jose) sent through POST /auth/token.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload, type JWSHeaderParameters } from 'jose';
import request from 'supertest';
import type { Config } from '../../src/config/schema.ts';
import type { ServiceOverrides } from '../../src/services.ts';
import { tokenUrlOf } from '../../src/services-auth.ts';
import { createTestApp, type TestApp } from './test-app.ts';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface TestClient {
  id: string;
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: Record<string, unknown>;
  /** A client assertion for the token URL; claims and header can be overridden to build hostile ones. */
  assertion(claims?: JWTPayload, header?: Partial<JWSHeaderParameters>): Promise<string>;
  /** A bearer token for `scope`, through POST /auth/token. */
  token(scope: string): Promise<string>;
}

export interface AuthTestApp extends TestApp {
  tokenUrl: string;
  /** Registers a client in the registry (as `gdhcn-gateway clients add` does) with a fresh key pair. */
  registerClient(
    id: string,
    scopes: string[],
    options?: { alg?: 'ES256' | 'ES384' | 'RS384'; jwksUri?: string },
  ): Promise<TestClient>;
  tokenFor(scope: string, id?: string): Promise<string>;
}

export async function makeClientKeys(alg: 'ES256' | 'ES384' | 'RS384' = 'ES384') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg };
  return { privateKey, publicJwk, kid };
}

export async function createAuthTestApp(
  overrides: Partial<Config> = {},
  serviceOverrides: ServiceOverrides = {},
): Promise<AuthTestApp> {
  const base = await createTestApp({ auth: true, audit: true, ...overrides }, serviceOverrides);
  const tokenUrl = tokenUrlOf(base.services.config);
  const now = () => Math.floor(base.services.now().getTime() / 1000);
  const clients = new Map<string, TestClient>();
  const registerClient: AuthTestApp['registerClient'] = async (id, scopes, options = {}) => {
    const alg = options.alg ?? 'ES384';
    const { privateKey, publicJwk, kid } = await makeClientKeys(alg);
    base.services.auth.clients.put({
      id,
      name: `test client ${id}`,
      ...(options.jwksUri ? { jwksUri: options.jwksUri } : { jwks: { keys: [publicJwk] } }),
      scopes,
      enabled: true,
    });
    const client: TestClient = {
      id,
      kid,
      alg,
      privateKey,
      publicJwk,
      assertion: (claims = {}, header = {}) =>
        new SignJWT({ jti: randomUUID(), ...claims })
          .setProtectedHeader({ alg, kid, typ: 'JWT', ...header })
          .setIssuer((claims.iss as string | undefined) ?? id)
          .setSubject((claims.sub as string | undefined) ?? id)
          .setAudience((claims.aud as string | undefined) ?? tokenUrl)
          .setExpirationTime((claims.exp as number | undefined) ?? now() + 240)
          .sign(privateKey),
      token: async (scope) => {
        const res = await request(base.app)
          .post('/auth/token')
          .type('form')
          .send({
            grant_type: 'client_credentials',
            client_assertion_type: ASSERTION_TYPE,
            client_assertion: await client.assertion(),
            scope,
          });
        if (res.status !== 200) throw new Error(`token for ${id} refused: ${res.status} ${JSON.stringify(res.body)}`);
        return (res.body as { access_token: string }).access_token;
      },
    };
    clients.set(id, client);
    return client;
  };
  const tokenFor: AuthTestApp['tokenFor'] = async (scope, id = 'test-admin') => {
    const client =
      clients.get(id) ??
      (await registerClient(id, [
        'system/*.cruds',
        'system/AuditEvent.cruds',
        ...Object.values((await import('../../src/auth/operation-scopes.ts')).OPERATION_SCOPES),
      ]));
    return client.token(scope);
  };
  return { ...base, tokenUrl, registerClient, tokenFor };
}
