/**
 * Answers the HL7 Java validator gives on its own test suite and on the official R4 examples, where ours differed:
 * false errors, missed errors and a crash. Each case is a minimal resource over the R4 core definitions.
 */
import type { OperationOutcome } from '@medplum/fhirtypes';
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import { createValidator, type Validator } from '../../../src/validation/validator.ts';

let validator: Validator;
beforeAll(() => {
  validator = createValidator({ packages: [readBaseR4()], summaries: [], warnings: [] });
});

const errors = (o: OperationOutcome) =>
  (o.issue ?? [])
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => [i.details?.coding?.[0]?.code, i.expression?.[0]]);
const warnings = (o: OperationOutcome) =>
  (o.issue ?? []).filter((i) => i.severity === 'warning').map((i) => [i.details?.coding?.[0]?.code, i.expression?.[0]]);
const patient = (extra: Record<string, unknown>) => ({ resourceType: 'Patient', ...extra });

describe('malformed shapes become issues, never exceptions', () => {
  test.each([
    ['meta.profile as a string', { meta: { profile: 'http://hl7.org/fhir/StructureDefinition/Patient' } }],
    ['meta as a string', { meta: 'x' }],
    ['meta as null', { meta: null }],
    ['meta.profile holding a number', { meta: { profile: [7] } }],
    ['contained as an object', { contained: { resourceType: 'Patient' } }],
    ['contained holding null', { contained: [null] }],
  ])('when %s, then the outcome has an error and nothing throws', (_name, extra) => {
    let outcome: OperationOutcome | undefined;
    expect(() => (outcome = validator.validate(patient(extra)))).not.toThrow();
    expect(errors(outcome!).length).toBeGreaterThan(0);
  });
});

describe('no false errors', () => {
  test('when a contained resource refers to its container with #, then dom-3 holds', () => {
    const p = patient({
      id: 'p',
      contained: [
        {
          resourceType: 'Provenance',
          id: 'prov',
          target: [{ reference: '#' }],
          recorded: '2020-01-01T00:00:00Z',
          agent: [{ who: { display: 'x' } }],
        },
      ],
    });
    expect(errors(validator.validate(p))).toEqual([]);
  });

  test('when one fullUrl appears twice with different meta.versionId, then bdl-7 holds', () => {
    const entry = (v: string) => ({
      fullUrl: 'http://example.org/fhir/Patient/1',
      resource: { resourceType: 'Patient', id: '1', meta: { versionId: v } },
    });
    expect(
      errors(validator.validate({ resourceType: 'Bundle', type: 'collection', entry: [entry('1'), entry('2')] })),
    ).toEqual([]);
  });

  test('when one fullUrl comes back with a versionId seen before, or twice without one, then each repeat is a duplicate', () => {
    const entry = (url: string, v?: string) => ({
      fullUrl: `http://example.org/fhir/Patient/${url}`,
      resource: { resourceType: 'Patient', id: url, ...(v ? { meta: { versionId: v } } : {}) },
    });
    const b = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [entry('1', '1'), entry('2'), entry('1', '2'), entry('2'), entry('1', '1'), entry('1', '3')],
    };
    expect(errors(validator.validate(b)).filter(([id]) => id === 'BUNDLE_FULLURL_DUPLICATE')).toEqual([
      ['BUNDLE_FULLURL_DUPLICATE', 'Bundle.entry[3]'],
      ['BUNDLE_FULLURL_DUPLICATE', 'Bundle.entry[4]'],
    ]);
  });

  test('when a non-document Bundle has an unresolved urn:uuid reference, then it is a warning', () => {
    const b = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          fullUrl: 'urn:uuid:0c2a4a33-0e0b-4c2b-9d0e-4d2b6a0f0a01',
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'x' },
            subject: { reference: 'urn:uuid:0c2a4a33-0e0b-4c2b-9d0e-4d2b6a0f0a02' },
          },
        },
      ],
    };
    const o = validator.validate(b);
    expect(errors(o)).toEqual([]);
    expect(warnings(o)).toContainEqual(['REFERENCE_NOT_RESOLVED', 'Bundle.entry[0].resource.subject.reference']);
  });

  test('when an integer is -2147483648, then it is valid; -2147483649 is not', () => {
    const obs = (v: number) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueInteger: v });
    expect(errors(validator.validate(obs(-2147483648)))).toEqual([]);
    expect(errors(validator.validate(obs(-2147483649)))).toEqual([
      ['PRIMITIVE_FORMAT', 'Observation.value.ofType(integer)'],
    ]);
  });

  test('when a code holds a no-break space, then it is valid (it is not whitespace for the code pattern)', () => {
    expect(
      errors(
        validator.validate(
          patient({
            gender: 'male',
            communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en\u00a0US' }] } }],
          }),
        ),
      ),
    ).toEqual([]);
  });

  test('when an absolute reference has a path segment like Network, then it is not taken for a resource type', () => {
    const obs = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'https://example.org/Network/Patient/1' },
    };
    expect(errors(validator.validate(obs))).toEqual([]);
  });

  test('when an extension carries its value only in _valueCode, then ext-1 holds', () => {
    expect(
      errors(
        validator.validate(
          // patient-birthTime's context is Patient.birthDate (it sits on the primitive, ADR 0078).
          patient({
            birthDate: '2000-01-01',
            _birthDate: {
              extension: [
                {
                  url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime',
                  _valueDateTime: {
                    extension: [
                      { url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' },
                    ],
                  },
                },
              ],
            },
          }),
        ),
      ),
    ).toEqual([]);
  });

  test('when a TestScript assert has responseCode but no response, then tst-5 (about response) holds', () => {
    const ts = {
      resourceType: 'TestScript',
      url: 'http://example.org/ts',
      name: 'ts',
      status: 'draft',
      setup: { action: [{ assert: { direction: 'response', responseCode: '200', warningOnly: false } }] },
    };
    expect(errors(validator.validate(ts)).filter(([, e]) => String(e).includes('assert'))).toEqual([]);
  });
});

