/**
 * SMART Backend Services authorization: the client-credentials grant with a private_key_jwt client assertion, and
 * the check of every access token a request carries (ours, or an external authorization server's).
 * https://build.fhir.org/ig/HL7/smart-app-launch/backend-services.html
 * https://www.rfc-editor.org/rfc/rfc7523 (JWT client authentication)
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
  type KeyObject,
} from 'jose';
import type { GuardedFetch } from '../trust/guarded-fetch.ts';
import type { ClientRecord, ClientRegistry } from './clients.ts';
import { createRemoteJwks, JwksUnavailableError, type KeyResolver } from './remote-jwks.ts';
import { allowsScope, grantScopes, parseScopes, type ScopeSet } from './scopes.ts';

/** What SMART requires servers to accept (RS384, ES384), and ES256. */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384', 'ES256'] as const;
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** An assertion's `exp` may be at most this far ahead (SMART: "no more than five minutes in the future"). */
const MAX_ASSERTION_LIFETIME_S = 300;
/** Larger assertions are refused before any parsing (a JWT with a few claims is well under 4 KB). */
export const MAX_ASSERTION_CHARS = 16 * 1024;
const TOKEN_ALG = 'ES256';

/** An OAuth 2.0 error answer (RFC 6749 §5.2): `invalid_client` is 401, the others 400. */
export class OAuthError extends Error {
  readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'invalid_scope' | 'unsupported_grant_type';
  readonly status: number;
  readonly clientId: string | undefined;
  constructor(error: OAuthError['error'], description: string, clientId?: string) {
    super(description);
    this.name = 'OAuthError';
    this.error = error;
    this.status = error === 'invalid_client' ? 401 : 400;
    this.clientId = clientId;
  }
}

/** A bearer token that cannot be accepted; `message` is safe to show. */
export class TokenRejectedError extends Error {
  override name = 'TokenRejectedError';
}

export interface Caller {
  clientId: string;
  scope: string;
  scopes: ScopeSet;
  /** Seconds since epoch. */
  exp: number;
}

export interface ExternalIssuer {
  issuer: string;
  jwksUrl: string;
  audience: string;
}

export interface TokenServiceOptions {
  /** The token endpoint URL: the `aud` every client assertion must carry. */
  tokenUrl: string;
  /** `iss` of the tokens we mint. */
  issuer: string;
  /** `aud` of the tokens we mint: the FHIR base URL. */
  audience: string;
  clients: ClientRegistry;
  signingKey: { privateKey: CryptoKey | KeyObject; publicKey: CryptoKey | KeyObject; kid: string };
  ttlSeconds: number;
  now: () => Date;
  /** For client `jwks_uri` and the external issuer's JWKS. */
  jwksFetch: GuardedFetch;
  external?: ExternalIssuer;
  jwksMinRefreshMs?: number;
  /**
   * Claims an assertion's `client id + jti` until `expiresAt` (epoch ms); false when already claimed. The server
   * passes its store's `claimOnce`, so a replay is refused after a restart and by every process on the same
   * database; without it the claims are kept in this process's memory (the CLI, which never grants).
   */
  claimJti?: (key: string, expiresAt: number) => Promise<boolean>;
  /**
   * IHE ITI.VHL OAuth with SSRAA: clients that are not registered may authenticate with an `x5c` certificate the
   * trust community vouches for (`check`); they get at most `scopes` (the VHL manifest search). ADR 0064.
   */
  trustNetwork?: {
    check(
      x5c: readonly string[],
      at: Date,
    ): { ok: true; participant: string; fingerprint: string } | { ok: false; reason: string };
    scopes: readonly string[];
  };
}

/** Client id prefix of trust-network receivers (never a registered client id: those have no `:`). */
export const TRUST_NETWORK_CLIENT_PREFIX = 'trust-network:';

export interface TokenService {
  grant(form: Record<string, string | undefined>): Promise<{
    body: { access_token: string; token_type: 'bearer'; expires_in: number; scope: string };
    clientId: string;
  }>;
  verify(token: string): Promise<Caller>;
  mint(client: ClientRecord, scopes: string[]): Promise<string>;
  readonly tokenUrl: string;
}

const CACHE_MAX = 10_000;

