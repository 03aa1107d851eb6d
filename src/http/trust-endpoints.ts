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
import type { ResourceStore } from '../storage/store.ts';
import { renewalStatus } from '../trust/renewal.ts';
import { fail } from '../fhir/outcome.ts';
import { buildDccBatches, buildShcCrl, revokedCredentialIds } from '../credentials/revocation-publish.ts';

export interface TrustEndpointDeps {
  issuerKeys: IssuerKeySet;
  did: string;
  trust: TrustListSync;
  revocations?: Pick<Revocations, 'status'>;
  /** Where our revocation list lives (for the published CRL and DCC hash list). */
  store?: ResourceStore;
  now?: () => Date;
  config?: { dscRenewalMarginMs: number };
}

/** How long a published DCC batch says it is good for (verifiers re-fetch before). */
const BATCH_VALIDITY_MS = 48 * 3600_000;

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
  app.get('/.well-known/crl/:file', async (req: Request, res: Response) => {
    const kid = String(req.params.file).replace(/\.json$/, '');
    // Retired keys keep their CRL: a card they signed can still be revoked and checked.
    const ours = [deps.issuerKeys.shc?.kid, ...(deps.issuerKeys.shcRetired ?? []).map((r) => r.kid)];
    if (!deps.store || !ours.includes(kid))
      fail('not-found', {
        severity: 'error',
        code: 'not-found',
        id: 'CRL_UNKNOWN_KID',
        text: `No revocation list is published for kid ${kid.slice(0, 64)}`,
      });
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.json(buildShcCrl(kid, await revokedCredentialIds(deps.store)));
  });
  app.get('/trust/revocation/dcc.json', async (_req: Request, res: Response) => {
    if (!deps.store)
      fail('not-found', {
        severity: 'error',
        code: 'not-found',
        id: 'CRL_UNKNOWN_KID',
        text: 'No revocation list is published',
      });
    const now = deps.now?.() ?? new Date();
    const kids = deps.issuerKeys.dscs.map((d) => d.kid);
    res.json(
      buildDccBatches(
        deps.issuerKeys.country,
        kids,
        await revokedCredentialIds(deps.store),
        new Date(now.getTime() + BATCH_VALIDITY_MS),
      ),
    );
  });
  app.get('/trust/status', (req: Request, res: Response) => {
    res.json({
      ...deps.trust.status({ detail: req.query.detail === 'true' }),
      ...(deps.revocations ? { revocation: deps.revocations.status() } : {}),
      ...(deps.config
        ? { renewal: renewalStatus(deps.issuerKeys, deps.now?.() ?? new Date(), deps.config.dscRenewalMarginMs) }
        : {}),
    });
  });
}
