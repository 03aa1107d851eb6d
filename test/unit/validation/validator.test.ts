/** The public API: outcome shape, profile selection, missing packages, extensions, invariants, references. */
import type { OperationOutcome } from '@medplum/fhirtypes';
import { ENGINE_VERSION, VALIDATED_WITH_URL, createValidator } from '../../../src/validation/validator.ts';
import { createIssueSink } from '../../../src/validation/issues.ts';
import { sharedPackages } from './shared-packages.ts';
import { deriveProfile, edit, withResources } from './synthetic.ts';

const base = await sharedPackages();
const DDCC = 'http://smart.who.int/ddcc/StructureDefinition/';
const T = 'http://test.local/StructureDefinition/';
const ddccPatient = base.packages
  .find((p) => p.id === 'who.ddcc')
  ?.resources.find((r) => r.url === `${DDCC}DDCCPatient`);
const set = withResources(base, [
  // An older version of DDCCPatient that also requires gender, to show that url|version selects it.
  {
    ...structuredClone(ddccPatient),
    version: '0.9.0',
    snapshot: { element: edit((ddccPatient?.snapshot as { element: never[] }).element, 'Patient.gender', { min: 1 }) },
  } as never,
  deriveProfile(base, 'Patient', `${T}Invariants`, (els) =>
    edit(els, 'Patient', {
      constraint: [
        { key: 'tst-1', severity: 'error', human: 'needs memberOf', expression: "maritalStatus.memberOf('http://x')" },
        { key: 'tst-2', severity: 'error', human: 'broken expression', expression: 'name.where(' },
        { key: 'tst-3', severity: 'warning', human: 'prefer a telecom', expression: 'telecom.exists()' },
      ],
    }),
  ),
]);
const validator = createValidator(set);
const text = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' };
const example = (file: string) =>
  structuredClone(
    base.packages.find((p) => p.id === 'who.ddcc')?.examples.find((e) => e.file === file)?.resource,
  ) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const list = (o: OperationOutcome, severity?: string): string[] =>
  o.issue
    .filter((i) => !severity || i.severity === severity)
    .map((i) => `${i.severity} ${i.details?.coding?.[0]?.code} @ ${i.expression?.[0]}: ${i.details?.text}`);