describe('missed errors', () => {
  test.each([
    ['bad-id_1', 'invalid characters'],
    ['a'.repeat(65), 'longer than 64'],
    ['a b', 'a space'],
  ])('when the resource id is %j (%s), then RESOURCE_ID_INVALID', (id) => {
    expect(errors(validator.validate(patient({ id })))).toContainEqual(['RESOURCE_ID_INVALID', 'Patient.id']);
  });

  test('when a JSON array or object is empty, then it is an error at its path', () => {
    expect(errors(validator.validate(patient({ name: [] })))).toEqual([['JSON_ARRAY_EMPTY', 'Patient.name']]);
    expect(errors(validator.validate(patient({ maritalStatus: {} })))).toEqual([
      ['ELEMENT_EMPTY', 'Patient.maritalStatus'],
    ]);
  });

  test('when a Bundle entry has a relative fullUrl, then BUNDLE_FULLURL_RELATIVE', () => {
    const b = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ fullUrl: 'Patient/1', resource: { resourceType: 'Patient', id: '1' } }],
    };
    expect(errors(validator.validate(b))).toEqual([['BUNDLE_FULLURL_RELATIVE', 'Bundle.entry[0]']]);
  });

  test('when a document entry cannot be reached from the Composition, then BUNDLE_ENTRY_UNREACHABLE', () => {
    const b = {
      resourceType: 'Bundle',
      type: 'document',
      identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:1' },
      timestamp: '2020-01-01T00:00:00Z',
      entry: [
        {
          fullUrl: 'http://example.org/fhir/Composition/c',
          resource: {
            resourceType: 'Composition',
            id: 'c',
            status: 'final',
            type: { text: 'x' },
            date: '2020-01-01',
            author: [{ display: 'a' }],
            title: 't',
            subject: { reference: 'Patient/p' },
          },
        },
        { fullUrl: 'http://example.org/fhir/Patient/p', resource: { resourceType: 'Patient', id: 'p' } },
        { fullUrl: 'http://example.org/fhir/Patient/q', resource: { resourceType: 'Patient', id: 'q' } },
      ],
    };
    expect(errors(validator.validate(b))).toEqual([['BUNDLE_ENTRY_UNREACHABLE', 'Bundle.entry[2]']]);
  });
});

describe('unknown extensions', () => {
  const withExt = (url: string) => patient({ extension: [{ url, valueString: 'x' }] });
  const all = (o: OperationOutcome) => (o.issue ?? []).map((i) => [i.severity, i.details?.coding?.[0]?.code]);

  test('when an extension in an HL7 IG space is not loaded, then it is an error by default, as the HL7 validator says', () => {
    expect(
      all(validator.validate(withExt('http://hl7.org/fhir/us/core/StructureDefinition/us-core-race'))),
    ).toContainEqual(['error', 'EXTENSION_UNKNOWN']);
  });

  test('when the severity is configured to warning, then the same extension is a warning', () => {
    const lenient = createValidator(
      { packages: [readBaseR4()], summaries: [], warnings: [] },
      { unknownExtensionSeverity: 'warning' },
    );
    expect(
      all(lenient.validate(withExt('http://hl7.org/fhir/us/core/StructureDefinition/us-core-race'))),
    ).toContainEqual(['warning', 'EXTENSION_UNKNOWN']);
  });

  test('when an extension of another domain is unknown, then it is a warning (offline we cannot tell it is wrong)', () => {
    expect(all(validator.validate(withExt('https://fhir.example.net/StructureDefinition/private')))).toContainEqual([
      'warning',
      'EXTENSION_UNKNOWN',
    ]);
  });
});

