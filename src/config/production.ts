/**
 * What a production start refuses: settings that are fine on a laptop and wrong for a country's issuer. Each refusal
 * is one message naming the setting to change. (Checks that need loaded packages or the client registry run at
 * start-up in services-auth.ts and services.ts.)
 */
import type { Config } from './schema.ts';

function local(url: string | undefined): boolean {
  if (!url) return false;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host);
}

export function authProblems(c: Partial<Config>): string[] {
  const problems: string[] = [];
  if (Boolean(c.authExternalIssuer) !== Boolean(c.authExternalJwksUrl))
    problems.push('set AUTH_EXTERNAL_ISSUER and AUTH_EXTERNAL_JWKS_URL together');
  return problems;
}

export function productionProblems(c: Partial<Config>): string[] {
  if (!c.production) return [];
  const problems: string[] = [];
  if (c.auth === false)
    problems.push(
      'AUTH=off is refused with NODE_ENV=production: every write and signature would be open to anyone who can reach the server',
    );
  if (!c.issuerCscaCert)
    problems.push(
      'ISSUER_CSCA_CERT (with ISSUER_DSC_CERTS and ISSUER_DSC_KEYS) is required with NODE_ENV=production: development issuer keys are refused',
    );
  if (!c.issuerShcKey)
    problems.push(
      'ISSUER_SHC_KEY is required with NODE_ENV=production: a development SMART Health Card key is refused',
    );
  for (const [env, url] of [
    ['FHIR_BASE_URL', c.fhirBaseUrl],
    ['ISSUER_URL', c.issuerUrl],
    ['SHL_BASE_URL', c.shlBaseUrl],
  ] as const) {
    if (url && !url.startsWith('https://'))
      problems.push(`${env} must be an https URL with NODE_ENV=production, got ${url}`);
    else if (local(url))
      problems.push(`${env} must be this server's public address with NODE_ENV=production, not ${url}`);
  }
  return problems;
}
