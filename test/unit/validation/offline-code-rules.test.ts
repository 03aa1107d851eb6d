/**
 * The offline syntax checks behind corpus agreement: SNOMED CT identifiers (Verhoeff check digit) and SNOMED ECL
 * in ValueSet filters, and element value limits with UCUM conversion. Inputs are built here; the valid SCTIDs are
 * concept ids published in R4 core (e.g. 73211009 Diabetes mellitus), the invalid ones are those ids altered.
 */
import { eclProblem } from '../../../src/validation/ecl.ts';
import { sctidProblem } from '../../../src/validation/sctid.ts';
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import { createValidator } from '../../../src/validation/validator.ts';

describe('SNOMED CT identifier syntax', () => {
  test.each(['73211009', '840535000', '276885007', '1142143009'])(
    'when %s is checked, then it may be a concept',
    (id) => {
      expect(sctidProblem(id)).toBeUndefined();
    },
  );

  test('when a digit of a valid id changes, then the check digit no longer fits', () => {
    for (const id of ['73211009', '840535000', '276885007']) {
      const altered = `${id.slice(0, 2)}${(Number(id[2]) + 1) % 10}${id.slice(3)}`;
      expect(sctidProblem(altered)).toBe('its check digit is wrong');
    }
  });

  test('when the id has a letter, a leading zero or too few digits, then it is refused; an expression is not judged', () => {
    expect(sctidProblem('276885007x')).toBe('a SNOMED CT identifier has digits only');
    expect(sctidProblem('073211009')).toBe('a SNOMED CT identifier has no leading zero');
    expect(sctidProblem('12345')).toBe('a SNOMED CT identifier has 6 to 18 digits');
    expect(sctidProblem('73211009 : 363698007 = 39057004')).toBeUndefined();
  });
});

describe('SNOMED ECL syntax', () => {
  test.each([
    '<< 73211009 |Diabetes mellitus|',
    '< 404684003 : 363698007 = << 39057004',
    '(< 19829001 OR < 301867009) MINUS << 195967001',
    '< 404684003 : { 363698007 = << 39057004, 116676008 = << 415582006 }',
    '<< 404684003 : [1..3] 363698007 = *',
    '< 373873005 : 1142139005 = #1',
  ])('when %s is checked, then it is well-formed', (ecl) => {
    expect(eclProblem(ecl)).toBeUndefined();
  });

  test.each(['234234 << 234234', '<< ', '(< 19829001 OR < 301867009', '< 404684003 : 363698007'])(
    'when %s is checked, then it is malformed',
    (ecl) => {
      expect(eclProblem(ecl)).toEqual(expect.any(String));
    },
  );
});

describe('element value limits', () => {
  const core = readBaseR4();
  const profile = {
    resourceType: 'StructureDefinition',
    url: 'http://example.org/StructureDefinition/limits',
    name: 'Limits',
    status: 'active',
    kind: 'resource',
    abstract: false,
    type: 'Observation',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Observation',
    derivation: 'constraint',
    differential: {
      element: [
        { id: 'Observation.value[x]', path: 'Observation.value[x]', type: [{ code: 'Quantity' }] },
        {
          id: 'Observation.value[x]',
          path: 'Observation.value[x]',
          minValueQuantity: { value: 1, system: 'http://unitsofmeasure.org', code: 'kg' },
          maxValueQuantity: { value: 2, system: 'http://unitsofmeasure.org', code: 'kg' },
        },
        { id: 'Observation.issued', path: 'Observation.issued', maxValueInstant: '2025-01-01T00:00:00Z' },
      ],
    },
  };
  const validator = createValidator({
    packages: [
      core,
      {
        id: 'limits',
        version: '0.0.0',
        fhirVersion: '4.0.1',
        dependencies: {},
        resources: [profile],
        examples: [],
        source: 'test',
      },
    ],
    summaries: [],
    warnings: [],
  } as never);
  const obs = (grams: number, issued: string) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'weight' },
    issued,
    valueQuantity: { value: grams, unit: 'g', system: 'http://unitsofmeasure.org', code: 'g' },
  });
  const limitIssues = (o: unknown) =>
    (validator.validate(o, { profile: profile.url }).issue ?? [])
      .map((i) => i.details?.coding?.[0]?.code)
      .filter((c) => c === 'VALUE_BELOW_MIN' || c === 'VALUE_ABOVE_MAX');

  test('when a quantity in grams lies within limits in kilograms, then it passes after UCUM conversion', () => {
    expect(limitIssues(obs(1500, '2024-06-01T00:00:00Z'))).toEqual([]);
  });

  test('when it lies outside, or the instant is after the maximum, then each limit broken is reported', () => {
    expect(limitIssues(obs(500, '2024-06-01T00:00:00Z'))).toEqual(['VALUE_BELOW_MIN']);
    expect(limitIssues(obs(2500, '2025-06-01T00:00:00Z'))).toEqual(['VALUE_ABOVE_MAX', 'VALUE_ABOVE_MAX']);
  });
});
