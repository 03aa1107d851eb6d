/**
 * EU DCC business rules and value sets in the shape the DCC gateway distributes them, read strictly: every rule
 * field of the validation-rule schema is checked (Identifier pattern, Type, Country, CertificateType, ValidFrom /
 * ValidTo, Version, SchemaVersion, Engine CERTLOGIC, Logic, AffectedFields, Description by language). A rule that
 * does not conform is refused with its reason, never half-read.
 * https://github.com/eu-digital-green-certificates/dgc-gateway (validation-rule.schema.json) ·
 * https://github.com/ehn-dcc-development/eu-dcc-business-rules
 */
import { RULE_LIMITS } from './limits.ts';

export type RuleType = 'Acceptance' | 'Invalidation';
export type CertificateType = 'General' | 'Vaccination' | 'Test' | 'Recovery';

export interface RuleDescription {
  lang: string;
  desc: string;
}

export interface BusinessRule {
  Identifier: string;
  Type: RuleType;
  Country: string;
  Region?: string;
  CertificateType: CertificateType;
  ValidFrom: string;
  ValidTo: string;
  Version: string;
  SchemaVersion: string;
  Engine: string;
  EngineVersion: string;
  Logic: unknown;
  AffectedFields: string[];
  Description: RuleDescription[];
}

/** Value set as distributed: `valueSetValues` keyed by code. CertLogic sees only the codes. */
export interface ValueSet {
  valueSetId: string;
  valueSetDate?: string;
  codes: string[];
}

export interface RuleDistribution {
  rules: BusinessRule[];
  valueSets: ValueSet[];
}

