/**
 * Snapshot generation (validation/snapshot.ts): small differentials whose expected snapshot is read off the base
 * definition, the engine validating against a differential-only profile, and the regeneration of every published
 * constraint profile of the packages we have (R4 core and ../shared/fhir-packages), compared with its snapshot.
 */
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import type { AnyResource, FhirPackage } from '../../../src/packages/types.ts';
import { generateSnapshot, type SnapshotElement } from '../../../src/validation/snapshot.ts';
import { createValidator } from '../../../src/validation/validator.ts';
import { compareWithPublished, type DifferenceClass } from './snapshot-compare.ts';
import { sharedPackages } from './shared-packages.ts';

const core = readBaseR4();
const coreSd = (type: string) =>
  core.resources.find((r) => r.url === `http://hl7.org/fhir/StructureDefinition/${type}`) as AnyResource;
const coreSource = (url: string) =>
  (core.resources.find((r) => r.url === url.split('|')[0])?.snapshot as { element?: SnapshotElement[] } | undefined)
    ?.element;
const ids = (els: readonly SnapshotElement[]) => els.map((e) => e.id);

const profile = (type: string, elements: Record<string, unknown>[], url = `http://example.org/sd/${type}-p`) =>
  ({
    resourceType: 'StructureDefinition',
    url,
    type,
    kind: 'resource',
    derivation: 'constraint',
    baseDefinition: `http://hl7.org/fhir/StructureDefinition/${type}`,
    differential: { element: elements },
  }) as AnyResource;

describe('snapshot generation from a differential', () => {
  test('when a differential narrows an element, then the base snapshot is kept in order with the narrowing merged', () => {
    const out = generateSnapshot(
      profile('Patient', [{ id: 'Patient.name', path: 'Patient.name', min: 1 }]),
      coreSource,
    );
    const base = (coreSd('Patient').snapshot as { element: SnapshotElement[] }).element;
    expect(ids(out?.element ?? [])).toEqual(ids(base));
    expect(out?.element.find((e) => e.id === 'Patient.name')?.min).toBe(1);
    expect(out?.problems).toEqual([]);
  });

  test('when a differential reaches inside a data type, then the type is unfolded under the element', () => {
    const out = generateSnapshot(
      profile('Patient', [{ id: 'Patient.name.family', path: 'Patient.name.family', min: 1 }]),
      coreSource,
    );
    const humanName = ids((coreSd('HumanName').snapshot as { element: SnapshotElement[] }).element).slice(1);
    const unfolded = ids(out?.element ?? []).filter((id) => id.startsWith('Patient.name.'));
    expect(unfolded).toEqual(humanName.map((id) => id.replace(/^HumanName/, 'Patient.name')));
    expect(out?.element.find((e) => e.id === 'Patient.name.family')?.min).toBe(1);
  });

  test('when an extension slice is added without slicing, then the url slicing is implied and the slice follows its element', () => {
    const url = 'http://example.org/ext';
    const out = generateSnapshot(
      profile('Patient', [
        {
          id: 'Patient.extension:e',
          path: 'Patient.extension',
          sliceName: 'e',
          min: 1,
          type: [{ code: 'Extension', profile: [url] }],
        },
      ]),
      coreSource,
    );
    const els = out?.element ?? [];
    const owner = els.findIndex((e) => e.id === 'Patient.extension');
    expect(els[owner]?.slicing).toEqual({
      discriminator: [{ type: 'value', path: 'url' }],
      ordered: false,
      rules: 'open',
    });
    expect(els[owner + 1]).toMatchObject({ id: 'Patient.extension:e', sliceName: 'e', min: 1 });
  });

  test('when a choice is named by its type, then it is narrowed to that type and sliced by it (as the HL7 tools do)', () => {
    const out = generateSnapshot(
      profile('Observation', [
        { id: 'Observation.valueQuantity', path: 'Observation.valueQuantity', min: 1 },
        { id: 'Observation.valueQuantity.code', path: 'Observation.valueQuantity.code', min: 1 },
      ]),
      coreSource,
    );
    const byId = new Map((out?.element ?? []).map((e) => [e.id, e]));
    expect(byId.get('Observation.value[x]')?.type).toEqual([{ code: 'Quantity' }]);
    expect(byId.get('Observation.value[x]:valueQuantity')?.min).toBe(1);
    expect(byId.get('Observation.value[x]:valueQuantity.code')?.min).toBe(1);
  });

  test('when a slice of a content-referenced element is constrained inside, then it unfolds the base definition', () => {
    const out = generateSnapshot(
      profile('Parameters', [
        {
          id: 'Parameters.parameter.part',
          path: 'Parameters.parameter.part',
          slicing: { discriminator: [{ type: 'value', path: 'name' }], rules: 'open' },
        },
        { id: 'Parameters.parameter.part:a', path: 'Parameters.parameter.part', sliceName: 'a', min: 1 },
        { id: 'Parameters.parameter.part:a.name', path: 'Parameters.parameter.part.name', fixedString: 'a' },
      ]),
      coreSource,
    );
    const slice = (out?.element ?? []).filter((e) => e.id.startsWith('Parameters.parameter.part:a.'));
    expect(slice.map((e) => e.id)).toContain('Parameters.parameter.part:a.name');
    // The unfolded copy is the base `parameter`, not the profile's own sliced one (no recursion into slices).
    expect(slice.some((e) => e.id.includes('part:a.part:'))).toBe(false);
    expect(slice.find((e) => e.id === 'Parameters.parameter.part:a.name')?.fixedString).toBe('a');
  });

  test('when a differential names an element the base does not have, then it is reported, not invented', () => {
    const out = generateSnapshot(
      profile('Patient', [{ id: 'Patient.nickname', path: 'Patient.nickname' }]),
      coreSource,
    );
    expect(out?.problems).toHaveLength(1);
    expect(ids(out?.element ?? [])).not.toContain('Patient.nickname');
  });

  test('when a resource claims a differential-only profile, then the validator checks it against the generated snapshot', () => {
    const extra: FhirPackage = {
      id: 'example.diff',
      version: '0.0.1',
      fhirVersion: '4.0.1',
      dependencies: {},
      resources: [profile('Patient', [{ id: 'Patient.birthDate', path: 'Patient.birthDate', min: 1 }])],
      examples: [],
      source: 'test',
    };
    const validator = createValidator({ packages: [core, extra], summaries: [], warnings: [] });
    const patient = { resourceType: 'Patient', meta: { profile: ['http://example.org/sd/Patient-p'] } };
    const errors = validator.validate(patient).issue.filter((i) => i.severity === 'error');
    expect(errors.map((i) => i.details?.text)).toEqual([
      expect.stringContaining('Patient.birthDate: minimum required = 1, but only found 0'),
    ]);
    expect(
      validator.validate({ ...patient, birthDate: '2000-01-01' }).issue.filter((i) => i.severity === 'error'),
    ).toEqual([]);
  });
});

