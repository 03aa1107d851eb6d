/**
 * Every example shipped in the packages' `example/` folders validates against its declared profile
 * with zero errors, apart from the exceptions below, each with its reason.
 */
import { createValidator } from '../../../src/validation/validator.ts';
import { sharedPackages } from './shared-packages.ts';
import { sharedArchiveManifests } from '../../helpers/shared-packages.ts';

/**
 * Examples that are themselves invalid. Reasons checked by reading the example and its profile:
 * - the ICVP DVC document examples reference an Organization (`author`, `performer.actor`) by urn:uuid that
 *   is not in the Bundle, and DVCComposition's closed section slicing discriminates on the type of
 *   `section.focus`, which the example's sections do not have; so no section can match any slice, and
 *   then the Composition (and the Bundle's `entry:composition` profile slice) cannot match either.
 * - Questionnaire-pPreQual contains ValueSets (`DVCRelationshipStatus`, `PreQualProductIds`) that nothing in
 *   the Questionnaire references (neither `#id` nor their canonical url): dom-3 fails. Its declared profile
 *   (sdc-questionnaire-extr-smap) is in hl7.fhir.uv.sdc, a dependency that is not loaded, so only the
 *   base Questionnaire rules are checked.
 */
const EXCEPTIONS: Record<string, string[]> = {
  'Bundle-DVCDocExample.json': ['REFERENCE_NOT_RESOLVED', 'SLICE_CLOSED_NO_MATCH', 'SLICE_CARDINALITY_MIN'],
  'Bundle-DVCDocSDExample.json': ['REFERENCE_NOT_RESOLVED', 'SLICE_CLOSED_NO_MATCH', 'SLICE_CARDINALITY_MIN'],
  'Questionnaire-pPreQual.json': ['INVARIANT_FAILED'],
};

const set = await sharedPackages();
const validator = createValidator(set);
const examples = set.packages.flatMap((p) => p.examples.map((e) => ({ pkg: `${p.id}#${p.version}`, ...e })));

describe('package examples', () => {
  test('when the shared packages are loaded, then every example file of their R4 archives is there', () => {
    const expected = sharedArchiveManifests()
      .filter((m) => m.fhirVersion.startsWith('4.0'))
      .reduce((n, m) => n + m.exampleFiles, 0);
    expect(examples).toHaveLength(expected);
    expect(examples.filter((e) => e.pkg === 'hl7.fhir.uv.ips#2.0.0').length).toBeGreaterThan(0);
  });

  test.each(examples.filter((e) => !EXCEPTIONS[e.file]).map((e) => [e.pkg, e.file, e.resource] as const))(
    'when %s example %s is validated against its declared profile, then there are zero errors',
    (_pkg, _file, resource) => {
      const errors = validator.validate(resource).issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
      expect(errors).toEqual([]);
    },
  );

  test.each(Object.entries(EXCEPTIONS))(
    'when the known-invalid example %s is validated, then only its documented problems are reported',
    (file, ids) => {
      const ex = examples.find((e) => e.file === file);
      const errors = validator.validate(ex?.resource).issue.filter((i) => i.severity === 'error');
      expect(errors.length).toBeGreaterThan(0);
      expect(new Set(errors.map((i) => i.details?.coding?.[0]?.code))).toEqual(new Set(ids));
    },
  );
});
