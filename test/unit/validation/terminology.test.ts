/** Offline terminology: binding strengths, filters over loaded hierarchies, systems not held, display checks, aliases. */
import type { OperationOutcome } from '@medplum/fhirtypes';
import { createValidator } from '../../../src/validation/validator.ts';
import { sharedPackages } from './shared-packages.ts';
import { deriveProfile, edit, withResources } from './synthetic.ts';

const base = await sharedPackages();
const T = 'http://test.local/';
const codeSystem = {
  resourceType: 'CodeSystem',
  url: `${T}cs`,
  status: 'active',
  content: 'complete',
  concept: [
    { code: 'A', display: 'Alpha', concept: [{ code: 'A1', display: 'Alpha one' }] },
    { code: 'B', display: 'Beta' },
  ],
};
const isA = {
  resourceType: 'ValueSet',
  url: `${T}vs-isa`,
  status: 'active',
  compose: { include: [{ system: `${T}cs`, filter: [{ property: 'concept', op: 'is-a', value: 'A' }] }] },
};
const snomed = {
  resourceType: 'ValueSet',
  url: `${T}vs-snomed`,
  status: 'active',
  compose: { include: [{ system: 'http://snomed.info/sct' }] },
};
const imports = {
  resourceType: 'ValueSet',
  url: `${T}vs-import`,
  status: 'active',
  compose: {
    include: [{ valueSet: [`${T}vs-isa`] }, { system: `${T}cs`, concept: [{ code: 'B' }] }],
    exclude: [{ system: `${T}cs`, concept: [{ code: 'A1' }] }],
  },
};
const bound = (name: string, strength: string, valueSet: string) =>
  deriveProfile(base, 'Patient', `${T}StructureDefinition/${name}`, (els) =>
    edit(els, 'Patient.maritalStatus', { binding: { strength, valueSet } }),
  );

const set = withResources(base, [
  codeSystem,
  isA,
  snomed,
  imports,
  bound('Required', 'required', `${T}vs-isa`),
  bound('Extensible', 'extensible', `${T}vs-isa`),
  bound('Snomed', 'required', `${T}vs-snomed`),
  bound('Imported', 'required', `${T}vs-import`),
  bound('MissingVs', 'required', 'http://hl7.org/fhir/uv/ipa/ValueSet/not-here'),
] as never);
const validator = createValidator(set);

const issues = (o: OperationOutcome, severity?: string): string[] =>
  o.issue
    .filter((i) => !severity || i.severity === severity)
    .map((i) => `${i.severity} ${i.details?.coding?.[0]?.code} @ ${i.expression?.[0]}: ${i.details?.text}`);
const text = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">A patient</div>' };
const patient = (coding: Record<string, unknown>) => ({
  resourceType: 'Patient',
  text,
  maritalStatus: { coding: [coding] },
});
const check = (profile: string, coding: Record<string, unknown>, severity?: string) =>
  issues(validator.validate(patient(coding), { profile: `${T}StructureDefinition/${profile}` }), severity);

describe('terminology', () => {
  test('when a code is below the is-a filter root in a loaded hierarchy, then the required binding is met', () => {
    expect(check('Required', { system: `${T}cs`, code: 'A1' })).toEqual([
      'information VALIDATION_OK @ Patient: All OK',
    ]);
  });

  test('when a code is outside a required value set, then CODE_NOT_IN_VALUESET is an error', () => {
    expect(check('Required', { system: `${T}cs`, code: 'B' }, 'error')).toEqual([
      `error CODE_NOT_IN_VALUESET @ Patient.maritalStatus: The code ${T}cs#B is not in the value set ${T}vs-isa (required binding)`,
    ]);
  });

  test('when a code is outside an extensible value set, then CODE_NOT_IN_VALUESET is a warning', () => {
    expect(check('Extensible', { system: `${T}cs`, code: 'B' })).toEqual([
      `warning CODE_NOT_IN_VALUESET @ Patient.maritalStatus: The code ${T}cs#B is not in the value set ${T}vs-isa (extensible binding)`,
    ]);
  });

  test('when the value set includes a code system we do not hold (SNOMED CT), then the code is reported as not checked, not as an error', () => {
    expect(check('Snomed', { system: 'http://snomed.info/sct', code: '38341003' })).toEqual([
      'information CODE_NOT_CHECKED @ Patient.maritalStatus: The code http://snomed.info/sct#38341003 could not be checked against http://test.local/vs-snomed: its code system is not held offline',
    ]);
  });

  test('when a value set imports another and excludes a code, then the expansion follows both', () => {
    expect(check('Imported', { system: `${T}cs`, code: 'B' }, 'error')).toEqual([]);
    expect(check('Imported', { system: `${T}cs`, code: 'A' }, 'error')).toEqual([]);
    expect(check('Imported', { system: `${T}cs`, code: 'A1' }, 'error')).toHaveLength(1);
  });

  test('when the bound value set comes from a dependency that is not loaded, then VALUESET_NOT_CHECKED names the package', () => {
    expect(check('MissingVs', { system: `${T}cs`, code: 'B' })).toEqual([
      'information VALUESET_NOT_CHECKED @ Patient.maritalStatus: The value set http://hl7.org/fhir/uv/ipa/ValueSet/not-here cannot be checked: package hl7.fhir.uv.ipa#1.1.0 (a dependency of hl7.fhir.uv.ips#2.0.0) is not loaded',
    ]);
  });

  test('when a code does not exist in a loaded complete code system, then CODE_UNKNOWN_IN_CODESYSTEM is an error on .code', () => {
    expect(check('Extensible', { system: `${T}cs`, code: 'Z' }, 'error')).toEqual([
      `error CODE_UNKNOWN_IN_CODESYSTEM @ Patient.maritalStatus.coding[0].code: Unknown code 'Z' in the code system ${T}cs`,
    ]);
  });

  test('when an IG ships a small CodeSystem for SNOMED CT, then a SNOMED code outside it is still not an error', () => {
    expect(check('Extensible', { system: 'http://snomed.info/sct', code: '38341003' }, 'error')).toEqual([]);
  });

  test('when a display differs from the code system, then CODE_DISPLAY_MISMATCH is a warning on .display', () => {
    expect(check('Required', { system: `${T}cs`, code: 'A', display: 'Beta' }, 'warning')).toEqual([
      `warning CODE_DISPLAY_MISMATCH @ Patient.maritalStatus.coding[0].display: Wrong display 'Beta' for ${T}cs#A: should be 'Alpha'`,
    ]);
  });

  test('when DDCC uses the ICD-11 alias http://id.who.int/icd11/mms, then it is read as the canonical URL and reported as information', () => {
    const imm = base.packages
      .find((p) => p.id === 'who.ddcc')
      ?.examples.find((e) => e.file === 'Immunization-DDCCImmunizationEnglish.json')?.resource;
    expect(issues(validator.validate(imm), 'information')).toContain(
      'information CODESYSTEM_ALIAS @ Immunization.vaccineCode.coding[0].system: The code system http://id.who.int/icd11/mms is an alias of http://id.who.int/icd/release/11/mms; it was read as the latter',
    );
  });
});
