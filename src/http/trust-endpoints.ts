/**
 * Where verifiers look for this issuer's keys, and how the trust list is doing:
 * /.well-known/jwks.json (SMART Health Card keys), /trust/did.json (our DSCs as a GDHCN-shaped DID document),
 * /trust/certificates (PEM), /trust/status (trust-list source, age, counts, last error).
 * Private keys never leave the process: the builders only read public parts.
 */
import type { Express, Request, Response } from 'express';
import { buildIssuerDidDocument, buildJwks, buildPemList } from '../trust/publish.ts';
import type { IssuerKeySet } from '../trust/issuer-keys.ts';
import type { TrustListSync } from '../trust/sync.ts';
import type { Revocations } from '../trust/revocations.ts';

export interface TrustEndpointDeps {
  issuerKeys: IssuerKeySet;
  did: string;
  trust: TrustListSync;
  revocations?: Pick<Revocations, 'status'>;
}

export function mountTrustEndpoints(app: Express, deps: TrustEndpointDeps): void {
  app.get('/.well-known/jwks.json', (_req: Request, res: Response) => {
    res.setHeader('Access-Control-Allow-Origin', '*'); // SHC verifiers fetch it from browsers
    res.json(buildJwks(deps.issuerKeys));
  });
  app.get('/trust/did.json', (_req: Request, res: Response) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.type('application/did+json').send(JSON.stringify(buildIssuerDidDocument(deps.issuerKeys, deps.did)));
  });
  app.get('/trust/certificates', (_req: Request, res: Response) => {
    res.type('application/x-pem-file').send(buildPemList(deps.issuerKeys));
  });
  app.get('/trust/status', (req: Request, res: Response) => {
    res.json({ ...deps.trust.status({ detail: req.query.detail === 'true' }), ...(deps.revocations ? { revocation: deps.revocations.status() } : {}) });
  });
}
