/** dom-3 (contained resources are referenced) computed in one walk: same verdicts as the per-contained scan. */
import { unreferencedContained } from '../../../src/validation/native-invariants.ts';

describe('dom-3 unreferencedContained', () => {
  test('when a contained resource is referenced from the container, then it passes; one that is not is reported', () => {
    const r = {
      resourceType: 'Patient',
      contained: [
        { resourceType: 'Organization', id: 'a' },
        { resourceType: 'Organization', id: 'b' },
      ],
      managingOrganization: { reference: '#a' },
    };
    expect(unreferencedContained(r)).toEqual(['b']);
  });

  test('when a contained resource is referenced only from another contained resource, then it passes; a self-reference does not count', () => {
    const r = {
      resourceType: 'Patient',
      contained: [
        { resourceType: 'Organization', id: 'a', partOf: { reference: '#b' } },
        { resourceType: 'Organization', id: 'b', partOf: { reference: '#b' } },
      ],
      managingOrganization: { reference: '#a' },
    };
    expect(unreferencedContained(r)).toEqual([]);
    const selfOnly = {
      resourceType: 'Patient',
      contained: [{ resourceType: 'Organization', id: 'b', partOf: { reference: '#b' } }],
    };
    expect(unreferencedContained(selfOnly)).toEqual(['b']);
  });

  test('when a contained resource refers to its container (#) or is used by its canonical url, then it passes', () => {
    const r = {
      resourceType: 'Questionnaire',
      contained: [
        { resourceType: 'Provenance', id: 'p', target: [{ reference: '#' }] },
        { resourceType: 'ValueSet', id: 'vs', url: 'http://example.org/vs' },
        { resourceType: 'ValueSet', id: 'other', url: 'http://example.org/unused' },
      ],
      item: [{ answerValueSet: 'http://example.org/vs' }],
    };
    expect(unreferencedContained(r)).toEqual(['other']);
  });

  test('when 50,000 contained resources are each referenced once, then none is reported (one walk, not one per contained)', () => {
    const n = 50_000;
    const r = {
      resourceType: 'Patient',
      contained: Array.from({ length: n }, (_, i) => ({ resourceType: 'Organization', id: `o${i}` })),
      generalPractitioner: Array.from({ length: n - 1 }, (_, i) => ({ reference: `#o${i}` })),
    };
    expect(unreferencedContained(r)).toEqual([`o${n - 1}`]);
  });
});
