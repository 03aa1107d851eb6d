/** dom-3 (contained resources are referenced) computed in one walk: same verdicts as the per-contained scan. */
import { NATIVE_BY_EXPRESSION, unreferencedContained } from '../../../src/validation/native-invariants.ts';

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

describe('txt-1..3 htmlChecks', () => {
  const htmlChecks = (div: string): boolean =>
    NATIVE_BY_EXPRESSION.get('htmlChecks()')?.(div as never, {}, {}) as boolean;
  // The specification's element list as one pattern over the whole text: the scan after each `<` must agree with it.
  const FORBIDDEN =
    /<(script|object|iframe|form|base|link|embed|applet|frame|frameset|meta|head|body|html|style)[\s>/]/i;
  const wrap = (inner: string): string => `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>`;
  const inner = [
    '<p>plain</p>',
    '<SCRIPT>x</SCRIPT>',
    '<frameset/>',
    '<frame1>',
    '<forms>',
    '<Meta\u00a0name="x">',
    '<style',
    '<li\u212ank >',
    '<\u017fcript>',
    'a < b and c <head',
    '<p>1 <<base href="x"></p>',
    '<iframe\tsrc="x">',
    '<table><tbody><tr><td>x</td></tr></tbody></table>',
  ];

  test('when a narrative holds a forbidden element (any case, any whitespace after it), then it fails, as the whole-text pattern says', () => {
    for (const i of inner) expect([i, htmlChecks(wrap(i))]).toEqual([i, !FORBIDDEN.test(wrap(i))]);
    expect(htmlChecks(wrap('<SCRIPT>x</SCRIPT>'))).toBe(false);
    expect(htmlChecks(wrap('<frame1>'))).toBe(true);
  });
});
