/**
 * The `business-rules` check of `$verify`: the EU DCC rules that apply to this certificate — acceptance rules of
 * the arrival country, invalidation rules of the issuing country — evaluated on its payload. Pass when every rule
 * passes; a rule that fails or cannot be evaluated (`open`) fails the check, and each is named in the outcome.
 * https://github.com/ehn-dcc-development/eu-dcc-business-rules
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcome.ts';
import {
  certificateTypeOf,
  evaluateRules,
  externalParameter,
  selectRules,
  type RuleResult,
  type RuleSet,
} from '../rules/evaluate-rules.ts';
import type { VerifyCheck } from './verdict.ts';

export interface BusinessRulesRequest {
  /** Arrival country, ISO 3166-1 alpha-2 (`country` of `$verify`). */
  arrivalCountry?: string;
  region?: string;
  /** Languages of the descriptions, in order of preference (Accept-Language), `en` last. */
  languages: readonly string[];
  ruleSet?: RuleSet;
  /** Why there is no rule set (no source configured, not loaded yet…). */
  unavailable?: string;
}

export interface RulesCheckInput {
  payload: unknown;
  issuerCountry?: string;
  exp?: number;
  iat?: number;
  kid?: string;
  clock: Date;
}

export interface RulesCheckResult {
  check: VerifyCheck;
  rules: RuleResult[];
  issues: OperationOutcomeIssue[];
}

const skipped = (message: string): RulesCheckResult => ({
  check: { name: 'business-rules', status: 'skipped', message },
  rules: [],
  issues: [],
});

function ruleIssue(r: RuleResult): OperationOutcomeIssue {
  const open = r.result === 'open';
  const text = open
    ? `Business rule ${r.identifier} (${r.type}, version ${r.version}) could not be evaluated: ${r.message ?? 'open'}`
    : `Business rule ${r.identifier} (${r.type}, version ${r.version}) failed: ${r.description}`;
  return {
    ...issue({
      code: 'business-rule',
      id: open ? 'VERIFY_RULE_OPEN' : 'VERIFY_RULE_FAILED',
      text,
      expression: `rule.where(identifier='${r.identifier}')`,
    }),
    diagnostics: `affected fields: ${r.affectedFields.join(', ') || '-'}`,
  };
}

/**
 * Select and run the rules for one EU DCC payload.
 * @example businessRulesCheck({ payload, issuerCountry: 'AT', clock }, { arrivalCountry: 'DE', languages: ['en'], ruleSet }).check.status // 'pass'
 */
export function businessRulesCheck(input: RulesCheckInput, request: BusinessRulesRequest): RulesCheckResult {
  if (!request.arrivalCountry)
    return skipped(
      'No arrival country was given (parameter country): business rules are chosen by the country of arrival',
    );
  if (!request.ruleSet) return skipped(request.unavailable ?? 'No business rules are configured');
  if (input.payload === undefined)
    return skipped('Business rules apply to EU DCC payloads; this credential carries none');
  const certificateType = certificateTypeOf(input.payload);
  if (!certificateType)
    return skipped('The EU DCC payload holds no vaccination, test or recovery entry to apply rules to');
  const selected = selectRules(request.ruleSet, {
    arrivalCountry: request.arrivalCountry,
    issuerCountry: input.issuerCountry,
    ...(request.region ? { region: request.region } : {}),
    certificateType,
    clock: input.clock,
  });
  if (selected.length === 0) {
    return skipped(
      `No business rules of ${request.arrivalCountry} (acceptance) or ${input.issuerCountry ?? 'the issuer'} (invalidation) for ${certificateType} certificates are in force at ${input.clock.toISOString()}`,
    );
  }
  const external = externalParameter(request.ruleSet, {
    clock: input.clock,
    arrivalCountry: request.arrivalCountry,
    ...(request.region ? { region: request.region } : {}),
    ...(input.issuerCountry ? { issuerCountry: input.issuerCountry } : {}),
    ...(input.exp !== undefined ? { exp: input.exp } : {}),
    ...(input.iat !== undefined ? { iat: input.iat } : {}),
    ...(input.kid ? { kid: input.kid } : {}),
  });
  const rules = evaluateRules(request.ruleSet, selected, input.payload, external, request.languages);
  const failed = rules.filter((r) => r.result === 'fail');
  const open = rules.filter((r) => r.result === 'open');
  if (failed.length === 0 && open.length === 0)
    return {
      check: {
        name: 'business-rules',
        status: 'pass',
        message: `${rules.length} business rule(s) of ${request.arrivalCountry} passed`,
      },
      rules,
      issues: [],
    };
  const parts = [
    failed.length ? `failed: ${failed.map((r) => r.identifier).join(', ')}` : '',
    open.length ? `open (not evaluable): ${open.map((r) => r.identifier).join(', ')}` : '',
  ].filter(Boolean);
  return {
    check: {
      name: 'business-rules',
      status: 'fail',
      failure: 'rules-failed',
      message: `Business rules for arrival in ${request.arrivalCountry}: ${parts.join('; ')}`,
    },
    rules,
    issues: [...failed, ...open].map(ruleIssue),
  };
}
