/** Slicing semantics on small derived profiles: value/pattern/exists discriminators, ordered, closed, openAtEnd, re-slicing. */
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { PackageSet } from '../../../src/packages/types.ts';
import { createValidator } from '../../../src/validation/validator.ts';
import { sharedPackages } from './shared-packages.ts';
import { deriveProfile, edit, expandType, insertAfter, withResources, type El } from './synthetic.ts';

const base = await sharedPackages();
const T = 'http://test.local/StructureDefinition/';

function slice(
  set: PackageSet,
  name: string,
  min: number,
  max: string,
  fixed: Record<string, unknown>,
  extra: El[] = [],
): El[] {
  const id = `Patient.identifier:${name}`;
  const children = expandType(set, 'Identifier', id, 'Patient.identifier').map((e) =>
    e.id === `${id}.system` ? { ...e, ...fixed } : e,
  );
  return [
    {
      id,
      path: 'Patient.identifier',
      sliceName: name,
      min,
      max,
      base: { path: 'Patient.identifier', min: 0, max: '*' },
      type: [{ code: 'Identifier' }],
    },
    ...children,
    ...extra,
  ];
}

function identifierProfile(
  name: string,
  slicing: Record<string, unknown>,
  slices: El[],
): ReturnType<typeof deriveProfile> {
  return deriveProfile(base, 'Patient', `${T}${name}`, (els) =>
    insertAfter(edit(els, 'Patient.identifier', { slicing }), 'Patient.identifier', slices),
  );
}

const reslice: El[] = [
  {
    id: 'Patient.identifier:a/official',
    path: 'Patient.identifier',
    sliceName: 'a/official',
    min: 1,
    max: '1',
    base: { path: 'Patient.identifier', min: 0, max: '*' },
    type: [{ code: 'Identifier' }],
  },
  ...expandType(base, 'Identifier', 'Patient.identifier:a/official', 'Patient.identifier').map((e) =>
    e.id.endsWith('.use')
      ? { ...e, fixedCode: 'official' }
      : e.id.endsWith('.system')
        ? { ...e, fixedUri: 'urn:a' }
        : e,
  ),
];
const sliceA = slice(base, 'a', 1, '1', { fixedUri: 'urn:a' });
sliceA[0] = { ...sliceA[0], slicing: { discriminator: [{ type: 'value', path: 'use' }], rules: 'open' } };

const set = withResources(base, [
  identifierProfile('Ordered', { discriminator: [{ type: 'value', path: 'system' }], ordered: true, rules: 'closed' }, [
    ...slice(base, 'a', 1, '1', { fixedUri: 'urn:a' }),
    ...slice(base, 'b', 0, '*', { fixedUri: 'urn:b' }),
  ]),
  identifierProfile(
    'OpenAtEnd',
    { discriminator: [{ type: 'pattern', path: 'system' }], rules: 'openAtEnd' },
    slice(base, 'a', 0, '1', { patternUri: 'urn:a' }),
  ),
  identifierProfile('Exists', { discriminator: [{ type: 'exists', path: 'period' }], rules: 'open' }, [
    ...slice(base, 'withPeriod', 1, '1', {}).map((e) => (e.id.endsWith('.period') ? { ...e, min: 1 } : e)),
  ]),
  identifierProfile('Resliced', { discriminator: [{ type: 'value', path: 'system' }], rules: 'open' }, [
    ...sliceA,
    ...reslice,
  ]),
]);
const validator = createValidator(set);

const errors = (o: OperationOutcome): string[] =>
  o.issue
    .filter((i) => i.severity === 'error')
    .map((i) => `${i.details?.coding?.[0]?.code} @ ${i.expression?.[0]}: ${i.details?.text}`);
const patient = (identifier: unknown[]) => ({ resourceType: 'Patient', identifier });

describe('slicing', () => {
  test('when values come in slice order and all match, then there are no errors', () => {
    expect(
      errors(
        validator.validate(patient([{ system: 'urn:a' }, { system: 'urn:b' }, { system: 'urn:b' }]), {
          profile: `${T}Ordered`,
        }),
      ),
    ).toEqual([]);
  });

  test('when an ordered slicing gets values out of order, then SLICE_ORDER is reported on the late value', () => {
    expect(
      errors(validator.validate(patient([{ system: 'urn:b' }, { system: 'urn:a' }]), { profile: `${T}Ordered` })),
    ).toEqual([
      'SLICE_ORDER @ Patient.identifier[1]: As specified by profile, elements of Patient.identifier are out of order: this matches slice a, which comes earlier',
    ]);
  });

  test('when a closed slicing gets a value matching no slice, then SLICE_CLOSED_NO_MATCH is reported on it', () => {
    expect(
      errors(validator.validate(patient([{ system: 'urn:a' }, { system: 'urn:c' }]), { profile: `${T}Ordered` })),
    ).toEqual([
      'SLICE_CLOSED_NO_MATCH @ Patient.identifier[1]: This element does not match any known slice defined in the profile and slicing of Patient.identifier is closed',
    ]);
  });

  test('when a required slice is absent, then SLICE_CARDINALITY_MIN names the slice at the parent', () => {
    expect(errors(validator.validate(patient([{ system: 'urn:b' }]), { profile: `${T}Ordered` }))).toEqual([
      'SLICE_CARDINALITY_MIN @ Patient: Patient.identifier:a: minimum required = 1, but only found 0',
    ]);
  });

  test('when an openAtEnd slicing has an unmatched value before a sliced one, then SLICE_OPEN_AT_END is reported', () => {
    expect(
      errors(validator.validate(patient([{ system: 'urn:x' }, { system: 'urn:a' }]), { profile: `${T}OpenAtEnd` })),
    ).toEqual([
      'SLICE_OPEN_AT_END @ Patient.identifier[1]: Elements of Patient.identifier that match no slice must come after all the sliced ones',
    ]);
    expect(
      errors(validator.validate(patient([{ system: 'urn:a' }, { system: 'urn:x' }]), { profile: `${T}OpenAtEnd` })),
    ).toEqual([]);
  });

  test('when an exists discriminator requires an element, then only values having it match the slice', () => {
    expect(errors(validator.validate(patient([{ value: '1' }]), { profile: `${T}Exists` }))).toEqual([
      'SLICE_CARDINALITY_MIN @ Patient: Patient.identifier:withPeriod: minimum required = 1, but only found 0',
    ]);
    expect(
      errors(validator.validate(patient([{ value: '1', period: { start: '2020' } }]), { profile: `${T}Exists` })),
    ).toEqual([]);
  });

  test('when a slice is re-sliced, then the re-slice cardinality applies to the values of its slice', () => {
    expect(
      errors(validator.validate(patient([{ system: 'urn:a', use: 'official' }]), { profile: `${T}Resliced` })),
    ).toEqual([]);
    expect(
      errors(validator.validate(patient([{ system: 'urn:a', use: 'usual' }]), { profile: `${T}Resliced` })),
    ).toEqual([
      'SLICE_CARDINALITY_MIN @ Patient: Patient.identifier:a/official: minimum required = 1, but only found 0',
    ]);
  });

  test('when the DDCC extension slices are told apart by url from the extension profile, then the official example has no errors', () => {
    const ddcc = base.packages.find((p) => p.id === 'who.ddcc');
    const imm = ddcc?.examples.find((e) => e.file === 'Immunization-DDCCImmunizationEnglish.json')?.resource;
    expect(errors(validator.validate(imm))).toEqual([]);
  });
});
