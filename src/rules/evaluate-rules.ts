/**
 * Which rules apply to a certificate, and what each says. Selection follows the EU DCC validation rules: the
 * acceptance rules of the arrival country and the invalidation rules of the issuing country, of the certificate's
 * type or General, in force at the validation clock (ValidFrom ≤ clock < ValidTo), the highest Version per
 * Identifier. The data CertLogic sees is `{ payload, external }`, the external parameter carrying validationClock,
 * valueSets, countryCode, exp, iat, issuerCountryCode, kid and region.
 * https://github.com/ehn-dcc-development/eu-dcc-business-rules (business rules and external parameter)
 */
import { checkLogic, estimateCost, longestArray, runChecked, type RuleOutcome } from './certlogic-engine.ts';

/**
 * Payload arrays up to this length are covered by the cost bound computed at load; a longer one (a hostile
 * payload) makes the bound be computed again for it.
 */
const PAYLOAD_ARRAY_BOUND = 1000;
import type { BusinessRule, CertificateType, RuleType, ValueSet } from './rule-model.ts';

/** A rule ready to run: its Logic checked once, when the distribution was loaded. */
export interface LoadedRule {
  rule: BusinessRule;
  /** Why the Logic may not run (the rule is then always `open`). */
  unusable?: string;
  validFrom: number;
  validTo: number;
  /** estimateCost of the Logic for arrays up to max(longest value set, PAYLOAD_ARRAY_BOUND). */
  cost: number;
}

export interface RuleSet {
  rules: LoadedRule[];
  /** valueSetId → codes, as the external parameter gives them. */
  valueSets: Record<string, string[]>;
  /** Longest value set (for the evaluation cost bound). */
  longestValueSet: number;
}

/**
 * Check every rule's Logic once and index the value sets.
 * @example const set = loadRuleSet(distribution.rules, distribution.valueSets)
 */
export function loadRuleSet(rules: readonly BusinessRule[], valueSets: readonly ValueSet[]): RuleSet {
  const sets: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  let longest = 0;
  for (const v of valueSets) {
    sets[v.valueSetId] = v.codes;
    longest = Math.max(longest, v.codes.length);
  }
  const loaded = rules.map((rule): LoadedRule => {
    const checked = checkLogic(rule.Logic);
    const engineMajor = Number(rule.EngineVersion.split('.')[0]);
    const unusable = !checked.ok
      ? checked.reason
      : engineMajor > 1
        ? `EngineVersion ${rule.EngineVersion} is newer than the CertLogic 1.x this engine implements`
        : undefined;
    const cost = unusable ? 0 : estimateCost(rule.Logic, Math.max(longest, PAYLOAD_ARRAY_BOUND));
    return {
      rule,
      ...(unusable ? { unusable } : {}),
      validFrom: Date.parse(rule.ValidFrom),
      validTo: Date.parse(rule.ValidTo),
      cost,
    };
  });
  // A plain object keyed by id: the external parameter is JSON, and `var` reads own keys only after our path guard.
  return { rules: loaded, valueSets: { ...sets }, longestValueSet: longest };
}

/** The EU DCC certificate type of a payload (one of v, t, r holds entries). */
export function certificateTypeOf(payload: unknown): Exclude<CertificateType, 'General'> | undefined {
  const p = payload as { v?: unknown[]; t?: unknown[]; r?: unknown[] } | undefined;
  if (Array.isArray(p?.v) && p.v.length > 0) return 'Vaccination';
  if (Array.isArray(p?.t) && p.t.length > 0) return 'Test';
  if (Array.isArray(p?.r) && p.r.length > 0) return 'Recovery';
  return undefined;
}

function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export interface Selection {
  arrivalCountry: string;
  issuerCountry: string | undefined;
  region?: string;
  certificateType: Exclude<CertificateType, 'General'>;
  clock: Date;
}

/**
 * The rules that apply: acceptance of the arrival country (and region, when the rule names one), invalidation of
 * the issuing country, of the certificate's type or General, in force at the clock; per Identifier the highest
 * Version in force.
 * @example selectRules(set, { arrivalCountry: 'DE', issuerCountry: 'AT', certificateType: 'Vaccination', clock })
 */
