/**
 * FHIR Parameters in and out of the credential operations, so the HTTP layer only moves resources:
 * `$verify` input, `$health-cards-issue` input/output, and the outputs of `$issue-hcert` and `$issue-shl`.
 * Bad input is an OutcomeError('invalid') with a stable id naming the parameter.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/OperationDefinition-patient-i-health-cards-issue.html
 */
import type { Attachment, OperationOutcome, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { fail } from '../fhir/outcome.ts';
import { parseClock } from '../formats/clock.ts';
import type { IssuedHcert } from './issue-hcert.ts';
import type { IssuedShc } from './issue-shc.ts';
import type { IssuedShl, IssuedVhl } from './issue-shl.ts';
import type { QrImages } from './qr-images.ts';
import { readDistribution, type RuleDistribution } from '../rules/rule-model.ts';

const all = (p: Parameters, name: string): ParametersParameter[] => (p.parameter ?? []).filter((x) => x.name === name);

function instant(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (!/^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?)?)?$/.test(value) || Number.isNaN(t)) {
    fail('invalid', { code: 'value', id: 'PARAMETER_DATETIME_INVALID', text: `Parameter ${name} is not a FHIR dateTime: ${value}`, expression: `Parameters.parameter.where(name='${name}')` });
  }
  return new Date(t);
}

/** validationTime: a date-time with an offset (Z, ±hh:mm, ±hhmm); anything else is refused, never guessed. */
function clockParameter(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const c = parseClock(value);
  if (!c.ok) fail('invalid', { code: 'value', id: 'PARAMETER_DATETIME_INVALID', text: `Parameter validationTime: ${c.message}`, expression: "Parameters.parameter.where(name='validationTime')" });
  return c.date;
}

export interface VerifyRequest {
  credential: string;
  validationTime: Date;
  trustedCertificates?: string[];
  issuerJwks?: string;
  passcode?: string;
  /** Arrival country for the business rules (ISO 3166-1 alpha-2). */
  arrivalCountry?: string;
  region?: string;
  /** Rules (and value sets) the caller gives instead of the configured ones. */
  ruleSet?: RuleDistribution;
  /** Languages of rule descriptions, in order of preference (Accept-Language). */
  languages?: string[];
}

const at = (name: string): string => `Parameters.parameter.where(name='${name}')`;

function readRuleSetParameter(text: string): RuleDistribution {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail('invalid', { code: 'invalid', id: 'VERIFY_RULESET_INVALID', text: `Parameter ruleSet is not JSON: ${(e as Error).message}`, expression: at('ruleSet') });
  }
  let d: ReturnType<typeof readDistribution>;
  try {
    d = readDistribution(json);
  } catch (e) {
    return fail('invalid', { code: 'invalid', id: 'VERIFY_RULESET_INVALID', text: `Parameter ruleSet is refused: ${(e as Error).message}`, expression: at('ruleSet') });
  }
  if (d.refused.length > 0) {
    const first = d.refused.slice(0, 3).map((r) => `${r.at}: ${r.reason}`).join(' | ');
    fail('invalid', { code: 'invalid', id: 'VERIFY_RULESET_INVALID', text: `Parameter ruleSet holds ${d.refused.length} entr${d.refused.length === 1 ? 'y' : 'ies'} that do not conform to the EU DCC rule schema: ${first}`, expression: at('ruleSet') });
  }
  return { rules: d.rules, valueSets: d.valueSets };
}

function readRulesInput(p: Parameters, out: VerifyRequest): void {
  const country = all(p, 'country')[0];
  if (country) {
    const c = country.valueCode ?? country.valueString;
    if (typeof c !== 'string' || !/^[A-Z]{2}$/.test(c)) fail('invalid', { code: 'value', id: 'VERIFY_COUNTRY_INVALID', text: `Parameter country must be an ISO 3166-1 alpha-2 code (two capital letters), got ${JSON.stringify(c ?? null)}`, expression: at('country') });
    out.arrivalCountry = c;
  }
  const region = all(p, 'region')[0];
  if (region) {
    const r = region.valueCode ?? region.valueString;
    if (typeof r !== 'string' || !/^[A-Za-z0-9-]{1,32}$/.test(r)) fail('invalid', { code: 'value', id: 'VERIFY_REGION_INVALID', text: 'Parameter region must be a region code (letters, digits, -; at most 32)', expression: at('region') });
    if (!country) fail('invalid', { code: 'required', id: 'VERIFY_REGION_WITHOUT_COUNTRY', text: 'Parameter region needs the parameter country', expression: at('region') });
    out.region = r;
  }
  const ruleSet = all(p, 'ruleSet')[0];
  if (ruleSet) {
    if (typeof ruleSet.valueString !== 'string') fail('invalid', { code: 'value', id: 'VERIFY_RULESET_INVALID', text: 'Parameter ruleSet is the rule distribution as JSON text (valueString)', expression: at('ruleSet') });
    out.ruleSet = readRuleSetParameter(ruleSet.valueString);
  }
}

/**
 * Read the `$verify` input Parameters; `now` is the default validation time.
 * @example const { credential, ...options } = readVerifyParameters(body, new Date())
 */