export function createTokenService(o: TokenServiceOptions): TokenService {
  const seenJti = new Map<string, number>();
  const remote = new Map<string, KeyResolver>();
  const verified = new Map<string, Caller>();
  const external = o.external
    ? createRemoteJwks({
        url: o.external.jwksUrl,
        fetch: o.jwksFetch,
        now: o.now,
        ...(o.jwksMinRefreshMs !== undefined ? { minRefreshMs: o.jwksMinRefreshMs } : {}),
      }).resolver
    : undefined;
  const nowS = () => Math.floor(o.now().getTime() / 1000);

  const keysOf = (client: ClientRecord): KeyResolver => {
    if (client.jwks) return createLocalJWKSet(client.jwks) as KeyResolver;
    let r = remote.get(client.id);
    if (!r) {
      r = createRemoteJwks({
        url: client.jwksUri as string,
        fetch: o.jwksFetch,
        now: o.now,
        ...(o.jwksMinRefreshMs !== undefined ? { minRefreshMs: o.jwksMinRefreshMs } : {}),
      }).resolver;
      remote.set(client.id, r);
    }
    return r;
  };

  const rememberJti = (key: string, exp: number): boolean => {
    const t = nowS();
    if (seenJti.size > CACHE_MAX) for (const [k, e] of seenJti) if (e < t) seenJti.delete(k);
    const prior = seenJti.get(key);
    if (prior !== undefined && prior >= t) return false;
    seenJti.set(key, exp);
    return true;
  };
  // A jti is held until its assertion's exp has passed (plus a second: exp is whole seconds, compared with ms).
  const claimJti = o.claimJti
    ? (key: string, exp: number) => o.claimJti!(key, (exp + 1) * 1000)
    : async (key: string, exp: number) => rememberJti(key, exp);

  const mint = async (client: ClientRecord, scopes: string[]): Promise<string> => {
    const iat = nowS();
    return new SignJWT({ scope: scopes.join(' '), client_id: client.id })
      .setProtectedHeader({ alg: TOKEN_ALG, kid: o.signingKey.kid, typ: 'at+jwt' })
      .setIssuer(o.issuer)
      .setSubject(client.id)
      .setAudience(o.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + o.ttlSeconds)
      .setJti(randomUUID())
      .sign(o.signingKey.privateKey);
  };

  const checkAssertion = async (assertion: string): Promise<ClientRecord> => {
    if (assertion.length > MAX_ASSERTION_CHARS)
      throw new OAuthError('invalid_client', `client_assertion is larger than ${MAX_ASSERTION_CHARS} characters`);
    let header;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      throw new OAuthError('invalid_client', 'client_assertion is not a signed JWT');
    }
    if (!(ASSERTION_ALGORITHMS as readonly string[]).includes(String(header.alg))) {
      throw new OAuthError(
        'invalid_client',
        `client_assertion alg ${String(header.alg)} is not accepted; use one of ${ASSERTION_ALGORITHMS.join(', ')}`,
      );
    }
    if (typeof claims.iss !== 'string' || claims.iss !== claims.sub)
      throw new OAuthError('invalid_client', 'client_assertion iss and sub must both be the client_id');
    const registered = o.clients.get(claims.iss);
    if (!registered && o.trustNetwork && header.x5c !== undefined) return trustNetworkClient(assertion, header.x5c);
    const client = registered;
    if (!client) throw new OAuthError('invalid_client', 'unknown client');
    if (!client.enabled) throw new OAuthError('invalid_client', 'this client is disabled', client.id);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, keysOf(client), {
        algorithms: [...ASSERTION_ALGORITHMS],
        issuer: client.id,
        subject: client.id,
        audience: o.tokenUrl,
        currentDate: o.now(),
        requiredClaims: ['exp', 'jti'],
      }));
    } catch (err) {
      throw new OAuthError('invalid_client', assertionFailure(err), client.id);
    }
    if ((payload.exp as number) > nowS() + MAX_ASSERTION_LIFETIME_S) {
      throw new OAuthError(
        'invalid_client',
        `client_assertion exp is more than ${MAX_ASSERTION_LIFETIME_S} seconds ahead`,
        client.id,
      );
    }
    if (!(await claimJti(`${client.id}\u0000${String(payload.jti)}`, payload.exp as number))) {
      throw new OAuthError('invalid_client', 'client_assertion jti was already used', client.id);
    }
    return client;
  };

  /** A receiver the trust list vouches for: the assertion is verified with its certificate's key. */
  const trustNetworkClient = async (assertion: string, x5c: unknown): Promise<ClientRecord> => {
    const network = o.trustNetwork!;
    if (!Array.isArray(x5c)) throw new OAuthError('invalid_client', 'client_assertion x5c is not an array');
    const verdict = network.check(x5c as string[], o.now());
    if (!verdict.ok) throw new OAuthError('invalid_client', verdict.reason);
    const id = `${TRUST_NETWORK_CLIENT_PREFIX}${verdict.participant}:${verdict.fingerprint.slice(0, 16)}`;
    let payload: JWTPayload;
    try {
      const key = new X509Certificate(Buffer.from(x5c[0] as string, 'base64')).publicKey;
      ({ payload } = await jwtVerify(assertion, key, {
        algorithms: [...ASSERTION_ALGORITHMS],
        audience: o.tokenUrl,
        currentDate: o.now(),
        requiredClaims: ['exp', 'jti'],
      }));
    } catch (err) {
      throw new OAuthError('invalid_client', assertionFailure(err), id);
    }
    if ((payload.exp as number) > nowS() + MAX_ASSERTION_LIFETIME_S)
      throw new OAuthError(
        'invalid_client',
        `client_assertion exp is more than ${MAX_ASSERTION_LIFETIME_S} seconds ahead`,
        id,
      );
    if (!(await claimJti(`${id}\u0000${String(payload.jti)}`, payload.exp as number)))
      throw new OAuthError('invalid_client', 'client_assertion jti was already used', id);
    return { id, name: `VHL receiver of ${verdict.participant}`, scopes: [...network.scopes], enabled: true };
  };

  return {
    tokenUrl: o.tokenUrl,
    mint,
    grant: async (form) => {
      if (form.grant_type !== 'client_credentials')
        throw new OAuthError('unsupported_grant_type', 'grant_type must be client_credentials');
      if (form.client_assertion_type !== ASSERTION_TYPE)
        throw new OAuthError('invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}`);
      if (!form.client_assertion) throw new OAuthError('invalid_request', 'client_assertion is required');
      if (!form.scope?.trim())
        throw new OAuthError('invalid_scope', 'scope is required (e.g. system/Immunization.cruds)');
      const client = await checkAssertion(form.client_assertion);
      const scopes = grantScopes(form.scope, client.scopes);
      if (scopes.length === 0)
        throw new OAuthError('invalid_scope', 'none of the requested scopes is allowed for this client', client.id);
      const token = await mint(client, scopes);
      return {
        body: { access_token: token, token_type: 'bearer', expires_in: o.ttlSeconds, scope: scopes.join(' ') },
        clientId: client.id,
      };
    },
    verify: async (token) => {
      const hit = verified.get(token);
      if (hit && hit.exp > nowS()) return checkClient(hit);
      const caller = await verifyFresh(token);
      if (verified.size >= CACHE_MAX) verified.clear();
      verified.set(token, caller);
      return checkClient(caller);
    },
  };

  /** A client disabled after its token was minted is refused on its next request. */
  function checkClient(caller: Caller): Caller {
    if (o.external && !o.clients.get(caller.clientId)) return caller; // an external issuer's clients need not be registered here
    // Trust-network receivers are vouched for by the trust list at grant time; their tokens live minutes.
    if (o.trustNetwork && caller.clientId.startsWith(TRUST_NETWORK_CLIENT_PREFIX)) return caller;
    const client = o.clients.get(caller.clientId);
    if (!client?.enabled) throw new TokenRejectedError('the client of this token is disabled or unknown');
    return caller;
  }

  async function verifyFresh(token: string): Promise<Caller> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new TokenRejectedError('the bearer token is not a JWT');
    }
    const ext = o.external && iss === o.external.issuer ? o.external : undefined;
    if (!ext && iss !== o.issuer)
      throw new TokenRejectedError('the bearer token was not issued by a trusted authorization server');
    let payload: JWTPayload;
    try {
      ({ payload } = ext
        ? await jwtVerify(token, external as KeyResolver, {
            issuer: ext.issuer,
            audience: ext.audience,
            currentDate: o.now(),
            algorithms: ['RS256', 'RS384', 'ES256', 'ES384', 'PS256'],
          })
        : await jwtVerify(token, o.signingKey.publicKey, {
            issuer: o.issuer,
            audience: o.audience,
            currentDate: o.now(),
            algorithms: [TOKEN_ALG],
          }));
    } catch (err) {
      throw new TokenRejectedError(
        err instanceof joseErrors.JWTExpired
          ? 'the bearer token has expired'
          : err instanceof JwksUnavailableError
            ? err.message
            : 'the bearer token is not valid for this server',
      );
    }
    const scope =
      typeof payload.scope === 'string'
        ? payload.scope
        : Array.isArray(payload.scp)
          ? (payload.scp as string[]).join(' ')
          : '';
    const clientId = String(payload.client_id ?? payload.azp ?? payload.sub ?? '');
    if (!clientId) throw new TokenRejectedError('the bearer token names no client');
    if (!ext) {
      // Our own tokens never carry more than the client is allowed now (a token minted elsewhere with our key would).
      const client = o.clients.get(clientId);
      const allowed = client ? parseScopes(client.scopes) : undefined;
      if (
        allowed &&
        scope
          .split(/\s+/)
          .filter(Boolean)
          .some((s) => !allowsScope(allowed, s))
      ) {
        throw new TokenRejectedError('the bearer token carries scopes this client is not allowed');
      }
    }
    return {
      clientId,
      scope,
      scopes: parseScopes(scope),
      exp: typeof payload.exp === 'number' ? payload.exp : nowS() + 60,
    };
  }
}

function assertionFailure(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'client_assertion has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `client_assertion claim ${err.claim} is not valid (${err.reason})`;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no key of this client matches the client_assertion kid';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'client_assertion signature does not verify with this client’s keys';
  if (err instanceof JwksUnavailableError) return `the client's JWKS could not be read: ${err.message}`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'client_assertion alg is not accepted';
  return 'client_assertion could not be verified';
}
