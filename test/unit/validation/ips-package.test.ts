/**
 * The HL7 IPS 2.0.0 package: every example it ships validates with zero errors, and mutations of its minimal
 * document (test/fixtures/ips-mutations.ts, made from the clean example at test time) give exactly the stated errors.
 */
import { createValidator } from '../../../src/validation/validator.ts';
import {
  IPS_MUTATION_SOURCE,
  IPS_MUTATIONS,
  IPS_SOURCE_LAYOUT,
  IPS_SOURCE_SECTIONS,
  type J,
} from '../../fixtures/ips-mutations.ts';
import { IPS_BUNDLE } from '../../helpers/shared-packages.ts';
import { sharedPackages } from './shared-packages.ts';

const set = await sharedPackages();
const validator = createValidator(set);
const ips = set.packages.find((p) => p.id === 'hl7.fhir.uv.ips' && p.version === '2.0.0');
const examples = ips?.examples ?? [];
const clean = (): J => structuredClone(examples.find((e) => e.file === IPS_MUTATION_SOURCE)?.resource) as J;
const key = (id: string | undefined, expression: string | undefined): string => `${id} @ ${expression}`;
const found = (bundle: J, severity: string): string[] =>
  validator
    .validate(bundle, { profile: IPS_BUNDLE })
    .issue.filter((i) => i.severity === severity)
    .map((i) => key(i.details?.coding?.[0]?.code, i.expression?.[0]));

describe('HL7 IPS 2.0.0 examples', () => {
  test('when the shared packages are loaded, then the IPS package and its examples are there', () => {
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.filter((e) => e.resource.resourceType === 'Bundle').length).toBeGreaterThan(0);
  });

  test.each(examples.map((e) => [e.file, e.resource] as const))(
    'when IPS example %s is validated against its declared profile, then there are zero errors',
    (_file, resource) => {
      const errors = validator.validate(resource).issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
      expect(errors).toEqual([]);
    },
  );

  test.each(examples.filter((e) => e.resource.resourceType === 'Bundle').map((e) => [e.file, e.resource] as const))(
    'when IPS document example %s is validated against the IPS Bundle profile, then there are zero errors and no orphan entry',
    (_file, resource) => {
      const issues = validator.validate(resource, { profile: IPS_BUNDLE }).issue;
      expect(issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')).toEqual([]);
      expect(issues.filter((i) => i.details?.coding?.[0]?.code === 'BUNDLE_ENTRY_UNREACHABLE')).toEqual([]);
    },
  );
});

describe('mutations of the IPS minimal document', () => {
  test('when the mutations are listed, then there are at least 20, each named once', () => {
    expect(IPS_MUTATIONS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(IPS_MUTATIONS.map((m) => m.name)).size).toBe(IPS_MUTATIONS.length);
  });

  test('when the clean source is read, then it has the layout the mutations assume and no error', () => {
    const b = clean();
    expect(b.entry.map((e: J) => e.resource.resourceType)).toEqual(IPS_SOURCE_LAYOUT);
    expect(b.entry[0].resource.section.map((s: J) => s.code.coding[0].code)).toEqual(IPS_SOURCE_SECTIONS);
    expect(found(b, 'error')).toEqual([]);
  });

  test.each(IPS_MUTATIONS.map((m) => [m.name, m] as const))(
    'when %s is validated against the IPS Bundle profile, then exactly the expected errors are reported',
    (_name, m) => {
      const b = clean();
      m.mutate(b);
      expect(found(b, 'error').sort()).toEqual(m.errors.map(([id, expr]) => key(id, expr)).sort());
      const warnings = found(b, 'warning');
      for (const [id, expr] of m.warnings ?? []) expect(warnings).toContain(key(id, expr));
    },
  );
});

describe('hostile IPS documents', () => {
  test('when a document carries 1,000 entries nothing links to the Composition, two of them referencing each other, then each is one unreachable-entry error and there is no other', () => {
    const b = clean();
    const unrelated = 1000;
    for (let i = 0; i < unrelated; i++)
      b.entry.push({
        fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        resource: { resourceType: 'Organization', name: `Org ${i}` },
      });
    const [a, z] = ['urn:uuid:aaaaaaaa-0000-4000-8000-000000000001', 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000002'];
    b.entry.push(
      { fullUrl: a, resource: { resourceType: 'Organization', name: 'A', partOf: { reference: z } } },
      { fullUrl: z, resource: { resourceType: 'Organization', name: 'Z', partOf: { reference: a } } },
    );
    const errors = found(b, 'error');
    const orphans = errors.filter((w) => w.startsWith('BUNDLE_ENTRY_UNREACHABLE'));
    expect(orphans).toHaveLength(unrelated + 2);
    expect(errors).toHaveLength(orphans.length);
    expect(orphans).toContain(`BUNDLE_ENTRY_UNREACHABLE @ Bundle.entry[${IPS_SOURCE_LAYOUT.length}]`);
  });

  test('when a section entry points outside the Bundle, then it is an error at that entry, not a fetch', () => {
    const b = clean();
    b.entry[0].resource.section[0].entry[0].reference = 'https://elsewhere.example/fhir/Condition/1';
    expect(found(b, 'error')).toContain(
      'BUNDLE_SECTION_ENTRY_NOT_FOUND @ Bundle.entry[0].resource.section[0].entry[0]',
    );
  });
});
