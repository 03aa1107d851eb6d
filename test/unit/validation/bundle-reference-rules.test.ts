/**
 * Bundle reference rules and the experimental-content option (ADR 0062, third pass): a relative reference inside an
 * entry without fullUrl, a relative reference that is no `Type/id`, canonicals that are not absolute, and
 * `noExperimentalContent`. Inputs are built here.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import { createValidator, type ValidatorOptions } from '../../../src/validation/validator.ts';

const set = () => ({ packages: [readBaseR4()], summaries: [], warnings: [] });
const validator = createValidator(set());

function errors(resource: unknown, options?: ValidatorOptions): { id?: string; at?: string }[] {
  const v = options ? createValidator(set(), options) : validator;
  return (v.validate(resource).issue ?? [])
    .filter((i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => ({ id: i.details?.coding?.[0]?.code, at: i.expression?.[0] }));
}

const patient = { resourceType: 'Patient', id: 'p1' };
const observation = (subject: string) => ({
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { text: 'x' },
  subject: { reference: subject },
});

describe('relative references inside a Bundle', () => {
  test('when an entry without fullUrl holds a relative reference, then the entry and the reference are errors', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: observation('Patient/p1') }, { fullUrl: 'http://x.org/fhir/Patient/p1', resource: patient }],
    };
    expect(errors(bundle)).toEqual([
      { id: 'BUNDLE_ENTRY_NO_FULLURL', at: 'Bundle.entry[0]' },
      { id: 'BUNDLE_REFERENCE_NO_FULLURL', at: 'Bundle.entry[0].resource.subject.reference' },
    ]);
  });

  test('when every entry has a fullUrl and references are Type/id or absolute, then there is no error', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: 'http://x.org/fhir/Observation/o1', resource: observation('Patient/p1') },
        { fullUrl: 'http://x.org/fhir/Observation/o2', resource: { ...observation('urn:uuid:1'), id: 'o2' } },
        { fullUrl: 'http://x.org/fhir/Patient/p1', resource: patient },
      ],
    };
    expect(errors(bundle)).toEqual([]);
  });

  test('when a relative reference is no Type/id, then it is one REFERENCE_FORMAT error; a transaction may search', () => {
    const entry = (type: string, subject: string) => ({
      resourceType: 'Bundle',
      type,
      entry: [
        {
          fullUrl: 'http://x.org/fhir/Observation/o1',
          resource: observation(subject),
          ...(type === 'transaction' ? { request: { method: 'POST', url: 'Observation' } } : {}),
        },
      ],
    });
    expect(errors(entry('collection', 'p1'))).toEqual([
      { id: 'REFERENCE_FORMAT', at: 'Bundle.entry[0].resource.subject.reference' },
    ]);
    expect(errors(entry('transaction', 'Patient?identifier=x|1'))).toEqual([]);
  });

  test('when a batch-response entry has no fullUrl, then its relative references are not judged', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch-response',
      entry: [{ resource: observation('Patient/p1'), response: { status: '200' } }],
    };
    expect(errors(bundle)).toEqual([]);
  });
});

describe('canonical values and experimental content', () => {
  const measureReport = (measure: string) => ({
    resourceType: 'MeasureReport',
    status: 'complete',
    type: 'summary',
    measure,
    period: { start: '2020-01-01' },
  });

  test('when a canonical is relative, then it is an error; absolute and #fragment ones are not', () => {
    expect(errors(measureReport('Measure/m1'))).toEqual([
      { id: 'CANONICAL_NOT_ABSOLUTE', at: 'MeasureReport.measure' },
    ]);
    expect(errors(measureReport('http://x.org/fhir/Measure/m1|1.0'))).toEqual([]);
    expect(errors(measureReport('urn:uuid:0c3e3e4c-5b5b-4f4f-9a9a-1b1b1b1b1b1b'))).toEqual([]);
  });

  test('when experimental content is refused, then a resource marked experimental is an error; by default it is not', () => {
    const vs = { resourceType: 'ValueSet', status: 'draft', experimental: true };
    expect(errors(vs)).toEqual([]);
    expect(errors(vs, { noExperimentalContent: true })).toEqual([
      { id: 'EXPERIMENTAL_CONTENT_NOT_ALLOWED', at: 'ValueSet' },
    ]);
    expect(errors({ ...vs, experimental: false }, { noExperimentalContent: true })).toEqual([]);
  });
});

describe('signature data and differential slicing', () => {
  test('when a JOSE signature carries a compact JWS as it is (not base64), then that is an error besides the format', () => {
    const jws = 'eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.c2ln';
    const bundle = (data: string) => ({
      resourceType: 'Bundle',
      type: 'collection',
      signature: {
        type: [{ system: 'urn:iso-astm:E1762-95:2013', code: '1.2.840.10065.1.12.1.1' }],
        when: '2020-01-01T00:00:00Z',
        who: { display: 'x' },
        sigFormat: 'application/jose',
        data,
      },
    });
    expect(errors(bundle(jws)).map((e) => e.id)).toEqual(['PRIMITIVE_FORMAT', 'BUNDLE_SIGNATURE_DATA_NOT_BASE64']);
    expect(errors(bundle(Buffer.from(jws).toString('base64')))).toEqual([]);
  });

  test('when a slice redefines the slicing of its slicing entry, then the StructureDefinition has one error', () => {
    const sd = (sliceSlicing: Record<string, unknown>) => ({
      resourceType: 'StructureDefinition',
      url: 'http://x.org/fhir/StructureDefinition/p',
      name: 'P',
      status: 'draft',
      kind: 'resource',
      abstract: false,
      type: 'Patient',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
      derivation: 'constraint',
      differential: {
        element: [
          { id: 'Patient', path: 'Patient' },
          {
            id: 'Patient.identifier',
            path: 'Patient.identifier',
            slicing: { discriminator: [{ type: 'value', path: 'system' }], rules: 'open' },
          },
          { id: 'Patient.identifier:a', path: 'Patient.identifier', sliceName: 'a', ...sliceSlicing },
        ],
      },
    });
    const redefined = errors(sd({ slicing: { discriminator: [{ type: 'value', path: 'use' }], rules: 'open' } }));
    expect(redefined.filter((e) => e.id === 'SD_SLICING_REDEFINED')).toEqual([
      { id: 'SD_SLICING_REDEFINED', at: 'StructureDefinition' },
    ]);
    const same = errors(sd({ slicing: { discriminator: [{ type: 'value', path: 'system' }], rules: 'open' } }));
    expect(same.filter((e) => e.id === 'SD_SLICING_REDEFINED')).toEqual([]);
  });

  test('when the differential lists an element after one the base puts ahead of it, or binds a date, then those are errors', () => {
    const sd = (elements: unknown[]) => ({
      resourceType: 'StructureDefinition',
      url: 'http://x.org/fhir/StructureDefinition/q',
      name: 'Q',
      status: 'draft',
      kind: 'resource',
      abstract: false,
      type: 'Patient',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
      derivation: 'constraint',
      differential: { element: elements },
    });
    const birthDate = { id: 'Patient.birthDate', path: 'Patient.birthDate', min: 1 };
    const identifier = { id: 'Patient.identifier', path: 'Patient.identifier', min: 1 };
    const ids = (r: unknown) =>
      errors(r)
        .map((e) => `${e.id} ${e.at}`)
        .filter((e) => e.startsWith('SD_'));
    expect(ids(sd([birthDate, identifier]))).toEqual([
      'SD_DIFFERENTIAL_ORDER StructureDefinition.differential.element[0]',
      'SD_DIFFERENTIAL_ORDER StructureDefinition',
    ]);
    expect(ids(sd([identifier, birthDate]))).toEqual([]);
    const bound = {
      ...birthDate,
      type: [{ code: 'date' }],
      binding: { strength: 'required', valueSet: 'http://x.org/vs' },
    };
    expect(ids(sd([bound]))).toEqual(['SD_BINDING_NOT_BINDABLE StructureDefinition.differential.element[0]']);
  });
});