export function readVerifyParameters(p: Parameters, now: Date): VerifyRequest {
  if (p?.resourceType !== 'Parameters') fail('invalid', { code: 'structure', id: 'VERIFY_NOT_PARAMETERS', text: 'The body of $verify is a Parameters resource' });
  const credential = all(p, 'credential')[0]?.valueString;
  if (!credential) fail('invalid', { code: 'required', id: 'VERIFY_CREDENTIAL_MISSING', text: 'Parameter credential (valueString) is required', expression: "Parameters.parameter.where(name='credential')" });
  const out: VerifyRequest = { credential, validationTime: clockParameter(all(p, 'validationTime')[0]?.valueDateTime) ?? now };
  const certs = all(p, 'trustedCertificate').map((x) => x.valueString).filter((x): x is string => typeof x === 'string');
  if (certs.length > 0) out.trustedCertificates = certs;
  const jwks = all(p, 'issuerJwks')[0]?.valueString;
  if (jwks !== undefined) out.issuerJwks = jwks;
  const passcode = all(p, 'passcode')[0]?.valueString;
  if (passcode !== undefined) out.passcode = passcode;
  readRulesInput(p, out);
  return out;
}

export interface HealthCardsIssueRequest {
  credentialTypes: string[];
  since?: Date;
  identityClaims?: string[];
}

/**
 * Read the `$health-cards-issue` input (credentialType 1..*, _since, includeIdentityClaim).
 * @example issueShc(ctx, { patient, immunizations, ...readHealthCardsIssueParameters(body), now, requester })
 */
export function readHealthCardsIssueParameters(p: Parameters): HealthCardsIssueRequest {
  const credentialTypes = all(p, 'credentialType').map((x) => x.valueUri ?? x.valueString).filter((x): x is string => typeof x === 'string');
  if (credentialTypes.length === 0) fail('invalid', { code: 'required', id: 'SHC_CREDENTIAL_TYPE_MISSING', text: 'Parameter credentialType (valueUri) is required', expression: "Parameters.parameter.where(name='credentialType')" });
  const out: HealthCardsIssueRequest = { credentialTypes };
  const since = instant(all(p, '_since')[0]?.valueDateTime, '_since');
  if (since) out.since = since;
  const claims = all(p, 'includeIdentityClaim').map((x) => x.valueString).filter((x): x is string => typeof x === 'string');
  if (claims.length > 0) out.identityClaims = claims;
  return out;
}

/**
 * `$health-cards-issue` output: verifiableCredential*, resourceLink* (vcIndex, bundledResource, hostedResource).
 * @example res.json(healthCardsIssueToParameters(await issueShc(ctx, input)))
 */
export function healthCardsIssueToParameters(r: IssuedShc): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      ...r.verifiableCredential.map((jws) => ({ name: 'verifiableCredential', valueString: jws })),
      ...r.resourceLink.map((l) => ({
        name: 'resourceLink',
        part: [
          { name: 'vcIndex', valueInteger: l.vcIndex },
          { name: 'bundledResource', valueUri: l.bundledResource },
          { name: 'hostedResource', valueUri: l.hostedResource },
        ],
      })),
    ],
  };
}

function qrParameters(prefix: string, qr: QrImages): ParametersParameter[] {
  const out: ParametersParameter[] = [];
  const attachment = (contentType: string, data: string): Attachment => ({ contentType, data });
  if (qr.png) out.push({ name: `${prefix}Png`, valueAttachment: attachment('image/png', Buffer.from(qr.png).toString('base64')) });
  if (qr.svg) out.push({ name: `${prefix}Svg`, valueAttachment: attachment('image/svg+xml', Buffer.from(qr.svg).toString('base64')) });
  if (qr.version) out.push({ name: `${prefix}Version`, valueInteger: qr.version });
  return out;
}

const warningsParameter = (warnings: IssuedHcert['warnings']): ParametersParameter[] =>
  warnings.length === 0 ? [] : [{ name: 'warnings', resource: { resourceType: 'OperationOutcome', issue: warnings } as OperationOutcome }];

/**
 * `$issue-hcert` output: hc1, kid, certificateId, issuedAt, expiresAt, qrPng/qrSvg/qrVersion, ddccDocument, warnings.
 * @example res.json(hcertToParameters(await issueHcert(ctx, input)))
 */
export function hcertToParameters(r: IssuedHcert): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'hc1', valueString: r.hc1 },
      { name: 'kid', valueString: r.kid },
      { name: 'certificateId', valueString: r.certificateId },
      { name: 'issuedAt', valueInstant: new Date(r.iat * 1000).toISOString() },
      { name: 'expiresAt', valueInstant: new Date(r.exp * 1000).toISOString() },
      ...qrParameters('qr', r.qr),
      { name: 'ddccDocument', resource: r.ddccDocument },
      ...warningsParameter(r.warnings),
    ],
  };
}

/**
 * `$issue-shl` output: shlink, manifestUrl, qr…; with a VHL also vhl (HC1 text), kid and vhlQr….
 * @example res.json(shlToParameters(await issueVhl(ctx, shl, input)))
 */
export function shlToParameters(r: IssuedShl | IssuedVhl): Parameters {
  const vhl = 'hc1' in r ? [{ name: 'vhl', valueString: r.hc1 }, { name: 'kid', valueString: r.kid }, ...qrParameters('vhlQr', r.vhlQr)] : [];
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'shlink', valueString: r.link },
      { name: 'manifestUrl', valueUri: r.manifestUrl },
      ...(r.payload.exp !== undefined ? [{ name: 'expiresAt', valueInstant: new Date(r.payload.exp * 1000).toISOString() }] : []),
      ...qrParameters('qr', r.qr),
      ...vhl,
      ...warningsParameter(r.warnings),
    ],
  };
}
