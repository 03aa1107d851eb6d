/**
 * Composition of the credential services (part of the composition root): the issuer context (keys, terminology of
 * the loaded packages, the issuing Organization, the validator, the trust list), the SHL registry and the options
 * `$verify` runs with, including the guarded SHL fetcher.
 */
import type { Organization } from '@medplum/fhirtypes';
import type { Config } from './config/schema.ts';
import { NODE_RANDOMNESS, type IssuerContext, type ValidateFn } from './credentials/issuer-context.ts';
import { credentialTerminology, type CredentialTerminology } from './credentials/mapping/terminology.ts';
import type { VerifyRequest } from './credentials/operation-parameters.ts';
import { createGuardedShlFetcher } from './credentials/shl-fetch.ts';
import { localVhlFetcher } from './credentials/vhl-fetch.ts';
import { revocationSource } from './credentials/revocation.ts';
import { answerManifest, readDirectFile, readShlFile, type ShlContext } from './credentials/shl-links.ts';
import type { RevocationCheck, ShlFetcher, VerifyOptions } from './credentials/verify-options.ts';
import { OutcomeError, issue } from './fhir/outcome.ts';
import type { ValidationState, ValidationService } from './services-validation.ts';
import type { ResourceStore } from './storage/store.ts';
import type { BusinessRulesRequest } from './credentials/verify-rules.ts';
import { loadRuleSet } from './rules/evaluate-rules.ts';
import type { RuleSource } from './rules/rule-source.ts';
import type { TrustServices } from './services-trust.ts';
import { ddccVsProfileCheck } from './credentials/ddcc-vs-plan.ts';

export interface CredentialServices {
  /** The issuer context for this moment's loaded packages (rebuilt after `$install-package`). */
  issuer(): IssuerContext;
  shl: ShlContext;
  /** Options of `verifyCredential` for one `$verify` request. */
  verifyOptions(request: VerifyRequest): VerifyOptions;
  hcertValiditySeconds: number;
  /** VHL_RECEIVER_TRUST_NETWORK: the OAuth with SSRAA Option is offered, so VHLs carry extension.fhirBaseUrl. */
  vhlSsraa?: boolean;
}

interface Parts {
  config: Config;
  store: ResourceStore;
  validation: ValidationService;
  trust: TrustServices;
  now: () => Date;
  /** The fetch used for allow-listed remote SHL manifests (tests pass their own). */
  fetch?: typeof fetch;
  /** The configured business-rule source, if any. */
  rules?: RuleSource | undefined;
}

export function createCredentialServices({
  config,
  store,
  validation,
  trust,
  now,
  fetch,
  rules,
}: Parts): CredentialServices {
  const organization: Organization = { resourceType: 'Organization', id: 'issuer', name: config.issuerName };
  const shl: ShlContext = { store, shlBaseUrl: config.shlBaseUrl, randomBytes: NODE_RANDOMNESS.randomBytes };
  const terminologies = new WeakMap<ValidationState, CredentialTerminology>();
  const terminology = (state: ValidationState): CredentialTerminology => {
    let t = terminologies.get(state);
    if (!t) terminologies.set(state, (t = credentialTerminology(state.packages)));
    return t;
  };
  const validate: ValidateFn = (resource, profile) => validation.current().validator.validate(resource, { profile });
  const shcKey = trust.issuerKeys.shc;
  const ownRevocations = revocationSource(store, {
    country: trust.issuerKeys.country,
    kids: () => trust.issuerKeys.dscs.map((d) => d.kid),
    ...(shcKey ? { shc: { iss: config.issuerUrl, kid: shcKey.kid } } : {}),
  });
  // Our own list answers for our credentials; imported lists (EU DCC batches, SHC CRLs) for other issuers.
  const isRevoked: RevocationCheck = async (query) => (await ownRevocations(query)) ?? trust.revocations.check(query);
  const ownLinks = `${config.shlBaseUrl}/`;
  const fetchShl = createGuardedShlFetcher({
    allow: config.shlFetchAllow,
    local: { prefix: ownLinks, handle: localShlFetcher(shl, ownLinks, now) },
    ...(fetch ? { fetch } : {}),
  });
  const fetchVhl = localVhlFetcher(shl, { fhirBase: config.fhirBaseUrl, fetchShl, now });
  return {
    issuer: () => ({
      keys: trust.issuerKeys,
      terminology: terminology(validation.current()),
      organization,
      store,
      validate,
      trust: trust.trust,
      shcIssuerUrl: config.issuerUrl,
      ...NODE_RANDOMNESS,
    }),
    shl,
    verifyOptions: (request) => ({
      validationTime: request.validationTime,
      trust: trust.trust,
      validate,
      checkDdccVsDocument: (document, warnings) =>
        ddccVsProfileCheck(validation.current().validator, document, warnings),
      fetchShl,
      fetchVhl,
      isRevoked,
      ...(request.trustedCertificates ? { trustedCertificates: request.trustedCertificates } : {}),
      ...(request.issuerJwks !== undefined ? { issuerJwks: request.issuerJwks } : {}),
      ...(request.passcode !== undefined ? { passcode: request.passcode } : {}),
      ...businessRulesFor(request, rules),
    }),
    hcertValiditySeconds: Math.floor(config.hcertValidityMs / 1000),
    vhlSsraa: config.vhlReceiverTrustNetwork,
  };
}

