/**
 * What an operator must know at start, said once in one line: development keys, no authentication, configured
 * profiles that are not loaded, no trust list. The detail of each is logged at info level where it is found.
 */
import type { Services } from './services.ts';

export function startupAttention(services: Services): string[] {
  const { config } = services;
  const notes: string[] = [];
  if (!config.issuerCscaCert) {
    notes.push(
      `DEVELOPMENT KEYS in ${config.dataDir}/keys: no GDHCN verifier trusts them (set ISSUER_CSCA_CERT, ISSUER_DSC_CERTS, ISSUER_DSC_KEYS)`,
    );
  }
  if (!config.auth) notes.push('NO AUTHENTICATION (AUTH=off): any client may write, issue and revoke');
  if (services.auth.devClientRegistered) {
    notes.push(
      'DEVELOPMENT CLIENT "dev-client" registered: it may do everything on this server; `npx gdhcn-gateway token` prints a bearer token for it (never use it in production)',
    );
  }
  const missing = services.validation.current().policy.missingProfiles;
  if (missing.length > 0) {
    notes.push(
      `PROFILES NOT LOADED: ${missing.join(', ')} (writes are checked against the base definition only; add the IG packages: ig/packages, FHIR_PACKAGES or npm run ig:install)`,
    );
  }
  if (!config.trustListUrl && !config.trustListFile) {
    notes.push(
      `NO TRUST LIST: $verify trusts ${config.trustSelf ? "only this server's own keys" : 'nobody'} (set TRUSTLIST_URL or TRUSTLIST_FILE)`,
    );
  }
  return notes;
}
