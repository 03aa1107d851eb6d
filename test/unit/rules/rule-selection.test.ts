/** Reading the EU DCC rule JSON strictly, and selecting the rules that apply (EU DCC validation rules). */
import { evaluateRules, externalParameter, loadRuleSet, selectRules } from '../../../src/rules/evaluate-rules.ts';
import { parseRule, parseValueSet, readDistribution } from '../../../src/rules/rule-model.ts';
import { rule, valueSet } from '../../helpers/rules.ts';

const clock = new Date('2025-01-01T00:00:00Z');
const payload = {
  ver: '1.3.0',
  nam: { fnt: 'DOE' },
  dob: '1990-01-01',
  v: [{ tg: '840539006', dn: 2, sd: 2, mp: 'EU/1/20/1528', co: 'AT' }],
};

function setOf(rules: Record<string, unknown>[], sets: Record<string, unknown>[] = []) {
  const d = readDistribution({ rules, valueSets: sets });
  expect(d.refused).toEqual([]);
  return loadRuleSet(d.rules, d.valueSets);
}

describe('rule JSON', () => {
  test('when a rule has every field of the schema, then it is read', () => {
    expect(parseRule(rule()).rule?.Identifier).toBe('VR-DE-0001');
  });

  test.each([
    [{ Identifier: 'XX-DE-0001' }, 'Identifier "XX-DE-0001" does not match ^(GR|VR|TR|RR|IR)-[A-Z]{2}-\\d{4}$'],
    [{ Type: 'Maybe' }, 'Type must be Acceptance or Invalidation, not "Maybe"'],
    [{ Engine: 'JSONLOGIC' }, 'Engine must be CERTLOGIC, not "JSONLOGIC"'],
    [{ ValidTo: '2020-01-01T00:00:00Z' }, 'ValidTo must be after ValidFrom'],
    [
      { ValidFrom: '2021-06-01' },
      'ValidFrom "2021-06-01" does not match ^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:?\\d{2})$',
    ],
    [{ CertificateType: 'Test' }, 'Identifier prefix VR does not match CertificateType Test'],
    [
      { Description: [{ lang: 'DE', desc: 'nur deutsch' }] },
      'each Description entry needs lang (ISO 639-1, two lower-case letters) and desc (1..1024 characters)',
    ],
    [{ Logic: undefined }, 'Logic is required'],
  ])('when a rule has %j, then it is refused: %s', (over, problem) => {
    expect(parseRule(rule(over as never)).problems).toContain(problem);
  });

  test('when a value set has more codes than the cap, then it is refused with the count', () => {
    const huge = {
      valueSetId: 'big',
      valueSetValues: Object.fromEntries(Array.from({ length: 100_001 }, (_, i) => [`c${i}`, {}])),
    };
    expect(parseValueSet(huge).problems).toEqual(['value set big has 100001 codes, above the cap of 100000']);
  });

  test('when a distribution mixes good and bad rules, then the good ones are kept and the bad ones listed', () => {
    const d = readDistribution([rule(), rule({ Identifier: 'VR-DE-0002', Engine: 'X' })]);
    expect(d.rules.map((r) => r.Identifier)).toEqual(['VR-DE-0001']);
    expect(d.refused).toEqual([{ at: 'rules[1] (VR-DE-0002)', reason: 'Engine must be CERTLOGIC, not "X"' }]);
  });
});