describe('createValidator().validate', () => {
  test('when a resource is valid, then the outcome has one All OK issue and names the engine and the packages', () => {
    const o = validator.validate(example('Patient-DDCCPatientEnglish.json'));
    expect(list(o)).toEqual(['information VALIDATION_OK @ Patient: All OK']);
    const ext = o.extension?.find((e) => e.url === VALIDATED_WITH_URL)?.extension ?? [];
    expect(ext[0]).toEqual({ url: 'engine', valueString: `gdhcn-gateway-validator/${ENGINE_VERSION}` });
    expect(ext.slice(1).map((e) => e.valueString)).toEqual([
      'hl7.fhir.r4.core#4.0.1',
      'hl7.fhir.uv.ips#2.0.0',
      'smart.who.int.base#0.1.0',
      'smart.who.int.icvp#0.1.0',
      'who.ddcc#1.0.0',
      'test.local#0.0.1',
    ]);
  });

  test('when the input is not an object or has an unknown resourceType, then the outcome says so', () => {
    expect(list(validator.validate('x'))).toEqual([
      'error RESOURCE_NOT_OBJECT @ Resource: A resource must be a JSON object',
    ]);
    expect(list(validator.validate({ resourceType: 'Patientx' }))).toEqual([
      "error RESOURCE_TYPE_UNKNOWN @ Patientx: Unknown resource type 'Patientx'",
    ]);
  });

  test('when url|version selects one of two loaded versions, then that version judges', () => {
    const p = example('Patient-DDCCPatientEnglish.json');
    delete p.meta;
    delete p.gender;
    expect(list(validator.validate(p, { profile: `${DDCC}DDCCPatient` }), 'error')).toEqual([]);
    expect(list(validator.validate(p, { profile: `${DDCC}DDCCPatient|1.0.0` }), 'error')).toEqual([]);
    expect(list(validator.validate(p, { profile: `${DDCC}DDCCPatient|0.9.0` }), 'error')).toEqual([
      'error CARDINALITY_MIN @ Patient: Patient.gender: minimum required = 1, but only found 0',
    ]);
  });

  test('when meta.profile claims an unknown profile, then it is a warning by default and an error when configured', () => {
    const p = { resourceType: 'Patient', text, meta: { profile: ['http://example.org/StructureDefinition/nope'] } };
    const text1 =
      'Profile http://example.org/StructureDefinition/nope is not known, so the resource cannot be checked against it: no loaded package defines it';
    expect(list(validator.validate(p))).toEqual([`warning PROFILE_UNKNOWN @ Patient: ${text1}`]);
    expect(list(createValidator(set, { unknownProfileSeverity: 'error' }).validate(p))).toEqual([
      `error PROFILE_UNKNOWN @ Patient: ${text1}`,
    ]);
  });

  test('when a profile lives in a dependency that is not loaded, then it is reported as not checked, naming the package', () => {
    const p = {
      resourceType: 'Patient',
      text,
      meta: { profile: ['http://hl7.org/fhir/uv/ipa/StructureDefinition/ipa-patient'] },
    };
    expect(list(validator.validate(p))).toEqual([
      'information PROFILE_NOT_CHECKED @ Patient: Cannot check against http://hl7.org/fhir/uv/ipa/StructureDefinition/ipa-patient: package hl7.fhir.uv.ipa#1.1.0 (a dependency of hl7.fhir.uv.ips#2.0.0) is not loaded',
    ]);
  });

  test('when a Patient claims the IPS Patient profile of the loaded IPS package, then that profile judges it', () => {
    const p = {
      resourceType: 'Patient',
      text,
      meta: { profile: ['http://hl7.org/fhir/uv/ips/StructureDefinition/Patient-uv-ips'] },
    };
    expect(list(validator.validate(p))).toEqual([
      'error CARDINALITY_MIN @ Patient: Patient.name: minimum required = 1, but only found 0',
      'error CARDINALITY_MIN @ Patient: Patient.birthDate: minimum required = 1, but only found 0',
    ]);
  });

  test('when the requested profile is for another resource type, then RESOURCE_TYPE_MISMATCH is an error', () => {
    expect(
      list(validator.validate({ resourceType: 'Patient', text }, { profile: `${DDCC}DDCCImmunization` }), 'error'),
    ).toEqual([
      `error RESOURCE_TYPE_MISMATCH @ Patient: The profile ${DDCC}DDCCImmunization is for Immunization resources, not Patient`,
    ]);
  });

  test('when an extension is unknown, then it is a warning; when it comes from a missing package, it is not checked', () => {
    const p = {
      resourceType: 'Patient',
      text,
      extension: [
        { url: 'http://example.org/ext', valueString: 'a' },
        { url: 'http://hl7.org/fhir/StructureDefinition/patient-sexParameterForClinicalUse', valueString: 'b' },
      ],
    };
    expect(list(validator.validate(p))).toEqual([
      'warning EXTENSION_UNKNOWN @ Patient.extension[0]: Unknown extension http://example.org/ext',
      'information EXTENSION_NOT_CHECKED @ Patient.extension[1]: Cannot check the extension http://hl7.org/fhir/StructureDefinition/patient-sexParameterForClinicalUse: package hl7.fhir.uv.extensions.r4#5.2.0 (a dependency of hl7.fhir.uv.ips#2.0.0) is not loaded',
    ]);
  });

  test('when a known extension has the wrong value type, then the definition is applied', () => {
    const p = {
      resourceType: 'Patient',
      text,
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueString: 'Geneva' }],
    };
    expect(list(validator.validate(p), 'error')).toEqual([
      // One issue, as the HL7 validator: the value is there, in a type the definition does not allow.
      'error CHOICE_TYPE_NOT_ALLOWED @ Patient.extension[0].valueString: The definition allows for the type(s) Address but found type string',
    ]);
  });

  test('when an invariant cannot be evaluated, then a warning names it; failing warning-level invariants are warnings', () => {
    const o = validator.validate(
      { resourceType: 'Patient', text, maritalStatus: { text: 'x' } },
      { profile: `${T}Invariants` },
    );
    expect(list(o)).toEqual([
      'warning INVARIANT_NOT_EVALUATED @ Patient: Constraint tst-1 was not checked: FhirPathError on "maritalStatus.memberOf(\'http://x\')": Error: Unrecognized function: memberOf',
      expect.stringMatching(
        /^warning INVARIANT_NOT_EVALUATED @ Patient: Constraint tst-2 was not checked: its expression cannot be parsed/,
      ),
      "warning INVARIANT_FAILED @ Patient: Constraint failed: tst-3: 'prefer a telecom'",
    ]);
  });

  test('when a contained resource is referenced with #id, then it resolves; a missing one is an error', () => {
    const imm = example('Immunization-DDCCImmunizationEnglish.json');
    imm.contained = [{ resourceType: 'Patient', id: 'p1', name: [{ text: 'A' }] }];
    imm.patient = { reference: '#p1' };
    expect(list(validator.validate(imm), 'error')).toEqual([]);
    imm.patient = { reference: '#p2' };
    expect(list(validator.validate(imm), 'error')).toEqual([
      expect.stringMatching(
        /^error INVARIANT_FAILED @ Immunization: Constraint failed: dom-3: .*contained 'p1' is not referenced$/,
      ),
      "error INVARIANT_FAILED @ Immunization.patient: Constraint failed: ref-1: 'SHALL have a contained resource if a local reference is provided'",
      "error REFERENCE_NOT_RESOLVED @ Immunization.patient.reference: The contained resource '#p2' is not found",
    ]);
  });

  test('when a bundled reference targets the wrong resource type, then REFERENCE_TARGET_TYPE is reported at the entry path', () => {
    const doc = example('Bundle-ExampleEnglish.json');
    doc.entry[3].resource.patient.reference = 'Organization/DDCCOrganizationEnglish';
    expect(list(validator.validate(doc), 'error')).toEqual([
      "error REFERENCE_TARGET_TYPE @ Bundle.entry[3].resource.patient: The type 'Organization' of the reference target is not a valid target for Immunization.patient (must be one of Patient)",
    ]);
  });
});

