/**
 * The `$verify` and `$health-cards-issue` requests, read from their OperationInput (typed by the
 * OperationDefinition) into the plain typed requests `credentials/` takes. Bad input is a 400 naming the parameter.
 */
import type { HealthCardsIssueRequest, VerifyRequest } from '../../credentials/operation-parameters.ts';
import { fail } from '../../fhir/outcome.ts';
import { parseClock } from '../../formats/clock.ts';
import { readDistribution, type RuleDistribution } from '../../rules/rule-model.ts';
import type { OperationInput } from './input.ts';

/**
 * `$verify`: the credential (text; the QR image is read into it by the route; none when a signed document is
 * given), the validation clock (now by default), the caller's keys and the business-rule inputs.
 * @example readVerifyRequest(input, new Date('2026-06-01T00:00:00Z'))
 *   // → { credential: 'HC1:…', validationTime: 2026-06-01T00:00:00.000Z, arrivalCountry: 'DE' }
 */
export function readVerifyRequest(
  input: OperationInput,
  now: Date,
  credentialText?: string,
  given: { document?: boolean } = {},
): VerifyRequest {
  const credential = credentialText ?? input.string('credential');
  if (!credential && !given.document)
    fail('invalid', {
      code: 'required',
      id: 'VERIFY_CREDENTIAL_MISSING',
      text: 'Parameter credential (valueString) is required',
      expression: 'credential',
    });
  const out: VerifyRequest = {
    credential: credential ?? '',
    validationTime: clock(input.dateTimeText('validationTime')) ?? now,
  };
  const certs = input.strings('trustedCertificate');
  if (certs.length > 0) out.trustedCertificates = certs;
  const jwks = input.string('issuerJwks');
  if (jwks !== undefined) out.issuerJwks = jwks;
  const passcode = input.string('passcode');
  if (passcode !== undefined) out.passcode = passcode;
  const country = input.string('country');
  if (country !== undefined) {
    if (!/^[A-Z]{2}$/.test(country))
      fail('invalid', {
        code: 'value',
        id: 'VERIFY_COUNTRY_INVALID',
        text: `Parameter country must be an ISO 3166-1 alpha-2 code (two capital letters), got ${JSON.stringify(country)}`,
        expression: 'country',
      });
    out.arrivalCountry = country;
  }
  const region = input.string('region');
  if (region !== undefined) {
    if (!/^[A-Za-z0-9-]{1,32}$/.test(region))
      fail('invalid', {
        code: 'value',
        id: 'VERIFY_REGION_INVALID',
        text: 'Parameter region must be a region code (letters, digits, -; at most 32)',
        expression: 'region',
      });
    if (country === undefined)
      fail('invalid', {
        code: 'required',
        id: 'VERIFY_REGION_WITHOUT_COUNTRY',
        text: 'Parameter region needs the parameter country',
        expression: 'region',
      });
    out.region = region;
  }
  const ruleSet = input.string('ruleSet');
  if (ruleSet !== undefined) out.ruleSet = ruleSetOf(ruleSet);
  return out;
}

/** validationTime: a date-time with an offset (Z, ±hh:mm, ±hhmm); anything else is refused, never guessed. */
function clock(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const c = parseClock(value);
  if (!c.ok)
    fail('invalid', {
      code: 'value',
      id: 'PARAMETER_DATETIME_INVALID',
      text: `Parameter validationTime: ${c.message}`,
      expression: 'validationTime',
    });
  return c.date;
}

function ruleSetOf(text: string): RuleDistribution {
  const refuse = (why: string): never =>
    fail('invalid', {
      code: 'invalid',
      id: 'VERIFY_RULESET_INVALID',
      text: `Parameter ruleSet ${why}`,
      expression: 'ruleSet',
    });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return refuse(`is not JSON: ${(e as Error).message}`);
  }
  let d: ReturnType<typeof readDistribution>;
  try {
    d = readDistribution(json);
  } catch (e) {
    return refuse(`is refused: ${(e as Error).message}`);
  }
  if (d.refused.length > 0) {
    const first = d.refused
      .slice(0, 3)
      .map((r) => `${r.at}: ${r.reason}`)
      .join(' | ');
    refuse(
      `holds ${d.refused.length} entr${d.refused.length === 1 ? 'y' : 'ies'} that do not conform to the EU DCC rule schema: ${first}`,
    );
  }
  return { rules: d.rules, valueSets: d.valueSets };
}

/**
 * `$health-cards-issue`: credentialType 1..* (the definition requires it), _since, includeIdentityClaim.
 * @example readHealthCardsIssueRequest(input) // → { credentialTypes: ['https://smarthealth.cards#immunization'], since: 2023-03-01T00:00:00.000Z }
 */
export function readHealthCardsIssueRequest(input: OperationInput): HealthCardsIssueRequest {
  const out: HealthCardsIssueRequest = { credentialTypes: input.strings('credentialType') };
  const since = input.dateTime('_since');
  if (since) out.since = since;
  const claims = input.strings('includeIdentityClaim');
  if (claims.length > 0) out.identityClaims = claims;
  return out;
}
