/**
 * Access control wiring: the client registry (DATA_DIR/auth/clients.json + AUTH_CLIENTS_FILE), this server's token
 * signing key (DATA_DIR/auth/token-signing-key.json, made on first start), the development client (made on first
 * start outside production, announced loudly), the token service and the public-endpoint rate limit.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { AuditFacts } from './audit/audit-event.ts';
import { openClientRegistry, type ClientChange, type ClientRecord, type ClientRegistry } from './auth/clients.ts';
import { createRateLimiter, type RateLimiter } from './auth/rate-limit.ts';
import { ALL_OPERATION_SCOPES } from './auth/operation-scopes.ts';
import { createTokenService, type TokenService } from './auth/token-service.ts';
import { grantScopes } from './auth/scopes.ts';
import type { Config } from './config/schema.ts';
import { ConfigError } from './config/schema.ts';
import type { Logger } from './log.ts';
import { createGuardedFetch } from './trust/guarded-fetch.ts';
import { checkReceiverChain } from './trust/receiver-chain.ts';
import type { TrustList } from './trust/trust-list.ts';

export const DEV_CLIENT_ID = 'dev-client';
/** What a trust-network VHL receiver may be granted: the ITI-YY5 manifest search, nothing else. */
export const VHL_RECEIVER_SCOPES = ['system/List.s'] as const;
/** What the development client may do: everything, so the README examples run. */
export const DEV_CLIENT_SCOPES = ['system/*.cruds', ...ALL_OPERATION_SCOPES];

export interface AuthServices {
  clients: ClientRegistry;
  tokens: TokenService;
  publicLimit: RateLimiter;
  /** Requests seen with AUTH=off (a warning every 1000th). */
  offCounter: { n: number };
  /** The development client registered at this start (announced once, in the start-up ATTENTION line). */
  devClientRegistered: boolean;
}

export interface AuthOverrides {
  /** The fetch behind client `jwksUri` and the external JWKS (tests serve a double on 127.0.0.1). */
  jwksFetch?: typeof fetch;
  jwksMinRefreshMs?: number;
}

export interface AuthHooks {
  /** Where assertion `jti`s are claimed (the store's `claimOnce`: durable, shared by every server on it). */
  claimJti?: (key: string, expiresAt: number) => Promise<boolean>;
  /** Each client registry change as it takes effect (the server audits it). */
  onClientChange?: (changes: ClientChange[]) => void;
}

/**
 * The audit facts of a registry change taking effect on this server. The server cannot know who edited the file
 * (the CLI, a Git checkout), so the event names the client changed (`Device/<id>`) and the registry as its source.
 */
export function clientChangeFacts(c: ClientChange, recorded: Date): AuditFacts {
  return {
    subtype: `client-${c.change}`,
    action: c.change === 'registered' ? 'C' : c.change === 'removed' ? 'D' : 'U',
    status: 200,
    address: 'client registry',
    entities: [`Device/${c.id}`],
    recorded,
  };
}

export const authPaths = (dataDir: string) => ({
  dir: join(dataDir, 'auth'),
  clients: join(dataDir, 'auth', 'clients.json'),
  signingKey: join(dataDir, 'auth', 'token-signing-key.json'),
  devClient: join(dataDir, 'auth', 'dev-client.private.json'),
});

/** The token URL every client assertion names as its `aud`. */
export const tokenUrlOf = (config: Config): string => `${config.issuerUrl}/auth/token`;

