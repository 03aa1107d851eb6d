/**
 * Invariant groups answer every member only where FHIRPath gives the same verdict: checked against the FHIRPath engine
 * on every ElementDefinition (snapshot and differential) of the R4 core definitions, as they are and mutated so that
 * each member's guarded part, its failure and the shapes it must leave to FHIRPath are reached.
 */
import { evalFhirPathTyped, parseFhirPath } from '@medplum/core';
import { loadBaseDefinitions } from '../../../src/fhir/base-definitions.ts';
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import type { AnyResource } from '../../../src/packages/types.ts';
import { FAILS, groupOf, HOLDS, INVARIANT_GROUPS, UNSURE } from '../../../src/validation/invariant-groups.ts';

type Json = Record<string, unknown>;

function fhirpathHolds(expression: string, type: string, value: unknown): boolean {
  const result = evalFhirPathTyped(parseFhirPath(expression), [{ type, value }], { '%context': { type, value } });
  return !(result.length === 1 && result[0].value === false);
}

/** `el` with `changes` applied; a change to undefined removes the key. */
function vary(el: Json, changes: Json): Json {
  const out: Json = { ...el, ...changes };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** Variants of an ElementDefinition that reach each member's guarded part, its failure, and the unsure shapes. */
function variants(el: Json): Json[] {
  return [
    el,
    vary(el, { contentReference: '#X.y' }),
    vary(el, { contentReference: '#X.y', type: undefined, binding: undefined, fixedString: undefined }),
    vary(el, { contentReference: '#X.y', maxLength: 3 }),
    vary(el, { fixedString: 'a', patternCode: 'b' }),
    vary(el, { fixed: 'a' }),
    vary(el, { fixedString: null }),
    vary(el, { fixedString: 'a', type: [{ code: 'string' }, { code: 'code' }] }),
    vary(el, { patternCoding: { code: 'a' }, type: [] }),
    vary(el, { min: 2, max: '1' }),
    vary(el, { min: 0, max: '3' }),
    vary(el, { min: 1, max: '01' }),
    vary(el, { min: '1', max: 2 }),
    vary(el, { min: 1, max: '' }),
    vary(el, { min: 1, _max: { extension: [] } }),
    vary(el, { isModifier: true }),
    vary(el, { isModifier: true, isModifierReason: 'because' }),
    vary(el, { isModifier: true, isModifierReason: '' }),
    vary(el, { isModifier: 'yes' }),
    vary(el, { isModifier: false }),
    vary(el, { sliceIsConstraining: true }),
    vary(el, { sliceIsConstraining: true, sliceName: undefined }),
    vary(el, { sliceIsConstraining: false, sliceName: 'a' }),
    vary(el, { sliceIsConstraining: null, sliceName: undefined }),
    vary(el, { binding: { strength: 'required', valueSet: 'ftp://x' } }),
    vary(el, { binding: { strength: 'required' }, type: undefined }),
    vary(el, { binding: { strength: 'required' }, type: [{ profile: ['x'] }] }),
    vary(el, { type: [{ code: 'string' }, { code: 'string' }] }),
    vary(el, { type: [null] }),
    vary(el, { type: [{ code: '' }, { code: '' }] }),
    vary(el, { type: [{ code: 'a', _code: { extension: [] } }] }),
    vary(el, { type: { code: 'string' } }),
    vary(el, { constraint: [{ key: 'a' }, { key: 'a' }] }),
    vary(el, { constraint: [{ key: 'a' }, { human: 'no key' }, { key: 'b' }] }),
    vary(el, { constraint: [{ key: 7 }] }),
    vary(el, { defaultValueString: 'a', meaningWhenMissing: 'b' }),
    vary(el, { defaultValueString: 'a' }),
    vary(el, { path: 'A..b' }),
    vary(el, { path: '...' }),
    vary(el, { path: '1.2' }),
    vary(el, { path: '1a.b' }),
    vary(el, { path: '.a' }),
    vary(el, { path: 'é' }),
    vary(el, { path: ' ' }),
    vary(el, { path: '' }),
    vary(el, { path: undefined }),
    vary(el, { sliceName: 'a b' }),
    vary(el, { sliceName: 'a@b/c[x]-_' }),
    vary(el, { sliceName: '' }),
    vary(el, { sliceName: 3 }),
    vary(el, { _short: { extension: [{ url: 'x', valueString: 'y' }] } }),
    vary(el, { minValueInteger: 1, maxValueInteger: 2, contentReference: '#a' }),
    vary(el, {
      type: [
        { code: 'Reference', aggregation: ['contained'], targetProfile: ['x'] },
        { code: 'string', targetProfile: ['x'] },
        { code: 'string', aggregation: ['contained'] },
        { code: 'Quantity', aggregation: [] },
        { code: 'canonical', aggregation: ['bundled'] },
        { aggregation: ['contained'] },
        { code: 'uri', _code: { extension: [] }, targetProfile: ['x'] },
      ],
    }),
  ];
}

describe('invariant groups', () => {
  const core = readBaseR4().resources.filter((r) => r.resourceType === 'StructureDefinition');
  const elementDefinition = core.find((r) => r.url === 'http://hl7.org/fhir/StructureDefinition/ElementDefinition');
  const definitionElements = (
    (elementDefinition?.snapshot as { element: { path: string; constraint?: Json[] }[] } | undefined)?.element ?? []
  ).map((e) => ({ path: e.path, expressions: (e.constraint ?? []).map((c) => c.expression as string) }));
  const elements = core.flatMap((sd: AnyResource) => [
    ...(((sd.snapshot as Json | undefined)?.element as Json[] | undefined) ?? []),
    ...(((sd.differential as Json | undefined)?.element as Json[] | undefined) ?? []),
  ]);
  /** The FHIRPath type and the values a group's members apply to, from one ElementDefinition. */
  const placeOf = (group: string): { type: string; values: (el: Json) => unknown[] } =>
    group === 'ElementDefinition'
      ? { type: 'ElementDefinition', values: (el) => [el] }
      : { type: 'ElementDefinitionType', values: (el) => (Array.isArray(el.type) ? el.type : []) };

  beforeAll(() => loadBaseDefinitions());

  test('when the groups are made, then each member is an invariant the R4 definitions put where the group answers', () => {
    for (const group of INVARIANT_GROUPS) {
      const at = definitionElements.find((e) => e.path === group.name);
      expect(group.expressions.filter((e) => !at?.expressions.includes(e))).toEqual([]);
      group.expressions.forEach((e, slot) => expect(groupOf(e)).toEqual({ group, slot }));
    }
    // Every FHIRPath invariant of the ElementDefinition root is in its group (ele-1 is checked natively).
    const root = definitionElements.find((e) => e.path === 'ElementDefinition');
    expect(root?.expressions.filter((e) => groupOf(e) === undefined && !e.startsWith('hasValue()'))).toEqual([]);
  });

  test('when the R4 ElementDefinitions and their variants are answered, then every sure answer agrees with FHIRPath', () => {
    const sample = elements.filter((_, i) => i % 97 === 0);
    const disagreements: string[] = [];
    for (const group of INVARIANT_GROUPS) {
      const { type, values } = placeOf(group.name);
      const out = new Uint8Array(group.expressions.length);
      const sure = new Array<number>(group.expressions.length).fill(0);
      const failing = new Array<number>(group.expressions.length).fill(0);
      for (const el of sample)
        for (const variant of variants(el))
          for (const value of values(variant)) {
            const held = group.answer(value, out);
            expect(held).toBe(out.every((v) => v === HOLDS));
            group.expressions.forEach((expression, slot) => {
              if (out[slot] === UNSURE) return;
              sure[slot]++;
              if (out[slot] === FAILS) failing[slot]++;
              if ((out[slot] !== FAILS) !== fhirpathHolds(expression, type, value))
                disagreements.push(`${group.name}[${slot}] on ${JSON.stringify(value).slice(0, 200)}`);
            });
          }
      // Not vacuous: every member gives sure answers, and members that can fail plainly are seen failing.
      expect(sure.every((n) => n > 0)).toBe(true);
      expect(failing.filter((n) => n > 0).length).toBeGreaterThanOrEqual(group.name === 'ElementDefinition' ? 8 : 0);
    }
    expect(disagreements).toEqual([]);
  });

  test('when an R4 ElementDefinition is as published, then its group answers nearly every member itself', () => {
    const [group] = INVARIANT_GROUPS;
    const out = new Uint8Array(group!.expressions.length);
    let unsure = 0;
    for (const el of elements) {
      group!.answer(el, out);
      for (const v of out) if (v === UNSURE) unsure++;
    }
    expect(unsure / (elements.length * out.length)).toBeLessThan(0.01);
  });

  test('when a primitive extension (`_name`) or no object is met, then every member is left to its own form', () => {
    for (const group of INVARIANT_GROUPS) {
      const out = new Uint8Array(group.expressions.length);
      for (const value of [{ path: 'A', _path: { extension: [] }, code: 'x', _code: {} }, 'A', null, [{}]]) {
        group.answer(value, out);
        expect([...out].every((v) => v === UNSURE)).toBe(true);
      }
    }
  });
});
