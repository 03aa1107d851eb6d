/** Builders of EU DCC business rules and value sets for tests (the gateway's JSON shape). */
import type { BusinessRule } from '../../src/rules/rule-model.ts';

export function rule(overrides: Partial<BusinessRule> & Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Identifier: 'VR-DE-0001',
    Type: 'Acceptance',
    Country: 'DE',
    CertificateType: 'Vaccination',
    ValidFrom: '2021-06-01T00:00:00Z',
    ValidTo: '2030-06-01T00:00:00Z',
    Version: '1.0.0',
    SchemaVersion: '1.3.0',
    Engine: 'CERTLOGIC',
    EngineVersion: '1.0.0',
    Logic: { '===': [{ var: 'payload.v.0.dn' }, { var: 'payload.v.0.sd' }] },
    AffectedFields: ['v.0.dn', 'v.0.sd'],
    Description: [
      { lang: 'en', desc: 'The vaccination schedule must be complete.' },
      { lang: 'de', desc: 'Die Impfserie muss vollständig sein.' },
    ],
    ...overrides,
  };
}

export function valueSet(id: string, codes: string[]): Record<string, unknown> {
  return {
    valueSetId: id,
    valueSetDate: '2021-06-01',
    valueSetValues: Object.fromEntries(
      codes.map((c) => [c, { display: c, lang: 'en', active: true, version: '', system: 'http://snomed.info/sct' }]),
    ),
  };
}