/**
 * The business rules of one `$verify`: asked for by `country` or `ruleSet`, or always when a source is configured
 * (then the check says why it was skipped). Rules the caller gives replace the configured ones; their value sets
 * join the configured value sets.
 */
function businessRulesFor(
  request: VerifyRequest,
  source: RuleSource | undefined,
): { businessRules?: BusinessRulesRequest } {
  if (!source && !request.arrivalCountry && !request.ruleSet) return {};
  const languages = [...(request.languages ?? []), 'en'];
  const base = {
    languages,
    ...(request.arrivalCountry ? { arrivalCountry: request.arrivalCountry } : {}),
    ...(request.region ? { region: request.region } : {}),
  };
  const configured = source?.current();
  if (request.ruleSet) {
    const ids = new Set(request.ruleSet.valueSets.map((v) => v.valueSetId));
    const inherited = Object.entries(configured?.valueSets ?? {})
      .filter(([id]) => !ids.has(id))
      .map(([valueSetId, codes]) => ({ valueSetId, codes }));
    return {
      businessRules: {
        ...base,
        ruleSet: loadRuleSet(request.ruleSet.rules, [...inherited, ...request.ruleSet.valueSets]),
      },
    };
  }
  if (configured) return { businessRules: { ...base, ruleSet: configured } };
  const status = source?.status();
  const unavailable = status
    ? `No business rules are loaded from ${status.source}${status.lastError ? `: ${status.lastError.message}` : ''}`
    : 'No business rules are configured (RULES_URL or RULES_FILE) and none were given (ruleSet)';
  return { businessRules: { ...base, unavailable } };
}

/**
 * This server's own links, answered without a socket: `<base>/<linkId>` (manifest POST, or GET for flag U) and
 * `<base>/<linkId>/file/<ticket>`. The link's state is judged at the server's clock, not the verifier's
 * validationTime: the server would answer a remote verifier the same way.
 */
function localShlFetcher(shl: ShlContext, prefix: string, now: () => Date): ShlFetcher {
  // The fetcher hands over the normalised URL: compare paths, not raw strings (case, default ports).
  const base = new URL(prefix).pathname;
  return async (url, request) => {
    const parts = new URL(url).pathname.slice(base.length).split('/');
    if (parts.length === 1 && parts[0])
      return request ? answerManifest(shl, parts[0], request, now()) : readDirectFile(shl, parts[0], now());
    if (parts.length === 3 && parts[1] === 'file' && !request) return readShlFile(shl, parts[0], parts[2], now());
    throw new OutcomeError(
      'not-found',
      issue({ code: 'not-found', id: 'SHL_NOT_FOUND', text: 'No SMART Health Link endpoint at this URL' }),
    );
  };
}