export async function createAuthServices(
  config: Config,
  log: Logger,
  dataDir: string,
  now: () => Date,
  overrides: AuthOverrides = {},
  hooks: AuthHooks = {},
  trustList?: () => TrustList,
): Promise<AuthServices> {
  const paths = authPaths(dataDir);
  mkdirSync(paths.dir, { recursive: true });
  const clients = openClientRegistry({
    path: paths.clients,
    ...(config.authClientsFile ? { configFile: config.authClientsFile } : {}),
    watch: true,
    ...(hooks.onClientChange ? { onChange: hooks.onClientChange } : {}),
  });
  const devClientRegistered =
    config.auth && !config.production ? await ensureDevClient(clients, paths.devClient, log) : false;
  if (
    config.production &&
    config.packageInstall &&
    !config.authExternalIssuer &&
    !clients.list().some((c) => c.enabled && c.scopes.includes('system/$install-package'))
  ) {
    throw new ConfigError([
      'PACKAGE_INSTALL=true with NODE_ENV=production needs an admin client: register one with scope system/$install-package (gdhcn-gateway clients add) or set PACKAGE_INSTALL=false',
    ]);
  }
  if (!config.auth)
    log.warn('AUTH=off: every endpoint is open to anyone who can reach this server (local experiments only)');
  const signingKey = await loadSigningKey(paths.signingKey);
  const jwksFetch = createGuardedFetch({
    allow: config.authJwksAllow,
    label: 'JWKS fetch',
    allowName: 'AUTH_JWKS_ALLOW',
    maxBytes: 256 * 1024,
    timeoutMs: 5000,
    ...(overrides.jwksFetch ? { fetch: overrides.jwksFetch } : {}),
  });
  const tokens = createTokenService({
    tokenUrl: tokenUrlOf(config),
    issuer: config.issuerUrl,
    audience: config.fhirBaseUrl,
    clients,
    signingKey,
    ttlSeconds: Math.max(1, Math.round(config.authTokenLifetimeMs / 1000)),
    now,
    jwksFetch,
    ...(config.authExternalIssuer
      ? {
          external: {
            issuer: config.authExternalIssuer,
            jwksUrl: config.authExternalJwksUrl as string,
            audience: config.authExternalAudience ?? config.fhirBaseUrl,
          },
        }
      : {}),
    ...(overrides.jwksMinRefreshMs !== undefined ? { jwksMinRefreshMs: overrides.jwksMinRefreshMs } : {}),
    ...(hooks.claimJti ? { claimJti: hooks.claimJti } : {}),
    ...(config.vhlReceiverTrustNetwork && trustList
      ? {
          trustNetwork: {
            check: (x5c: readonly string[], at: Date) => checkReceiverChain(trustList(), x5c, at),
            scopes: VHL_RECEIVER_SCOPES,
          },
        }
      : {}),
  });
  return {
    clients,
    tokens,
    publicLimit: createRateLimiter({ perMinute: config.publicRateLimit, now }),
    offCounter: { n: 0 },
    devClientRegistered,
  };
}

/**
 * A bearer token for the development client, minted with this server's token key from DATA_DIR (what
 * `gdhcn-gateway token` prints). Only the development client, only while it is registered and enabled.
 */
export async function mintDevToken(config: Config, scope?: string): Promise<string> {
  const paths = authPaths(config.dataDir);
  const clients = openClientRegistry({
    path: paths.clients,
    ...(config.authClientsFile ? { configFile: config.authClientsFile } : {}),
  });
  const client = clients.get(DEV_CLIENT_ID);
  if (!existsSync(paths.devClient) || !client)
    throw new ConfigError([
      `no development client in ${paths.dir}: start the server once outside production (NODE_ENV unset) with this DATA_DIR`,
    ]);
  if (!client.enabled) throw new ConfigError([`the development client is disabled in ${paths.clients}`]);
  const tokens = createTokenService({
    tokenUrl: tokenUrlOf(config),
    issuer: config.issuerUrl,
    audience: config.fhirBaseUrl,
    clients,
    signingKey: await loadSigningKey(paths.signingKey),
    ttlSeconds: Math.max(1, Math.round(config.authTokenLifetimeMs / 1000)),
    now: () => new Date(),
    jwksFetch: () => Promise.reject(new Error('no fetch')),
  });
  const scopes = grantScopes(scope ?? client.scopes.join(' '), client.scopes);
  if (scopes.length === 0) throw new ConfigError([`the development client is not allowed ${scope}`]);
  return tokens.mint(client, scopes);
}

async function loadSigningKey(path: string) {
  if (!existsSync(path)) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    writeFileSync(path, JSON.stringify(jwk), { mode: 0o600 });
  }
  const jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  const { d: _d, ...pub } = jwk;
  return {
    privateKey: (await importJWK(jwk, 'ES256')) as CryptoKey,
    publicKey: (await importJWK(pub, 'ES256')) as CryptoKey,
    kid: jwk.kid as string,
  };
}

/** The development client's private key and id, as `gdhcn-gateway token` reads them. */
export interface DevClientFile {
  clientId: string;
  privateJwk: JWK;
}

/** Registers the development client unless it exists; true when it was registered now. */
async function ensureDevClient(clients: ClientRegistry, path: string, log: Logger): Promise<boolean> {
  if (existsSync(path) && clients.get(DEV_CLIENT_ID)) return false;
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const pub = await exportJWK(publicKey);
  pub.kid = await calculateJwkThumbprint(pub);
  pub.alg = 'ES384';
  const priv = { ...(await exportJWK(privateKey)), kid: pub.kid, alg: 'ES384' };
  writeFileSync(path, JSON.stringify({ clientId: DEV_CLIENT_ID, privateJwk: priv } satisfies DevClientFile), {
    mode: 0o600,
  });
  const client: ClientRecord = {
    id: DEV_CLIENT_ID,
    name: 'Local development client',
    jwks: { keys: [pub] },
    scopes: DEV_CLIENT_SCOPES,
    enabled: true,
    createdAt: new Date().toISOString(),
  };
  clients.put(client);
  // Said loudly once in the start-up ATTENTION line (startup-notes.ts); the detail is here.
  log.info({ clientId: DEV_CLIENT_ID, privateKeyFile: path }, 'development client registered');
  return true;
}