export function selectRules(set: RuleSet, s: Selection): LoadedRule[] {
  const t = s.clock.getTime();
  const best = new Map<string, LoadedRule>();
  for (const r of set.rules) {
    const { rule } = r;
    const country = rule.Type === 'Acceptance' ? s.arrivalCountry : s.issuerCountry;
    if (rule.Country !== country) continue;
    if (rule.Type === 'Acceptance' && rule.Region !== undefined && rule.Region !== s.region) continue;
    if (rule.CertificateType !== 'General' && rule.CertificateType !== s.certificateType) continue;
    if (!(r.validFrom <= t && t < r.validTo)) continue;
    const seen = best.get(rule.Identifier);
    if (!seen || compareVersions(rule.Version, seen.rule.Version) > 0) best.set(rule.Identifier, r);
  }
  const order: Record<RuleType, number> = { Invalidation: 0, Acceptance: 1 };
  return [...best.values()].sort(
    (a, b) => order[a.rule.Type] - order[b.rule.Type] || a.rule.Identifier.localeCompare(b.rule.Identifier),
  );
}

export interface ExternalContext {
  clock: Date;
  arrivalCountry: string;
  region?: string;
  issuerCountry?: string;
  /** CWT exp / iat, seconds since the epoch. */
  exp?: number;
  iat?: number;
  /** Key id, base64. */
  kid?: string;
}

/**
 * The `external` parameter as the EU specifies it; instants as ISO 8601 strings with an offset.
 * @example externalParameter(set, { clock, arrivalCountry: 'DE', issuerCountry: 'AT', exp, iat, kid }).countryCode // 'DE'
 */
export function externalParameter(set: RuleSet, c: ExternalContext): Record<string, unknown> {
  const iso = (s: number | undefined): string | undefined =>
    s === undefined || !Number.isFinite(s) ? undefined : new Date(s * 1000).toISOString();
  return {
    validationClock: c.clock.toISOString(),
    valueSets: set.valueSets,
    countryCode: c.arrivalCountry,
    exp: iso(c.exp) ?? null,
    iat: iso(c.iat) ?? null,
    issuerCountryCode: c.issuerCountry ?? null,
    kid: c.kid ?? null,
    region: c.region ?? null,
  };
}

export interface RuleResult {
  identifier: string;
  type: RuleType;
  version: string;
  country: string;
  certificateType: CertificateType;
  result: RuleOutcome;
  /** Why a rule is open. */
  message?: string;
  description: string;
  affectedFields: string[];
}

/**
 * The description in the first language asked for that the rule has, else English.
 * @example describe(rule, ['de', 'en'])
 */
export function describe(rule: BusinessRule, languages: readonly string[]): string {
  for (const lang of languages) {
    const found = rule.Description.find((d) => d.lang === lang);
    if (found) return found.desc;
  }
  return (rule.Description.find((d) => d.lang === 'en') ?? rule.Description[0])?.desc ?? '';
}

/**
 * Evaluate the selected rules on a payload. Each rule is pass, fail or open; an erroring rule is open.
 * @example evaluateRules(set, selected, payload, external, ['en']).map((r) => r.result)
 */
export function evaluateRules(
  set: RuleSet,
  selected: readonly LoadedRule[],
  payload: unknown,
  external: Record<string, unknown>,
  languages: readonly string[],
): RuleResult[] {
  const data = { payload, external };
  const payloadArray = longestArray(payload);
  const maxArray = Math.max(set.longestValueSet, payloadArray);
  const covered = payloadArray <= PAYLOAD_ARRAY_BOUND;
  return selected.map(({ rule, unusable, cost }) => {
    const r = unusable
      ? { outcome: 'open' as const, message: unusable }
      : runChecked(rule.Logic, data, maxArray, covered ? cost : undefined);
    return {
      identifier: rule.Identifier,
      type: rule.Type,
      version: rule.Version,
      country: rule.Country,
      certificateType: rule.CertificateType,
      result: r.outcome,
      ...(r.message ? { message: r.message } : {}),
      description: describe(rule, languages),
      affectedFields: rule.AffectedFields,
    };
  });
}
