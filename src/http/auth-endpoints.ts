/**
 * The SMART Backend Services endpoints: `POST /auth/token` (client_credentials with a private_key_jwt assertion)
 * and `GET /.well-known/smart-configuration` (at the host root and under the FHIR base `/fhir`). Errors are OAuth 2.0 JSON (`error`, `error_description`), never a
 * stack trace. https://build.fhir.org/ig/HL7/smart-app-launch/backend-services.html
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { ALL_OPERATION_SCOPES } from '../auth/operation-scopes.ts';
import { ASSERTION_ALGORITHMS, OAuthError } from '../auth/token-service.ts';
import type { OutcomeError } from '../fhir/outcome.ts';
import type { AuthServices } from '../services-auth.ts';
import { takePublicBudget } from './authenticate.ts';

/** Where the FHIR API is mounted (app.ts): SMART discovery is also served under it. */
export const FHIR_MOUNT = '/fhir';

export interface AuthEndpointHooks {
  /** Told of every grant and refusal (the audit trail). */
  onToken?: (event: {
    req: Request;
    clientId: string | undefined;
    outcome: 'granted' | 'refused';
    error?: string;
    scope?: string;
  }) => void;
}

function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).setHeader('Cache-Control', 'no-store');
  if (status === 401) res.setHeader('WWW-Authenticate', `Bearer error="${error}"`);
  res.json({ error, error_description: description });
}

export function mountAuthEndpoints(
  app: Express,
  auth: AuthServices,
  options: { issuer: string; tokenUrl: string } & AuthEndpointHooks,
): void {
  const smartConfiguration = (req: Request, res: Response): void => {
    takePublicBudget(auth, req, res);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.json({
      issuer: options.issuer,
      token_endpoint: options.tokenUrl,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
      grant_types_supported: ['client_credentials'],
      scopes_supported: [
        'system/*.cruds',
        'system/*.rs',
        'system/*.read',
        'system/*.write',
        'system/AuditEvent.rs',
        ...ALL_OPERATION_SCOPES,
      ],
      capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
    });
  };
  // SMART App Launch puts discovery under the FHIR base ([base]/.well-known/smart-configuration); the host-root copy
  // stays for clients that look there. Same content, both public.
  app.get('/.well-known/smart-configuration', smartConfiguration);
  app.get(`${FHIR_MOUNT}/.well-known/smart-configuration`, smartConfiguration);
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 20 });
  app.post(
    '/auth/token',
    (req: Request, res: Response, next: NextFunction) => {
      try {
        takePublicBudget(auth, req, res);
      } catch (err) {
        options.onToken?.({ req, clientId: undefined, outcome: 'refused', error: 'rate_limited' });
        return oauthError(res, 429, 'slow_down', (err as OutcomeError).message);
      }
      form(req, res, (err?: unknown) => {
        if (!err) return next();
        const status = (err as { status?: number }).status === 413 ? 413 : 400;
        options.onToken?.({ req, clientId: undefined, outcome: 'refused', error: 'invalid_request' });
        oauthError(
          res,
          status,
          'invalid_request',
          status === 413
            ? 'the request body is larger than 64 KB'
            : 'the body must be application/x-www-form-urlencoded',
        );
      });
    },
    async (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const fields = Object.fromEntries(
        Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : undefined]),
      );
      try {
        const { body: token, clientId } = await auth.tokens.grant(fields);
        options.onToken?.({ req, clientId, outcome: 'granted', scope: token.scope });
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Pragma', 'no-cache');
        res.json(token);
      } catch (err) {
        if (!(err instanceof OAuthError)) throw err;
        options.onToken?.({ req, clientId: err.clientId, outcome: 'refused', error: err.error });
        oauthError(res, err.status, err.error, err.message);
      }
    },
  );
}

/** Express middleware: the per-address budget on a public mount (`/trust`, `/shl`, `/healthz`…). */
export function publicBudget(auth: AuthServices) {
  return function publicBudget(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'OPTIONS') takePublicBudget(auth, req, res);
    next();
  };
}