describe('business rules of conformance resources and search sets', () => {
  test('when a ValueSet includes a system that is not absolute (#id), then VALUESET_SYSTEM_NOT_ABSOLUTE', () => {
    const vs = { resourceType: 'ValueSet', status: 'draft', compose: { include: [{ system: '#cs' }] } };
    expect(errors(validator.validate(vs))).toEqual([['VALUESET_SYSTEM_NOT_ABSOLUTE', 'ValueSet.compose.include[0]']]);
  });

  test('when CodeSystem properties repeat a code or URI, mistype an HL7 property or a concept value, then each is reported', () => {
    const cs = {
      resourceType: 'CodeSystem',
      status: 'draft',
      content: 'complete',
      property: [
        { code: 'notSelectable', uri: 'http://hl7.org/fhir/concept-properties#notSelectable', type: 'dateTime' },
        { code: 'notSelectable', type: 'boolean' },
        { code: 'inactive', uri: 'http://hl7.org/fhir/concept-properties#inactive', type: 'boolean' },
        { code: 'weight', type: 'decimal' },
      ],
      concept: [
        {
          code: 'a',
          property: [
            { code: 'notSelectable', valueBoolean: true },
            { code: 'weight', valueDecimal: 1.5 },
          ],
        },
      ],
    };
    expect(errors(validator.validate(cs))).toEqual([
      ['CODESYSTEM_PROPERTY_TYPE', 'CodeSystem.property[0]'],
      ['CODESYSTEM_PROPERTY_DUPLICATE', 'CodeSystem.property[1]'],
      ['CODESYSTEM_PROPERTY_VALUE_TYPE', 'CodeSystem.concept[0].property[0]'],
    ]);
  });

  test('when a nested concept mistypes a declared property value, then it is reported at its nested path', () => {
    const cs = {
      resourceType: 'CodeSystem',
      status: 'draft',
      content: 'complete',
      property: [{ code: 'weight', type: 'decimal' }],
      concept: [
        { code: 'a' },
        {
          code: 'b',
          concept: [
            { code: 'c', property: [{ code: 'weight', valueDecimal: 2 }] },
            {
              code: 'd',
              property: [
                { code: 'other', valueString: 'x' },
                { code: 'weight', valueString: 'heavy' },
              ],
            },
          ],
        },
      ],
    };
    expect(errors(validator.validate(cs))).toEqual([
      ['CODESYSTEM_PROPERTY_VALUE_TYPE', 'CodeSystem.concept[1].concept[1].property[1]'],
    ]);
  });

  test('when a search-set match has no id or is not of the searched type, then both are reported', () => {
    const b = {
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'self', url: 'http://example.org/fhir/Patient?name=x' }],
      entry: [
        {
          fullUrl: 'http://example.org/fhir/Immunization/1',
          resource: {
            resourceType: 'Immunization',
            status: 'completed',
            vaccineCode: { text: 'x' },
            patient: { display: 'p' },
            occurrenceString: 'x',
          },
          search: { mode: 'match' },
        },
      ],
    };
    expect(errors(validator.validate(b))).toEqual([
      ['BUNDLE_SEARCH_RESULT_NO_ID', 'Bundle.entry[0].resource'],
      ['BUNDLE_SEARCH_RESULT_TYPE', 'Bundle.entry[0].resource'],
    ]);
  });

  test('when a Coding names a CodeSystem supplement, then CODING_SYSTEM_IS_SUPPLEMENT; the code system itself is fine', () => {
    const supplement = {
      resourceType: 'CodeSystem',
      url: 'http://example.org/cs-supplement',
      status: 'draft',
      content: 'supplement',
      supplements: 'http://example.org/cs',
    };
    const v = createValidator({
      packages: [
        readBaseR4(),
        {
          id: 't',
          version: '0',
          fhirVersion: '4.0.1',
          dependencies: {},
          resources: [supplement],
          examples: [],
          source: 't',
        },
      ],
      summaries: [],
      warnings: [],
    });
    const obs = (system: string) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system, code: 'x' }] },
    });
    expect(errors(v.validate(obs('http://example.org/cs-supplement')))).toEqual([
      ['CODING_SYSTEM_IS_SUPPLEMENT', 'Observation.code.coding[0].system'],
    ]);
    expect(errors(v.validate(obs('http://example.org/cs')))).toEqual([]);
  });
});

describe('smaller rules the HL7 validator applies', () => {
  test('when a Questionnaire item has two enableWhen and no enableBehavior, then que-12 fails (its text: more than one)', () => {
    const item = (extra: Record<string, unknown>) => ({
      linkId: 'c',
      type: 'string',
      enableWhen: [
        { question: 'a', operator: 'exists', answerBoolean: true },
        { question: 'b', operator: 'exists', answerBoolean: true },
      ],
      ...extra,
    });
    const q = (i: Record<string, unknown>) => ({
      resourceType: 'Questionnaire',
      status: 'draft',
      item: [{ linkId: 'a', type: 'string' }, { linkId: 'b', type: 'string' }, i],
    });
    expect(errors(validator.validate(q(item({}))))).toEqual([['INVARIANT_FAILED', 'Questionnaire.item[2]']]);
    expect(errors(validator.validate(q(item({ enableBehavior: 'all' }))))).toEqual([]);
  });

  test('when a primitive extension part holds a value, then it is reported', () => {
    const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, _valueInteger: { value: 0 } };
    expect(errors(validator.validate(obs))).toContainEqual([
      'STRUCTURE_UNKNOWN_ELEMENT',
      'Observation.value.ofType(integer).value',
    ]);
  });
});
