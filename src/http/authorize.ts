/**
 * Authorization inside the FHIR router: every interaction states what it needs, and the check runs where the
 * route is resolved, so the entries of batch and transaction Bundles are checked one by one like plain requests.
 * A request without a token is 401 (with `WWW-Authenticate: Bearer`); a token without the scope is 403 naming it.
 */
import {
  allowsInteraction,
  allowsScope,
  formatResourceScope,
  type Interaction,
  type ScopeSet,
} from '../auth/scopes.ts';
import { fail } from '../fhir/outcome.ts';

export type AuthContext =
  | { kind: 'off'; address: string }
  | { kind: 'anonymous'; address: string }
  | { kind: 'client'; clientId: string; scopes: ScopeSet; address: string };

/** What a route needs: nothing (public on purpose), an interaction on a type, or a named scope. */
export type Need =
  | { kind: 'public' }
  | { kind: 'interaction'; type: string; letter: Interaction }
  | { kind: 'scope'; scope: string };

export const PUBLIC: Need = { kind: 'public' };

/**
 * The paths outside /fhir that answer without a token, on purpose: verifiers and wallets need them, and they carry
 * their own secrets (SHL link ids and passcodes) or publish only public keys. Each is rate-limited per address.
 * Later endpoints (`/readyz`, `/metrics`) join this list; test/http/auth-routes.test.ts walks the app and fails
 * on any path that is neither here nor behind a scope. CORS preflight (OPTIONS) never needs a token.
 */
export const PUBLIC_PATHS: readonly string[] = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/.well-known/jwks.json',
  '/.well-known/smart-configuration',
  '/fhir/.well-known/smart-configuration',
  '/trust/did.json',
  '/trust/certificates',
  '/trust/status',
  '/trust/revocation/dcc.json',
  '/.well-known/crl/:file',
  '/shl/:linkId',
  '/shl/:linkId/file/:ticket',
  '/auth/token',
  // The implementer console (http/console-static.ts): static files; the API calls it makes carry the user's token.
  '/',
  '/console',
  '/console/',
  '/console/assets/:name',
  '/console/:name',
];

/** Throws 401/403 when the caller may not do what `need` says. */
export function authorize(auth: AuthContext | undefined, need: Need): void {
  if (!auth || auth.kind === 'off' || need.kind === 'public') return;
  // The scope's name is only for the refusal's text: not built on the path that grants (every request).
  const scope = () => (need.kind === 'scope' ? need.scope : formatResourceScope(need.type, [need.letter]));
  if (auth.kind === 'anonymous') {
    fail('unauthorized', {
      code: 'login',
      id: 'AUTH_TOKEN_MISSING',
      text: `This request needs a bearer token with scope ${scope()} (SMART Backend Services: POST /auth/token)`,
    });
  }
  const ok =
    need.kind === 'scope'
      ? allowsScope(auth.scopes, need.scope)
      : allowsInteraction(auth.scopes, need.type, need.letter);
  if (!ok)
    fail('forbidden', {
      code: 'forbidden',
      id: 'AUTH_SCOPE_MISSING',
      text: `The token's scopes do not allow this request; it needs ${scope()}`,
    });
}

/** The interaction letter of a write method. */
export function writeLetter(method: string): Interaction {
  return method === 'POST' ? 'c' : method === 'DELETE' ? 'd' : 'u';
}