describe('issue sink', () => {
  test('when the same issue (id, severity, expression, text) is added twice, then it is kept once', () => {
    const sink = createIssueSink();
    sink.add('CARDINALITY_MIN', 'Bundle.entry[1].resource', 'x');
    sink.add('CARDINALITY_MIN', 'Bundle.entry[1].resource', 'x');
    sink.add('CARDINALITY_MIN', 'Bundle.entry[2].resource', 'x');
    expect(sink.issues).toHaveLength(2);
    expect(sink.errorCount()).toBe(2);
  });
});

describe('JSON details', () => {
  test('when a decimal arrives as JSON.rawJSON (kept precision), then its source text is checked like a number', () => {
    const raw = (JSON as unknown as { rawJSON: (t: string) => unknown }).rawJSON;
    const obs = (value: unknown) => ({
      resourceType: 'Observation',
      text,
      status: 'final',
      code: { text: 'x' },
      valueQuantity: { value },
    });
    expect(list(validator.validate(obs(raw('0.50'))), 'error')).toEqual([]);
    expect(list(validator.validate({ ...obs(1), status: raw('1.0') }), 'error')).toEqual([
      'error PRIMITIVE_WRONG_JSON_TYPE @ Observation.status: Error parsing JSON: the primitive value must be a string (is number)',
    ]);
  });

  test('when a modifier extension is unknown, then it is an error (it may change the meaning)', () => {
    const p = {
      resourceType: 'Patient',
      text,
      modifierExtension: [{ url: 'http://example.org/mod', valueBoolean: true }],
    };
    expect(list(validator.validate(p))).toEqual([
      'error EXTENSION_UNKNOWN @ Patient.modifierExtension[0]: Unknown modifier extension http://example.org/mod',
    ]);
  });
});

describe('document references', () => {
  test('when a document entry points to an absolute URL outside the Bundle, then it is a warning, not an error', () => {
    const doc = example('Bundle-ExampleEnglish.json');
    doc.entry[3].resource.performer[0].actor.reference = 'https://registry.example.org/fhir/Organization/x';
    expect(list(validator.validate(doc), 'warning')).toContain(
      "warning REFERENCE_EXTERNAL @ Bundle.entry[3].resource.performer[0].actor.reference: The reference 'https://registry.example.org/fhir/Organization/x' points outside the document Bundle",
    );
    expect(list(validator.validate(doc), 'error')).toEqual([]);
  });
});

describe('robustness', () => {
  test('when bundled resources reference each other in a cycle through target profiles, then validation terminates', () => {
    const cyc = `${T}Cyclic`;
    const profile = deriveProfile(base, 'Patient', cyc, (els) =>
      edit(els, 'Patient.link.other', { type: [{ code: 'Reference', targetProfile: [cyc] }] }),
    );
    const v = createValidator(withResources(base, [profile]));
    const patient = (id: string, other: string) => ({
      resourceType: 'Patient',
      id,
      text,
      meta: { profile: [cyc] },
      link: [{ other: { reference: `Patient/${other}` }, type: 'seealso' }],
    });
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: 'http://x.org/fhir/Patient/a', resource: patient('a', 'b') },
        { fullUrl: 'http://x.org/fhir/Patient/b', resource: patient('b', 'a') },
      ],
    };
    expect(list(v.validate(bundle), 'error')).toEqual([]);
  });
});
