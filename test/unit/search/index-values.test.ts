import { evalFhirPath } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { MAX_INSTANT, MIN_INSTANT } from '../../../src/fhir/search/date-range.ts';
import { indexValues, parseReference } from '../../../src/fhir/search/index-values.ts';
import { listSearchParams } from '../../../src/fhir/search/parameters.ts';
import { compileSimplePath, evalSimplePath } from '../../../src/fhir/search/simple-path.ts';
import { splitUnion } from '../../../src/fhir/search/parameters.ts';

const immunization: Resource = {
  resourceType: 'Immunization',
  status: 'completed',
  identifier: [{ system: 'urn:oid:1.2.3', value: 'imm-1' }],
  vaccineCode: {
    coding: [{ system: 'http://snomed.info/sct', code: '1119349007', display: 'COVID-19 mRNA' }],
    text: 'Comirnaty',
  },
  patient: { reference: 'Patient/p1/_history/3' },
  occurrenceDateTime: '2021-05-01T10:00:00+02:00',
  lotNumber: 'EW0150',
  performer: [{ actor: { reference: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' } }],
  protocolApplied: [
    {
      series: 'Primäry',
      doseNumberPositiveInt: 1,
      targetDisease: [{ coding: [{ system: 'http://snomed.info/sct', code: '840539006' }] }],
    },
  ],
  meta: {
    tag: [{ system: 'urn:tags', code: 'pilot' }],
    profile: ['http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization'],
  },
};

const byParam = <T extends { param: string }>(rows: T[], param: string): Array<Omit<T, 'param'>> =>
  rows.filter((r) => r.param === param).map(({ param: _, ...rest }) => rest);

describe('indexValues', () => {
  const index = indexValues(immunization);

  test('when an Immunization is indexed, then code, Coding, CodeableConcept and Identifier become tokens', () => {
    expect(byParam(index.token, 'status')).toEqual([{ system: '', code: 'completed' }]);
    expect(byParam(index.token, 'vaccine-code')).toEqual([{ system: 'http://snomed.info/sct', code: '1119349007' }]);
    expect(byParam(index.token, 'identifier')).toEqual([{ system: 'urn:oid:1.2.3', code: 'imm-1' }]);
    expect(byParam(index.token, 'target-disease')).toEqual([{ system: 'http://snomed.info/sct', code: '840539006' }]);
    expect(byParam(index.token, '_tag')).toEqual([{ system: 'urn:tags', code: 'pilot' }]);
  });

  test('when a token has display text, then it is indexed as a normalised string under code:text', () => {
    expect(byParam(index.string, 'vaccine-code:text')).toEqual([
      { value: 'covid-19 mrna', exact: 'COVID-19 mRNA' },
      { value: 'comirnaty', exact: 'Comirnaty' },
    ]);
  });

  test('when strings are indexed, then they are lower-cased and accent-stripped beside the exact text', () => {
    expect(byParam(index.string, 'series')).toEqual([{ value: 'primary', exact: 'Primäry' }]);
    expect(byParam(index.string, 'lot-number')).toEqual([{ value: 'ew0150', exact: 'EW0150' }]);
  });

  test('when a choice dateTime with offset is indexed, then it is an epoch range of its precision', () => {
    const at = Date.UTC(2021, 4, 1, 8, 0, 0);
    expect(byParam(index.date, 'date')).toEqual([{ low: at, high: at + 1000 }]);
  });

  test('when references are indexed, then relative ones give type and id (history stripped) and urn:uuid stays a url', () => {
    expect(byParam(index.reference, 'patient')).toEqual([{ type: 'Patient', id: 'p1', url: '' }]);
    expect(byParam(index.reference, 'performer')).toEqual([
      { type: '', id: '', url: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' },
    ]);
  });

  test('when meta.profile is indexed, then _profile is a uri', () => {
    expect(byParam(index.uri, '_profile')).toEqual([
      { value: 'http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization' },
    ]);
  });

  test('when _id and _lastUpdated exist, then they are not indexed (they are columns)', () => {
    const all = [...index.token, ...index.date].map((r) => r.param);
    expect(all).not.toContain('_id');
    expect(all).not.toContain('_lastUpdated');
  });

  test('when a Patient is indexed, then HumanName and Address parts, ContactPoint and boolean are indexed', () => {
    const p = indexValues({
      resourceType: 'Patient',
      active: true,
      name: [{ family: 'Dürr', given: ['Ana', 'Lú'], prefix: ['Dr'] }],
      address: [{ line: ['1 Main St'], city: 'Zürich', postalCode: '8000', country: 'CH' }],
      telecom: [{ system: 'email', value: 'ana@example.org' }],
      birthDate: '1980-02',
    });
    expect(byParam(p.string, 'name').map((r) => r.value)).toEqual(['durr', 'ana', 'lu', 'dr']);
    expect(byParam(p.string, 'address').map((r) => r.value)).toEqual(['1 main st', 'zurich', '8000', 'ch']);
    expect(byParam(p.token, 'telecom')).toEqual([{ system: 'email', code: 'ana@example.org' }]);
    expect(byParam(p.token, 'active')).toEqual([{ system: '', code: 'true' }]);
    expect(byParam(p.date, 'birthdate')).toEqual([{ low: Date.UTC(1980, 1, 1), high: Date.UTC(1980, 2, 1) }]);
  });

  test('when an Observation has a Period, a Quantity and a subject, then where(resolve() is Patient) params apply', () => {
    const o = indexValues({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'weight' },
      subject: { reference: 'Group/g1' },
      effectivePeriod: { end: '2020-01-31' },
      valueQuantity: { value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    });
    expect(byParam(o.date, 'date')).toEqual([{ low: MIN_INSTANT, high: Date.UTC(2020, 1, 1) }]);
    expect(byParam(o.quantity, 'value-quantity')).toEqual([
      { value: 72.5, system: 'http://unitsofmeasure.org', code: 'kg', unit: 'kg' },
    ]);
    expect(byParam(o.reference, 'subject')).toEqual([{ type: 'Group', id: 'g1', url: '' }]);
    expect(byParam(o.reference, 'patient')).toEqual([]);
  });

  test('when a Period has only a start or a number is decimal, then the bounds are open or the value exact', () => {
    const e = indexValues({
      resourceType: 'Encounter',
      status: 'finished',
      class: { code: 'AMB' },
      period: { start: '2020-01-01' },
    });
    expect(byParam(e.date, 'date')).toEqual([{ low: Date.UTC(2020, 0, 1), high: MAX_INSTANT }]);
    const r = indexValues({
      resourceType: 'RiskAssessment',
      status: 'final',
      subject: { reference: 'Patient/p' },
      prediction: [{ probabilityDecimal: 0.25 }],
    });
    expect(byParam(r.number, 'probability')).toEqual([{ value: 0.25 }]);
  });

  test('when the same code appears twice in a parameter, then it gets one row', () => {
    const c = indexValues({
      resourceType: 'Condition',
      subject: { reference: 'Patient/p' },
      code: {
        coding: [
          { system: 's', code: 'x' },
          { system: 's', code: 'x' },
        ],
      },
    });
    expect(byParam(c.token, 'code')).toEqual([{ system: 's', code: 'x' }]);
  });

  test('when a resource type has no search parameters of its own, then only the common ones index', () => {
    const b = indexValues({ resourceType: 'Binary', contentType: 'text/plain', meta: { tag: [{ code: 't' }] } });
    expect(b.token.map((t) => t.param)).toEqual(['_tag']);
  });
});

describe('parseReference', () => {
  test.each([
    ['Patient/1', { type: 'Patient', id: '1', url: '' }],
    ['Patient/1/_history/2', { type: 'Patient', id: '1', url: '' }],
    ['https://x.org/fhir/Patient/1', { type: '', id: '', url: 'https://x.org/fhir/Patient/1' }],
    ['http://hl7.org/fhir/ValueSet/x|4.0.1', { type: '', id: '', url: 'http://hl7.org/fhir/ValueSet/x|4.0.1' }],
  ])('when the reference is %s, then it parses as expected', (ref, expected) => {
    expect(parseReference(ref)).toEqual(expected);
  });

  test('when the reference is contained or empty, then there is nothing to index', () => {
    expect(parseReference('#c1')).toBeUndefined();
    expect(parseReference('')).toBeUndefined();
  });
});

describe('simple paths agree with FHIRPath', () => {
  const samples: Resource[] = [
    immunization,
    {
      resourceType: 'Patient',
      name: [{ family: 'A', given: ['B'] }],
      deceasedDateTime: '2020-01-01',
      multipleBirthInteger: 2,
    },
    {
      resourceType: 'Condition',
      subject: { reference: 'Patient/p' },
      onsetPeriod: { start: '2020' },
      abatementString: 'x',
    },
  ];
  test.each(samples.map((s) => [s.resourceType, s] as const))(
    'when %s is evaluated, then every plain-path parameter yields what FHIRPath yields',
    (type, sample) => {
      let compared = 0;
      for (const def of listSearchParams(type)) {
        if (!def.expression) continue;
        const simple = compileSimplePath(splitUnion(def.expression));
        if (!simple) continue;
        expect([def.code, evalSimplePath(simple, sample).map((v) => v.value)]).toEqual([
          def.code,
          evalFhirPath(def.expression, sample),
        ]);
        compared++;
      }
      expect(compared).toBeGreaterThan(3);
    },
  );
});
