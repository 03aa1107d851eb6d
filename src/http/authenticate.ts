/**
 * Who is calling /fhir: reads the `Authorization: Bearer` header (exactly one, well formed), checks the token and
 * leaves an AuthContext for the router, which decides per interaction. Requests without a token pass on as
 * anonymous (public routes answer them, the others 401) and count against the per-address public budget.
 */
import type { NextFunction, Request, Response } from 'express';
import { TokenRejectedError } from '../auth/token-service.ts';
import { fail } from '../fhir/outcome.ts';
import type { AuthServices } from '../services-auth.ts';
import type { Logger } from 'pino';
import type { AuthContext } from './authorize.ts';

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

function authorizationHeaders(req: Request): string[] {
  const out: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    if (req.rawHeaders[i]!.toLowerCase() === 'authorization') out.push(req.rawHeaders[i + 1]!);
  return out;
}

/** 429 with Retry-After when the address has spent its public budget. */
export function takePublicBudget(auth: AuthServices, req: Request, res: Response): void {
  const wait = auth.publicLimit.take(req.ip ?? 'unknown');
  if (wait === undefined) return;
  res.setHeader('Retry-After', String(wait));
  fail('too-many-requests', {
    code: 'throttled',
    id: 'RATE_LIMITED',
    text: `Too many requests from this address; try again in ${wait} s`,
  });
}

export function authenticate(auth: AuthServices, options: { enabled: boolean; log: Logger }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const address = req.ip ?? 'unknown';
    if (!options.enabled) {
      if (++auth.offCounter.n % 1000 === 0)
        options.log.warn(
          { requests: auth.offCounter.n },
          'AUTH=off: this server answers anyone (local experiments only)',
        );
      res.locals.auth = { kind: 'off', address } satisfies AuthContext;
      return next();
    }
    if (req.method === 'OPTIONS') {
      // CORS preflight never carries a token; it reaches no handler that needs one.
      res.locals.auth = { kind: 'anonymous', address } satisfies AuthContext;
      return next();
    }
    const headers = authorizationHeaders(req);
    if (headers.length === 0) {
      res.locals.auth = { kind: 'anonymous', address } satisfies AuthContext;
      takePublicBudget(auth, req, res);
      return next();
    }
    const m = headers.length === 1 ? BEARER.exec(headers[0]!.trim()) : null;
    if (!m) {
      res.locals.wwwAuthenticate = 'Bearer error="invalid_request"';
      res.locals.auth = { kind: 'anonymous', address } satisfies AuthContext;
      fail('invalid', {
        code: 'security',
        id: 'AUTH_HEADER_MALFORMED',
        text:
          headers.length > 1
            ? 'Send one Authorization header, not several'
            : 'The Authorization header must be "Bearer <token>"',
      });
    }
    try {
      const caller = await auth.tokens.verify(m[1]!);
      res.locals.auth = {
        kind: 'client',
        clientId: caller.clientId,
        scopes: caller.scopes,
        address,
      } satisfies AuthContext;
    } catch (err) {
      if (!(err instanceof TokenRejectedError)) throw err;
      res.locals.wwwAuthenticate = 'Bearer error="invalid_token"';
      res.locals.auth = { kind: 'anonymous', address } satisfies AuthContext;
      fail('unauthorized', {
        code: 'security',
        id: 'AUTH_TOKEN_INVALID',
        text: `The bearer token is refused: ${err.message}`,
      });
    }
    next();
  };
}
