/**
 * Rules added to agree with the HL7 Java validator (ADR 0078), each on inputs built here: opd-3 as corrected after R4,
 * an OperationDefinition's input/output profiles against its parameters, the operators of SNOMED CT ValueSet filters,
 * and a `string` Questionnaire answer checked as a code of its answerValueSet (only where that is certain offline).
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import type { AnyResource } from '../../../src/packages/types.ts';
import { createValidator } from '../../../src/validation/validator.ts';

const core = readBaseR4();
const withResources = (resources: AnyResource[]) =>
  createValidator({
    packages: [
      core,
      {
        id: 'agree',
        version: '0.0.0',
        fhirVersion: '4.0.1',
        dependencies: {},
        resources,
        examples: [],
        source: 'test',
      },
    ],
    summaries: [],
    warnings: [],
  } as never);
const errorIds = (issues: readonly OperationOutcomeIssue[] | undefined) =>
  (issues ?? [])
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${i.details?.coding?.[0]?.code} @ ${i.expression?.[0]}`);

describe('opd-3 as the HL7 validator corrects it for R4', () => {
  const validator = withResources([]);
  const opdef = (type: string) => ({
    resourceType: 'OperationDefinition',
    url: 'http://example.org/OperationDefinition/op',
    name: 'Op',
    status: 'draft',
    kind: 'operation',
    code: 'op',
    system: true,
    type: false,
    instance: false,
    parameter: [
      {
        name: 'p',
        use: 'in',
        min: 0,
        max: '1',
        type,
        targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'],
      },
    ],
  });

  test('when a resource-typed parameter names a target profile, then opd-3 holds', () => {
    expect(errorIds(validator.validate(opdef('Patient')).issue)).toEqual([]);
    expect(errorIds(validator.validate(opdef('Reference')).issue)).toEqual([]);
  });

  test('when a string parameter names a target profile, then opd-3 still fails', () => {
    const errors = errorIds(validator.validate(opdef('string')).issue);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('OperationDefinition.parameter[0]');
  });
});

describe('OperationDefinition input and output profiles against the parameters', () => {
  const inProfile: AnyResource = {
    resourceType: 'StructureDefinition',
    url: 'http://example.org/StructureDefinition/op-in',
    name: 'OpIn',
    status: 'draft',
    kind: 'resource',
    abstract: false,
    type: 'Parameters',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Parameters',
    derivation: 'constraint',
    differential: {
      element: [
        { id: 'Parameters', path: 'Parameters' },
        {
          id: 'Parameters.parameter',
          path: 'Parameters.parameter',
          slicing: { discriminator: [{ type: 'value', path: 'name' }], rules: 'open' },
        },
        { id: 'Parameters.parameter:subject', path: 'Parameters.parameter', sliceName: 'subject', min: 1, max: '1' },
        { id: 'Parameters.parameter:subject.name', path: 'Parameters.parameter.name', fixedString: 'subject' },
        {
          id: 'Parameters.parameter:subject.value[x]',
          path: 'Parameters.parameter.value[x]',
          type: [{ code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'] }],
        },
        { id: 'Parameters.parameter:subject.resource', path: 'Parameters.parameter.resource', max: '0' },
        { id: 'Parameters.parameter:subject.part', path: 'Parameters.parameter.part', max: '0' },
      ],
    },
  };
  const op = (param: Record<string, unknown>, inputProfile = inProfile.url) => ({
    resourceType: 'OperationDefinition',
    url: 'http://example.org/OperationDefinition/op',
    name: 'Op',
    status: 'draft',
    kind: 'operation',
    code: 'op',
    system: true,
    type: false,
    instance: false,
    inputProfile,
    parameter: [{ name: 'subject', use: 'in', ...param }],
  });
  const validator = withResources([inProfile]);
  const agreeing = {
    min: 1,
    max: '1',
    type: 'Reference',
    targetProfile: ['http://hl7.org/fhir/StructureDefinition/Patient'],
  };

  test('when the parameter says what the profile says, then there is no error', () => {
    expect(errorIds(validator.validate(op(agreeing)).issue)).toEqual([]);
  });

  test('when min and max differ, then each is an error at the parameter', () => {
    expect(errorIds(validator.validate(op({ ...agreeing, min: 0, max: '*' })).issue)).toEqual([
      'OPDEF_PROFILE_PARAM_MISMATCH @ OperationDefinition.inputProfile.parameter[0]',
      'OPDEF_PROFILE_PARAM_MISMATCH @ OperationDefinition.inputProfile.parameter[0]',
    ]);
  });

  test('when the types differ, then both directions are reported; a differing target profile too', () => {
    expect(errorIds(validator.validate(op({ ...agreeing, type: 'canonical' })).issue)).toEqual([
      'OPDEF_PROFILE_TYPE_MISMATCH @ OperationDefinition.inputProfile.parameter[0]',
      'OPDEF_PROFILE_TYPE_MISMATCH @ OperationDefinition.inputProfile.parameter[0]',
    ]);
    const other = { ...agreeing, targetProfile: ['http://hl7.org/fhir/StructureDefinition/Group'] };
    expect(errorIds(validator.validate(op(other)).issue)).toEqual([
      'OPDEF_PROFILE_TARGET_MISMATCH @ OperationDefinition.inputProfile.parameter[0]',
      'OPDEF_PROFILE_TARGET_MISMATCH @ OperationDefinition.inputProfile.parameter[0]',
    ]);
  });

  test('when the input profile is not on Parameters, then it is an error; one we do not hold is not checked', () => {
    const notParameters = op(agreeing, 'http://hl7.org/fhir/StructureDefinition/Patient');
    expect(errorIds(validator.validate(notParameters).issue)).toEqual([
      'OPDEF_PROFILE_NOT_PARAMETERS @ OperationDefinition.inputProfile',
    ]);
    const unknown = op({ ...agreeing, min: 0 }, 'http://example.org/StructureDefinition/not-loaded');
    expect(errorIds(validator.validate(unknown).issue)).toEqual([]);
  });
});

describe('operators of SNOMED CT ValueSet filters', () => {
  const validator = withResources([]);
  const vs = (filter: Record<string, string>[]) => ({
    resourceType: 'ValueSet',
    url: 'http://example.org/ValueSet/f',
    status: 'draft',
    compose: { include: [{ system: 'http://snomed.info/sct', filter }] },
  });
  const opErrors = (filter: Record<string, string>[]) =>
    errorIds(validator.validate(vs(filter)).issue).filter((e) => e.startsWith('VALUESET_FILTER_OP_INVALID'));

  test('when each property uses an operator SNOMED CT defines for it, then there is no error', () => {
    expect(
      opErrors([
        { property: 'concept', op: 'is-a', value: '73211009' },
        { property: 'concept', op: 'descendent-of', value: '73211009' },
        { property: 'constraint', op: '=', value: '<< 73211009' },
        { property: 'inactive', op: '=', value: 'false' },
        { property: '1142143009', op: '=', value: '734137005' },
        { property: '1142143009', op: 'in', value: '734137005' },
      ]),
    ).toEqual([]);
  });

  test('when an attribute, constraint or concept takes another operator, then it is an error', () => {
    expect(
      opErrors([
        { property: '1142143009', op: 'not-in', value: '734137005' },
        { property: 'constraint', op: 'in', value: '<< 73211009' },
        { property: 'concept', op: 'regex', value: '7.*' },
      ]),
    ).toEqual([
      'VALUESET_FILTER_OP_INVALID @ ValueSet.compose.include[0].filter[0]',
      'VALUESET_FILTER_OP_INVALID @ ValueSet.compose.include[0].filter[1]',
      'VALUESET_FILTER_OP_INVALID @ ValueSet.compose.include[0].filter[2]',
    ]);
  });

  test('when the property is no concept id (partition or check digit), then its operator is not judged', () => {
    // 2342342123: partition 12 is a relationship id's, not a concept's.
    expect(opErrors([{ property: '2342342123', op: 'not-in', value: '734137005' }])).toEqual([]);
    expect(opErrors([{ property: 'something-else', op: 'regex', value: 'x' }])).toEqual([]);
  });
});

describe('a string answer checked as a code of the answerValueSet', () => {
  const localCs: AnyResource = {
    resourceType: 'CodeSystem',
    url: 'http://example.org/CodeSystem/colours',
    status: 'draft',
    content: 'complete',
    concept: [
      { code: 'red', display: 'Red' },
      { code: 'blue', display: 'Blue' },
    ],
  };
  const localVs: AnyResource = {
    resourceType: 'ValueSet',
    url: 'http://example.org/ValueSet/colours',
    status: 'draft',
    compose: { include: [{ system: 'http://example.org/CodeSystem/colours' }] },
  };
  const snomedVs: AnyResource = {
    resourceType: 'ValueSet',
    url: 'http://example.org/ValueSet/findings',
    status: 'draft',
    compose: { include: [{ system: 'http://snomed.info/sct' }] },
  };
  const q = (valueSet: string, type = 'string') => ({
    resourceType: 'Questionnaire',
    url: 'http://example.org/Questionnaire/q',
    status: 'active',
    item: [{ linkId: 'q1', type, repeats: true, answerValueSet: valueSet }],
  });
  const run = (valueSet: string, answers: unknown[], type = 'string') => {
    const v = withResources([localCs, localVs, snomedVs, q(valueSet, type) as AnyResource]);
    const qr = {
      resourceType: 'QuestionnaireResponse',
      questionnaire: 'http://example.org/Questionnaire/q',
      status: 'completed',
      item: [{ linkId: 'q1', answer: answers }],
    };
    return errorIds(v.validate(qr).issue);
  };
  const ANSWER = 'QR_ANSWER_STRING_NOT_IN_VALUESET @ QuestionnaireResponse.item[0]';

  test('when the text is a code of an enumerable value set, then it passes; a display or other text fails', () => {
    expect(run(localVs.url as string, [{ valueString: 'red' }])).toEqual([]);
    expect(run(localVs.url as string, [{ valueString: 'Red' }, { valueString: 'green' }])).toEqual([
      `${ANSWER}.answer[0].value.ofType(string)`,
      `${ANSWER}.answer[1].value.ofType(string)`,
    ]);
  });

  test('when the system is not held, then only text its code syntax cannot produce fails (ISO 3166, SNOMED CT)', () => {
    const jurisdiction = 'http://hl7.org/fhir/ValueSet/jurisdiction';
    expect(run(jurisdiction, [{ valueString: 'AU' }, { valueString: 'AUS' }, { valueString: '036' }])).toEqual([]);
    expect(run(jurisdiction, [{ valueString: 'Australia' }])).toEqual([`${ANSWER}.answer[0].value.ofType(string)`]);
    expect(run(snomedVs.url as string, [{ valueString: '73211009' }])).toEqual([]);
    expect(run(snomedVs.url as string, [{ valueString: 'Diabetes' }])).toEqual([
      `${ANSWER}.answer[0].value.ofType(string)`,
    ]);
  });

  test('when the item is open-choice, or the value set is unknown, then the text is not judged', () => {
    expect(run(localVs.url as string, [{ valueString: 'green' }], 'open-choice')).toEqual([]);
    expect(run('http://example.org/ValueSet/not-loaded', [{ valueString: 'green' }])).toEqual([]);
  });
});

describe('extension contexts', () => {
  const validator = withResources([]);
  const contextErrors = (resource: unknown) =>
    errorIds(validator.validate(resource).issue).filter((e) => e.startsWith('EXTENSION_CONTEXT_WRONG'));
  const mothersFamily = {
    url: 'http://hl7.org/fhir/StructureDefinition/humanname-mothers-family',
    valueString: 'Ruiz',
  };

  test('when an extension sits where its context says (a primitive of a data type), then it passes', () => {
    const patient = { resourceType: 'Patient', name: [{ family: 'Garcia', _family: { extension: [mothersFamily] } }] };
    expect(contextErrors(patient)).toEqual([]);
  });

  test('when it sits on the data type instead of the element its context names, then it is an error', () => {
    const patient = { resourceType: 'Patient', name: [{ family: 'Garcia', extension: [mothersFamily] }] };
    expect(contextErrors(patient)).toEqual(['EXTENSION_CONTEXT_WRONG @ Patient.name[0].extension[0]']);
  });

  test('when an element repeats its definition (contentReference), then the repeated definition is its context', () => {
    const itemControl = {
      url: 'http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl',
      valueCodeableConcept: { text: 'drop-down' },
    };
    const q = {
      resourceType: 'Questionnaire',
      status: 'active',
      item: [
        {
          linkId: 'a',
          type: 'group',
          item: [{ linkId: 'b', type: 'group', item: [{ linkId: 'c', type: 'string', extension: [itemControl] }] }],
        },
      ],
    };
    expect(contextErrors(q)).toEqual([]);
  });

  test('when a context names a primitive type (translation), then a Coding.display fits', () => {
    const translation = {
      url: 'http://hl7.org/fhir/StructureDefinition/translation',
      extension: [
        { url: 'lang', valueCode: 'fr' },
        { url: 'content', valueString: 'Grippe' },
      ],
    };
    const condition = {
      resourceType: 'Condition',
      subject: { reference: 'Patient/p' },
      code: {
        coding: [
          {
            system: 'http://snomed.info/sct',
            code: '6142004',
            display: 'Influenza',
            _display: { extension: [translation] },
          },
        ],
      },
    };
    expect(contextErrors(condition)).toEqual([]);
  });

  test('when the R4 context is one the HL7 validator corrects (structuredefinition-fhir-type), then the correction applies', () => {
    const sd = {
      resourceType: 'StructureDefinition',
      url: 'http://example.org/StructureDefinition/x',
      name: 'X',
      status: 'draft',
      kind: 'logical',
      abstract: false,
      type: 'X',
      differential: {
        element: [
          { id: 'X', path: 'X' },
          {
            id: 'X.a',
            path: 'X.a',
            type: [
              {
                extension: [
                  { url: 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type', valueUrl: 'string' },
                ],
                code: 'http://hl7.org/fhirpath/System.String',
              },
            ],
          },
        ],
      },
    };
    expect(contextErrors(sd)).toEqual([]);
  });
});

describe('invariants of an element that repeats another element (contentReference)', () => {
  const validator = withResources([]);
  const script = (assert: Record<string, unknown>) => ({
    resourceType: 'TestScript',
    url: 'http://example.org/TestScript/t',
    name: 'T',
    status: 'draft',
    test: [{ action: [{ assert: { description: 'status', warningOnly: false, ...assert } }] }],
  });

  test('when a test assert checks only responseCode, then tst-6 counts it once (response is another element)', () => {
    const issues = validator.validate(script({ responseCode: '200', direction: 'response' })).issue;
    expect(errorIds(issues)).toEqual([]);
  });

  test('when a test assert checks responseCode and response, then tst-6 fails on that assert', () => {
    const issues = validator.validate(script({ responseCode: '200', response: 'okay' })).issue;
    expect(errorIds(issues)).toEqual(['INVARIANT_FAILED @ TestScript.test[0].action[0].assert']);
    expect(issues?.find((i) => i.severity === 'error')?.details?.text).toMatch(/tst-6/);
  });
});
