/** AuditEvents for what never reaches the FHIR router: refusals in the HTTP shell (401, 429) and token grants. */
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';
import { messageIdOf } from '../fhir/outcome.ts';
import type { Services } from '../services.ts';
import type { AuthEndpointHooks } from './auth-endpoints.ts';

export function auditRefusal(
  services: Services,
  req: Request,
  res: Response,
  status: number,
  body: OperationOutcome,
): void {
  const detail = messageIdOf(body);
  services.audit.enqueue({
    subtype: 'refused',
    action: 'E',
    status,
    address: req.ip ?? 'unknown',
    requestId: String(res.getHeader('X-Request-Id') ?? ''),
    ...(detail ? { detail } : {}),
    recorded: services.now(),
  });
}

export function auditToken(services: Services): NonNullable<AuthEndpointHooks['onToken']> {
  return ({ req, clientId, outcome, error }) => {
    services.audit.enqueue({
      kind: 'login',
      subtype: 'token',
      action: 'E',
      status: outcome === 'granted' ? 200 : error === 'invalid_client' ? 401 : error === 'rate_limited' ? 429 : 400,
      ...(clientId ? { clientId } : {}),
      address: req.ip ?? 'unknown',
      requestId: String(req.res?.getHeader('X-Request-Id') ?? ''),
      ...(error ? { detail: error } : {}),
      recorded: services.now(),
    });
  };
}