describe('rule selection', () => {
  const rules = [
    rule(),
    rule({ Identifier: 'VR-DE-0001', Version: '1.1.0', Logic: false }),
    rule({ Identifier: 'VR-DE-0002', ValidFrom: '2026-01-01T00:00:00Z', ValidTo: '2027-01-01T00:00:00Z' }),
    rule({ Identifier: 'VR-DE-0003', ValidFrom: '2021-01-01T00:00:00Z', ValidTo: '2025-01-01T00:00:00Z' }),
    rule({ Identifier: 'TR-DE-0001', CertificateType: 'Test' }),
    rule({ Identifier: 'GR-DE-0001', CertificateType: 'General', Logic: true }),
    rule({ Identifier: 'VR-FR-0001', Country: 'FR' }),
    rule({ Identifier: 'IR-AT-0001', Type: 'Invalidation', Country: 'AT', CertificateType: 'General', Logic: true }),
    rule({ Identifier: 'IR-DE-0001', Type: 'Invalidation', Country: 'DE', CertificateType: 'General', Logic: false }),
    rule({ Identifier: 'VR-DE-0004', Region: 'BY' }),
  ];
  const set = setOf(rules);

  test('when DE is the arrival country and AT the issuer, then DE acceptance + AT invalidation rules in force at the clock apply, highest version each', () => {
    const picked = selectRules(set, {
      arrivalCountry: 'DE',
      issuerCountry: 'AT',
      certificateType: 'Vaccination',
      clock,
    });
    expect(picked.map((r) => `${r.rule.Identifier}@${r.rule.Version}`)).toEqual([
      'IR-AT-0001@1.0.0',
      'GR-DE-0001@1.0.0',
      'VR-DE-0001@1.1.0',
    ]);
  });

  test('when ValidTo equals the clock, then the rule is no longer in force (ValidFrom ≤ clock < ValidTo)', () => {
    const picked = selectRules(set, {
      arrivalCountry: 'DE',
      issuerCountry: 'AT',
      certificateType: 'Vaccination',
      clock: new Date('2024-12-31T23:59:59Z'),
    });
    expect(picked.map((r) => r.rule.Identifier)).toContain('VR-DE-0003');
    expect(
      selectRules(set, { arrivalCountry: 'DE', issuerCountry: 'AT', certificateType: 'Vaccination', clock }).map(
        (r) => r.rule.Identifier,
      ),
    ).not.toContain('VR-DE-0003');
  });

  test('when a region is asked, then rules of that region join the country-wide ones', () => {
    const picked = selectRules(set, {
      arrivalCountry: 'DE',
      issuerCountry: 'AT',
      region: 'BY',
      certificateType: 'Vaccination',
      clock,
    });
    expect(picked.map((r) => r.rule.Identifier)).toContain('VR-DE-0004');
  });

  test('when the rules run, then the external parameter carries what the EU spec lists and results are per rule', () => {
    const vs = setOf(
      [rule({ Logic: { in: [{ var: 'payload.v.0.tg' }, { var: 'external.valueSets.disease-agent-targeted' }] } })],
      [valueSet('disease-agent-targeted', ['840539006'])],
    );
    const external = externalParameter(vs, {
      clock,
      arrivalCountry: 'DE',
      issuerCountry: 'AT',
      exp: 1767225600,
      iat: 1735689600,
      kid: 'AAEC',
      region: 'BY',
    });
    expect(external).toEqual({
      validationClock: '2025-01-01T00:00:00.000Z',
      valueSets: { 'disease-agent-targeted': ['840539006'] },
      countryCode: 'DE',
      exp: '2026-01-01T00:00:00.000Z',
      iat: '2025-01-01T00:00:00.000Z',
      issuerCountryCode: 'AT',
      kid: 'AAEC',
      region: 'BY',
    });
    const [result] = evaluateRules(vs, vs.rules, payload, external, ['de']);
    expect(result).toEqual({
      identifier: 'VR-DE-0001',
      type: 'Acceptance',
      version: '1.0.0',
      country: 'DE',
      certificateType: 'Vaccination',
      result: 'pass',
      description: 'Die Impfserie muss vollständig sein.',
      affectedFields: ['v.0.dn', 'v.0.sd'],
    });
  });

  test('when a rule declares an engine version this engine does not implement, then it is open', () => {
    const s = setOf([rule({ EngineVersion: '2.0.0' })]);
    const [r] = evaluateRules(s, s.rules, payload, {}, ['en']);
    expect(r!.result).toBe('open');
    expect(r!.message).toBe('EngineVersion 2.0.0 is newer than the CertLogic 1.x this engine implements');
  });
});