describe('regenerating the published snapshots of the packages we have', () => {
  test('when every constraint profile is regenerated from its differential, then its elements match the published snapshot', async () => {
    const set = await sharedPackages();
    const sds = set.packages
      .filter((p) => p.fhirVersion.startsWith('4.0'))
      .flatMap((p) => p.resources)
      .filter((r) => r.resourceType === 'StructureDefinition');
    const byUrl = new Map(sds.map((r) => [r.url, r]));
    const source = (url: string) =>
      (byUrl.get(url.split('|')[0])?.snapshot as { element?: SnapshotElement[] } | undefined)?.element;
    const profiles = sds.filter((r) => r.derivation === 'constraint' && r.snapshot && r.differential);
    const results = profiles.map((sd) => compareWithPublished(sd, source));
    const generated = results.filter((r) => !r.differences.some((d) => d.kind === 'not generated'));
    const elements = generated.reduce((n, r) => n + r.elements, 0);
    const matching = generated.reduce((n, r) => n + r.matching, 0);
    const classes: Partial<Record<DifferenceClass, number>> = {};
    for (const r of results) for (const d of r.differences) classes[d.kind] = (classes[d.kind] ?? 0) + 1;
    const whole = generated.filter((r) => r.differences.length === 0).length;
    console.log(
      [
        `snapshot generation vs published: ${profiles.length} constraint profiles, ${generated.length} generated (the others' base is not loaded)`,
        `profiles identical ${whole}/${generated.length} (${((100 * whole) / generated.length).toFixed(1)}%), elements matching ${matching}/${elements} (${((100 * matching) / elements).toFixed(1)}%)`,
        `differences by class: ${JSON.stringify(classes)}`,
      ].join('\n'),
    );
    // Every profile whose base is loaded is generated; the rest name a package we do not hold.
    for (const r of results.filter((x) => !generated.includes(x))) {
      const sd = profiles.find((p) => p.url === r.url);
      expect(source(String(sd?.baseDefinition))).toBeUndefined();
    }
    expect(matching / elements).toBeGreaterThan(0.85);
    expect(whole / generated.length).toBeGreaterThan(0.85);
  });
});
