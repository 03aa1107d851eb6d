/**
 * The direct form of `(A.b.c.ofType(t))` must yield exactly what @medplum/core's FHIRPath yields: the same values in
 * the same order, and the same index rows, for every R4 search parameter of that shape over every resource of that
 * type in the official R4 examples (hl7.fhir.r4.examples; Bundle entries included), and on hand-made odd data. When
 * it defers (a bare, non-choice key), FHIRPath judges.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FhirPathAtom } from '@medplum/core';
import { medplumEval } from '../../helpers/medplum-fhirpath.ts';
import type { Resource } from '@medplum/fhirtypes';
import { compiledParamsOf, indexValues } from '../../../src/fhir/search/index-values.ts';
import { compileOfTypePath, evalOfTypePath, type OfTypePath } from '../../../src/fhir/search/of-type-path.ts';

const DIR = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));

interface Handled {
  type: string;
  code: string;
  ofType: OfTypePath;
  atom: FhirPathAtom;
}

const TYPES = [
  'Provenance',
  'RiskAssessment',
  'CommunicationRequest',
  'ConceptMap',
  'Composition',
  'ActivityDefinition',
  'ValueSet',
  'CodeSystem',
  'MedicationRequest',
  'MedicationStatement',
  'Observation',
  'Condition',
  'Procedure',
  'DeviceRequest',
  'Immunization',
  'ServiceRequest',
  'MedicationAdministration',
  'MedicationDispense',
  'Questionnaire',
  'PlanDefinition',
  'Library',
  'Measure',
  'ResearchStudy',
  'ChargeItemDefinition',
  'EventDefinition',
  'Evidence',
  'Group',
  'ObservationDefinition',
  'Consent',
  'Encounter',
  'CarePlan',
  'SupplyRequest',
  'NutritionOrder',
];

const handled: Handled[] = TYPES.flatMap((type) =>
  compiledParamsOf(type).flatMap(({ def, ofType, atom }) =>
    ofType && atom ? [{ type, code: def.code, ofType, atom }] : [],
  ),
);

function expectSame(h: Handled, resource: Resource): boolean {
  const direct = evalOfTypePath(h.ofType, resource);
  if (direct === undefined) return false;
  const expected = medplumEval(h.atom, resource);
  expect({ id: resource.id, code: h.code, values: direct.map((v) => v.value) }).toEqual({
    id: resource.id,
    code: h.code,
    values: expected.map((v) => v.value),
  });
  return true;
}

describe('ofType(t) of a choice element in direct form', () => {
  test('when the R4 parameters are compiled, then the ofType shapes are handled', () => {
    const codes = new Set(handled.map((h) => `${h.type}.${h.code}`));
    for (const c of [
      'Provenance.when',
      'RiskAssessment.date',
      'CommunicationRequest.occurrence',
      'ConceptMap.source-uri',
    ])
      expect(codes).toContain(c);
  });

  test('when an expression is not one choice element typed by ofType, then it is not handled', () => {
    for (const e of [
      'value.ofType(Quantity)',
      '(Provenance.occurred.ofType(dateTime)',
      'Provenance.occurred.ofType(FHIR.dateTime)',
      '(Provenance.occurred.ofType(dateTime)).first()',
      '(Provenance.occurred as dateTime)',
      'Provenance.occurred',
    ])
      expect(compileOfTypePath([e])).toBeUndefined();
  });

  test('when every R4 example of a handled type is indexed, then the direct form equals FHIRPath', () => {
    const wanted = new Set(handled.map((h) => h.type));
    const byType = new Map<string, Resource[]>();
    const add = (r: Resource | undefined) => {
      if (r && wanted.has(r.resourceType)) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);
    };
    for (const f of readdirSync(DIR)) {
      if (!f.endsWith('.json') || f === 'package.json' || f.startsWith('.')) continue;
      if (!f.startsWith('Bundle-') && !wanted.has(f.split('-')[0] as string)) continue;
      const r = JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Resource;
      add(r);
      if (r.resourceType === 'Bundle') for (const e of r.entry ?? []) add(e.resource);
    }
    let compared = 0;
    let nonEmpty = 0;
    for (const h of handled) {
      for (const r of byType.get(h.type) ?? []) {
        if (expectSame(h, r)) compared++;
        if (medplumEval(h.atom, r).length > 0) nonEmpty++;
      }
    }
    expect(compared).toBeGreaterThan(100);
    expect(nonEmpty).toBeGreaterThan(5);
  });

  const provenance = (extra: Record<string, unknown>): Resource =>
    ({
      resourceType: 'Provenance',
      id: 'odd',
      recorded: '2024-01-01T00:00:00Z',
      agent: [{ who: { reference: 'Practitioner/1' } }],
      target: [{ reference: 'Patient/1' }],
      ...extra,
    }) as unknown as Resource;
  const when = () => handled.find((h) => h.type === 'Provenance' && h.code === 'when') as Handled;

  test.each([
    ['a dateTime', { occurredDateTime: '2024-05-06T07:08:09Z' }],
    ['a Period', { occurredPeriod: { start: '2024-01-01', end: '2024-02-01' } }],
    ['only an extension', { _occurredDateTime: { extension: [{ url: 'x', valueString: 'y' }] } }],
    ['nothing', {}],
  ])('when a Provenance occurred as %s, then it equals FHIRPath and gives the same rows', (_, extra) => {
    const r = provenance(extra);
    expect(expectSame(when(), r)).toBe(true);
    const expectedRows = indexValues(r).date.filter((d) => d.param === 'when');
    const fromEngine = medplumEval(when().atom, r);
    expect(expectedRows.length).toBe(fromEngine.filter((v) => typeof v.value === 'string').length);
  });

  test.each([
    ['the bare element name', { occurred: '2024-05-06' }],
    ['the element under two types', { occurredDateTime: '2024-05-06', occurredPeriod: { start: '2024-01-01' } }],
  ])('when a node holds %s, then FHIRPath judges it', (_, extra) => {
    const r = provenance(extra);
    expect(evalOfTypePath(when().ofType, r)).toBeUndefined();
    expect(() => indexValues(r)).not.toThrow();
  });
});
