/**
 * A JWK Set fetched through the guarded fetch and cached: re-fetched when a token names a kid it does not hold
 * (key rotation), at most once per `minRefreshMs`, so a stream of made-up kids cannot turn this server into a
 * hammer on the key server.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import type { GuardedFetch } from '../trust/guarded-fetch.ts';

export type KeyResolver = (
  header: JWSHeaderParameters,
  token: FlattenedJWSInput,
) => ReturnType<ReturnType<typeof createLocalJWKSet>>;

export class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError';
}

export interface RemoteJwks {
  resolver: KeyResolver;
}

export function createRemoteJwks(options: {
  url: string;
  fetch: GuardedFetch;
  now: () => Date;
  minRefreshMs?: number;
}): RemoteJwks {
  const { url, fetch, now, minRefreshMs = 30_000 } = options;
  let keys: { kids: Set<string>; resolve: ReturnType<typeof createLocalJWKSet> } | undefined;
  let fetchedAt = -Infinity;
  let inflight: Promise<void> | undefined;

  const refresh = async (): Promise<void> => {
    fetchedAt = now().getTime();
    let body: Uint8Array;
    try {
      ({ body } = await fetch(url, { method: 'GET', headers: { accept: 'application/json' } }));
    } catch (err) {
      throw new JwksUnavailableError((err as Error).message);
    }
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(new TextDecoder().decode(body)) as JSONWebKeySet;
      if (!Array.isArray(jwks.keys)) throw new Error('no keys array');
    } catch (err) {
      throw new JwksUnavailableError(`JWKS at ${new URL(url).origin} is not a JWK Set: ${(err as Error).message}`);
    }
    keys = {
      kids: new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string')),
      resolve: createLocalJWKSet(jwks),
    };
  };

  const resolver: KeyResolver = async (header, token) => {
    const known = keys !== undefined && (header.kid === undefined || keys.kids.has(header.kid));
    if (!known && now().getTime() - fetchedAt >= minRefreshMs) {
      inflight ??= refresh().finally(() => {
        inflight = undefined;
      });
      await inflight;
    }
    if (!keys) throw new JwksUnavailableError(`JWKS at ${new URL(url).origin} could not be read`);
    return keys.resolve(header, token);
  };
  return { resolver };
}