/** A part of a distribution that was refused, with where and why (the rest is kept). */
export interface RefusedEntry {
  at: string;
  reason: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const IDENTIFIER = /^(GR|VR|TR|RR|IR)-[A-Z]{2}-\d{4}$/;
const COUNTRY = /^[A-Z]{2}$/;
const SEMVER = /^\d+\.\d+\.\d+$/;
/** ISO 8601 date-time with an offset, as the gateway writes ValidFrom / ValidTo. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const TYPES: readonly RuleType[] = ['Acceptance', 'Invalidation'];
const CERT_TYPES: readonly CertificateType[] = ['General', 'Vaccination', 'Test', 'Recovery'];

/** Identifier prefixes fixed by the rule schema: GR general, VR vaccination, TR test, RR recovery, IR invalidation. */
const PREFIX_TYPE: Record<string, CertificateType | undefined> = {
  GR: 'General',
  VR: 'Vaccination',
  TR: 'Test',
  RR: 'Recovery',
  IR: undefined,
};

function stringField(r: Obj, key: string, problems: string[], pattern?: RegExp): string | undefined {
  const v = r[key];
  if (typeof v !== 'string' || v.length === 0) return void problems.push(`${key} is required (a non-empty string)`);
  if (pattern && !pattern.test(v))
    return void problems.push(`${key} "${v.slice(0, 40)}" does not match ${pattern.source}`);
  return v;
}

function descriptions(v: unknown, problems: string[]): RuleDescription[] {
  if (!Array.isArray(v) || v.length === 0)
    return (problems.push('Description must be a non-empty array of { lang, desc }'), []);
  const out: RuleDescription[] = [];
  for (const d of v) {
    if (
      !isObj(d) ||
      typeof d.lang !== 'string' ||
      !/^[a-z]{2}$/.test(d.lang) ||
      typeof d.desc !== 'string' ||
      d.desc.length === 0 ||
      d.desc.length > 1024
    ) {
      problems.push(
        'each Description entry needs lang (ISO 639-1, two lower-case letters) and desc (1..1024 characters)',
      );
      return out;
    }
    out.push({ lang: d.lang, desc: d.desc });
  }
  return out;
}

function affected(v: unknown, problems: string[]): string[] {
  if (!Array.isArray(v) || !v.every((f) => typeof f === 'string' && f.length > 0 && f.length <= 256)) {
    problems.push('AffectedFields must be an array of field paths (strings)');
    return [];
  }
  return v as string[];
}

function checkTimes(from: string | undefined, to: string | undefined, problems: string[]): void {
  if (from === undefined || to === undefined) return;
  const f = Date.parse(from);
  const t = Date.parse(to);
  if (Number.isNaN(f) || Number.isNaN(t)) problems.push('ValidFrom and ValidTo must be real instants');
  else if (t <= f) problems.push('ValidTo must be after ValidFrom');
}

/**
 * One rule read against the rule schema: the rule, or the reasons it was refused.
 * @example parseRule({ Identifier: 'VR-DE-0001', Type: 'Acceptance', … }).rule?.Identifier // 'VR-DE-0001'
 */
export function parseRule(raw: unknown): { rule?: BusinessRule; problems: string[] } {
  if (!isObj(raw)) return { problems: ['a rule must be a JSON object'] };
  const problems: string[] = [];
  const Identifier = stringField(raw, 'Identifier', problems, IDENTIFIER);
  const Type = stringField(raw, 'Type', problems) as RuleType | undefined;
  if (Type && !TYPES.includes(Type)) problems.push(`Type must be Acceptance or Invalidation, not "${Type}"`);
  const Country = stringField(raw, 'Country', problems, COUNTRY);
  const CertificateType = stringField(raw, 'CertificateType', problems) as CertificateType | undefined;
  if (CertificateType && !CERT_TYPES.includes(CertificateType))
    problems.push(`CertificateType must be one of ${CERT_TYPES.join(', ')}`);
  const prefix = Identifier?.slice(0, 2);
  if (prefix === 'IR' && Type && Type !== 'Invalidation') problems.push('an IR- rule must be of Type Invalidation');
  if (prefix && prefix !== 'IR' && CertificateType && PREFIX_TYPE[prefix] !== CertificateType)
    problems.push(`Identifier prefix ${prefix} does not match CertificateType ${CertificateType}`);
  if (raw.Region !== undefined && raw.Region !== null && (typeof raw.Region !== 'string' || raw.Region.length > 32))
    problems.push('Region must be a string of at most 32 characters');
  const ValidFrom = stringField(raw, 'ValidFrom', problems, DATE_TIME);
  const ValidTo = stringField(raw, 'ValidTo', problems, DATE_TIME);
  checkTimes(ValidFrom, ValidTo, problems);
  const Version = stringField(raw, 'Version', problems, SEMVER);
  const SchemaVersion = stringField(raw, 'SchemaVersion', problems, SEMVER);
  const Engine = stringField(raw, 'Engine', problems);
  if (Engine && Engine !== 'CERTLOGIC') problems.push(`Engine must be CERTLOGIC, not "${Engine.slice(0, 40)}"`);
  const EngineVersion = stringField(raw, 'EngineVersion', problems, SEMVER);
  if (raw.Logic === undefined) problems.push('Logic is required');
  const AffectedFields = affected(raw.AffectedFields, problems);
  const Description = descriptions(raw.Description, problems);
  if (problems.length > 0) return { problems };
  const rule: BusinessRule = {
    Identifier: Identifier!,
    Type: Type!,
    Country: Country!,
    CertificateType: CertificateType!,
    ValidFrom: ValidFrom!,
    ValidTo: ValidTo!,
    Version: Version!,
    SchemaVersion: SchemaVersion!,
    Engine: Engine!,
    EngineVersion: EngineVersion!,
    Logic: raw.Logic,
    AffectedFields,
    Description,
  };
  if (typeof raw.Region === 'string' && raw.Region !== '') rule.Region = raw.Region;
  return { rule, problems };
}

/**
 * A value set as the gateway distributes it (`valueSetId`, `valueSetDate`, `valueSetValues` keyed by code).
 * @example parseValueSet({ valueSetId: 'disease-agent-targeted', valueSetValues: { '840539006': { display: 'COVID-19' } } })
 */
export function parseValueSet(raw: unknown): { valueSet?: ValueSet; problems: string[] } {
  if (!isObj(raw)) return { problems: ['a value set must be a JSON object'] };
  if (typeof raw.valueSetId !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(raw.valueSetId))
    return { problems: ['valueSetId is required (letters, digits, . _ -)'] };
  if (!isObj(raw.valueSetValues))
    return { problems: [`valueSetValues of ${raw.valueSetId} must be an object keyed by code`] };
  const codes = Object.keys(raw.valueSetValues);
  if (codes.length > RULE_LIMITS.maxCodesPerValueSet) {
    return {
      problems: [
        `value set ${raw.valueSetId} has ${codes.length} codes, above the cap of ${RULE_LIMITS.maxCodesPerValueSet}`,
      ],
    };
  }
  const valueSet: ValueSet = { valueSetId: raw.valueSetId, codes };
  if (typeof raw.valueSetDate === 'string') valueSet.valueSetDate = raw.valueSetDate;
  return { valueSet, problems: [] };
}

function listOf(json: Obj, key: string): unknown[] {
  const v = json[key];
  return Array.isArray(v) ? v : [];
}

/**
 * A rule distribution: `{ rules: [...], valueSets: [...] }`, a bare array of rules, or one rule. Rules and value
 * sets that do not conform are refused one by one (listed in `refused`); a document over the count caps is refused
 * whole (thrown as an Error with the reason).
 * @example readDistribution([rule]).rules.length // 1
 */
export function readDistribution(json: unknown): RuleDistribution & { refused: RefusedEntry[] } {
  const doc: Obj = Array.isArray(json)
    ? { rules: json }
    : isObj(json) && 'Identifier' in json
      ? { rules: [json] }
      : isObj(json)
        ? json
        : {};
  if (!Array.isArray(json) && !isObj(json))
    throw new Error('a rule distribution must be a JSON object or an array of rules');
  const rawRules = listOf(doc, 'rules');
  const rawSets = listOf(doc, 'valueSets');
  if (rawRules.length > RULE_LIMITS.maxRules)
    throw new Error(`the distribution has ${rawRules.length} rules, above the cap of ${RULE_LIMITS.maxRules}`);
  if (rawSets.length > RULE_LIMITS.maxValueSets)
    throw new Error(`the distribution has ${rawSets.length} value sets, above the cap of ${RULE_LIMITS.maxValueSets}`);
  const refused: RefusedEntry[] = [];
  const rules: BusinessRule[] = [];
  rawRules.forEach((r, i) => {
    const { rule, problems } = parseRule(r);
    if (rule) rules.push(rule);
    else
      refused.push({
        at: `rules[${i}]${isObj(r) && typeof r.Identifier === 'string' ? ` (${r.Identifier.slice(0, 20)})` : ''}`,
        reason: problems.join('; '),
      });
  });
  const valueSets: ValueSet[] = [];
  let total = 0;
  rawSets.forEach((v, i) => {
    const { valueSet, problems } = parseValueSet(v);
    if (valueSet && total + valueSet.codes.length > RULE_LIMITS.maxCodesTotal) {
      refused.push({
        at: `valueSets[${i}]`,
        reason: `the value sets together would hold more than ${RULE_LIMITS.maxCodesTotal} codes`,
      });
    } else if (valueSet) {
      total += valueSet.codes.length;
      valueSets.push(valueSet);
    } else refused.push({ at: `valueSets[${i}]`, reason: problems.join('; ') });
  });
  return { rules, valueSets, refused };
}
