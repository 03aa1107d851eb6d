/**
 * Invariant shortcuts answer only where FHIRPath would give the same verdict: checked against the FHIRPath engine on
 * every ElementDefinition (snapshot and differential) of the R4 core definitions, as they are and mutated so that
 * the guarded parts are reached, for every ElementDefinition / type / binding / max invariant of the R4 definitions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildTypeName, evalFhirPathTyped, parseFhirPath } from '@medplum/core';
import { loadBaseDefinitions } from '../../../src/fhir/base-definitions.ts';
import { readBaseR4 } from '../../../src/packages/base-r4.ts';
import type { AnyResource } from '../../../src/packages/types.ts';
import { compileShortcut } from '../../../src/validation/invariant-shortcuts.ts';

type Json = Record<string, unknown>;

/** The FHIRPath verdict as the invariant runner reads it: fails only on a single `false`. */
function fhirpathHolds(expression: string, type: string, value: unknown): boolean {
  const result = evalFhirPathTyped(parseFhirPath(expression), [{ type, value }], {
    '%context': { type, value },
  });
  return !(result.length === 1 && result[0].value === false);
}

const core = readBaseR4().resources.filter((r) => r.resourceType === 'StructureDefinition');
const elementDefinition = core.find((r) => r.url === 'http://hl7.org/fhir/StructureDefinition/ElementDefinition');
interface Invariant {
  key: string;
  expression: string;
  path: string;
}
/** Each invariant on ElementDefinition and its parts, with the path it sits on. */
const invariants: Invariant[] = (
  (elementDefinition?.snapshot as { element: { path: string; constraint?: { key: string; expression?: string }[] }[] })
    .element ?? []
).flatMap((el) =>
  (el.constraint ?? [])
    .filter((c) => c.expression !== undefined)
    .map((c) => ({ key: c.key, expression: c.expression as string, path: el.path })),
);

/** Variants of an ElementDefinition that reach the guarded parts of the eld-* invariants. */
function variants(el: Json): Json[] {
  return [
    el,
    { ...el, contentReference: '#X.y' },
    { ...el, fixedString: 'a', patternCode: 'b' },
    { ...el, min: 2, max: '1' },
    { ...el, min: 0, max: '3' },
    { ...el, isModifier: true },
    { ...el, sliceIsConstraining: true },
    { ...el, binding: { strength: 'required', valueSet: 'ftp://x' } },
    { ...el, type: [{ code: 'string' }, { code: 'string' }] },
    { ...el, constraint: [{ key: 'a' }, { key: 'a' }] },
    { ...el, path: 'A..b' },
    { ...el, sliceName: 'a b' },
  ];
}

/** Values an invariant defined at `path` applies to, from one ElementDefinition. */
function valuesAt(el: Json, path: string): unknown[] {
  const rest = path.split('.').slice(1);
  let current: unknown[] = [el];
  for (const name of rest) {
    current = current.flatMap((v) => {
      const hit = (v as Json)[name];
      return hit === undefined ? [] : Array.isArray(hit) ? hit : [hit];
    });
  }
  return current;
}

describe('invariant shortcuts', () => {
  const elements = core.flatMap((sd: AnyResource) => [
    ...(((sd.snapshot as Json | undefined)?.element as Json[] | undefined) ?? []),
    ...(((sd.differential as Json | undefined)?.element as Json[] | undefined) ?? []),
  ]);

  beforeAll(() => loadBaseDefinitions());

  test('when the R4 ElementDefinitions and their variants are checked, then every sure answer agrees with FHIRPath', () => {
    expect(invariants.length).toBeGreaterThan(15);
    let answered = 0;
    let failing = 0;
    const disagreements: string[] = [];
    const sample = elements.filter((_, i) => i % 31 === 0);
    for (const inv of invariants) {
      const shortcut = compileShortcut(inv.expression);
      if (!shortcut) continue;
      const parts = inv.path.split('.');
      const type =
        inv.path === 'ElementDefinition.max'
          ? 'string'
          : parts.length === 1
            ? 'ElementDefinition'
            : buildTypeName(parts);
      for (const el of sample)
        for (const variant of variants(el))
          for (const value of valuesAt(variant, inv.path)) {
            const sure = shortcut(value);
            if (sure === undefined) continue;
            answered++;
            if (!sure) failing++;
            if (sure !== fhirpathHolds(inv.expression, type, value))
              disagreements.push(`${inv.key} on ${JSON.stringify(value).slice(0, 200)}`);
          }
    }
    expect(disagreements).toEqual([]);
    // The check is not vacuous: answers were given, and some of them are failures.
    expect(answered).toBeGreaterThan(elements.length / 31);
    expect(failing).toBeGreaterThan(0);
  });

  test('when the guarding element is absent, then or / implies / and are answered; when present, FHIRPath decides', () => {
    const or = compileShortcut("contentReference.empty() or (type.empty() and code = 'x')");
    expect(or?.({ path: 'A' })).toBe(true);
    expect(or?.({ contentReference: '#a' })).toBeUndefined();
    const implies = compileShortcut("valueSet.exists() implies valueSet.startsWith('http:')");
    expect(implies?.({ strength: 'required' })).toBe(true);
    expect(implies?.({ valueSet: 'http://a' })).toBe(true);
    // The antecedent is a plain string (surely there), the consequent fails: false, as FHIRPath says.
    expect(implies?.({ valueSet: 'ftp://a' })).toBe(false);
    expect(
      fhirpathHolds("valueSet.exists() implies valueSet.startsWith('http:')", 'ElementDefinitionBinding', {
        valueSet: 'ftp://a',
      }),
    ).toBe(false);
    // An antecedent only in its twin is not surely there: FHIRPath decides.
    expect(implies?.({ _valueSet: { extension: [] } })).toBeUndefined();
    expect(compileShortcut('a.exists() and b.exists()')?.({ b: 1 })).toBe(false);
  });

  test("when a plain string is compared with a literal, then the answer is FHIRPath's (exact, case-sensitive)", () => {
    const expression = "kind != 'root' or uniqueId.empty()";
    const shortcut = compileShortcut(expression);
    for (const value of [{ kind: 'root' }, { kind: 'Root' }, { kind: 'codesystem' }, { kind: 'root', uniqueId: [] }]) {
      const sure = shortcut?.(value);
      if (sure !== undefined) expect(sure).toBe(fhirpathHolds(expression, 'NamingSystem', value));
    }
    expect(shortcut?.({ kind: 'root' })).toBe(true);
    expect(shortcut?.({ kind: 'Root' })).toBe(true);
    expect(shortcut?.({ kind: 'root', uniqueId: [{ type: 'uuid' }] })).toBeUndefined();
  });

  test("when a plain number is compared with an integer literal, then the answer is FHIRPath's", () => {
    // msq-3, on MolecularSequence.
    const expression = 'coordinateSystem = 1 or coordinateSystem = 0';
    const shortcut = compileShortcut(expression);
    const values = [
      { coordinateSystem: 0 },
      { coordinateSystem: 1 },
      { coordinateSystem: 2 },
      { coordinateSystem: -1 },
    ];
    for (const value of values) expect(shortcut?.(value)).toBe(fhirpathHolds(expression, 'MolecularSequence', value));
    expect(shortcut?.({ coordinateSystem: 2 })).toBe(false);
    expect(compileShortcut('a != 3')?.({ a: 3 })).toBe(false);
    // Not a plain number, or absent (an empty comparison): FHIRPath decides.
    expect(shortcut?.({ coordinateSystem: '1' })).toBeUndefined();
    expect(shortcut?.({ coordinateSystem: 1, _coordinateSystem: { extension: [] } })).toBeUndefined();
    expect(shortcut?.({})).toBeUndefined();
  });

  test('when a count sum or an xor invariant of the R4 definitions meets the R4 examples, then every sure answer agrees with FHIRPath', () => {
    // Every R4 invariant that compares a sum of counts or uses xor, on the values it applies to in every R4 example
    // (as they are, and with the first counted element removed or doubled, so sums other than 1 are met too).
    const picked = core.flatMap((sd) =>
      (
        (sd.snapshot as { element: { path: string; constraint?: { key: string; expression?: string }[] }[] }).element ??
        []
      )
        .flatMap((el) =>
          (el.constraint ?? []).map((c) => ({ key: c.key, expression: c.expression ?? '', path: el.path })),
        )
        .filter((c) => /\.count\(\)\s*\+|\sxor\s/.test(c.expression) && compileShortcut(c.expression) !== undefined),
    );
    expect(picked.length).toBeGreaterThan(5);
    const dir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
    const byType = new Map<string, Json[]>();
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.json') || f === 'package.json' || f.startsWith('.')) continue;
      const type = f.slice(0, f.indexOf('-'));
      if (!picked.some((c) => c.path.split('.')[0] === type)) continue;
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json;
      byType.set(type, [...(byType.get(type) ?? []), r]);
    }
    let answered = 0;
    let failing = 0;
    const disagreements: string[] = [];
    for (const c of picked) {
      const shortcut = compileShortcut(c.expression);
      const parts = c.path.split('.');
      const type = parts.length === 1 ? parts[0]! : buildTypeName(parts);
      const firstCounted = /([a-z][A-Za-z0-9]*)\.count\(\)/.exec(c.expression)?.[1];
      for (const resource of byType.get(parts[0]!) ?? [])
        for (const value of valuesAt(resource, c.path)) {
          const v = value as Json;
          const tried = firstCounted
            ? [v, { ...v, [firstCounted]: undefined }, { ...v, [firstCounted]: [v[firstCounted] ?? 'x', 'y'] }]
            : [v];
          for (const t of tried) {
            const sure = shortcut?.(t);
            if (sure === undefined) continue;
            answered++;
            if (!sure) failing++;
            if (sure !== fhirpathHolds(c.expression, type, JSON.parse(JSON.stringify(t))))
              disagreements.push(`${c.key} on ${JSON.stringify(t).slice(0, 200)}`);
          }
        }
    }
    expect(disagreements).toEqual([]);
    expect(answered).toBeGreaterThan(20);
    expect(failing).toBeGreaterThan(0);
  });

  test('when counts are summed or xor joins two sure answers, then the verdict is that of FHIRPath; anything unsure is left to it', () => {
    const sum = compileShortcut('(a.count() + b.count()) = 1');
    expect(sum?.({ a: 'x' })).toBe(true);
    expect(sum?.({ a: ['x', 'y'] })).toBe(false);
    expect(sum?.({})).toBe(false);
    expect(sum?.({ a: 'x', _b: { extension: [] } })).toBeUndefined();
    expect(sum?.({ a: 'x', bCode: 'c' })).toBeUndefined();
    expect(sum?.({ a: '' })).toBeUndefined();
    expect(compileShortcut('a.count() + b.count() > 0')?.({ b: [{ c: 1 }] })).toBe(true);
    const xor = compileShortcut('a.exists() xor b.exists()');
    expect(xor?.({ a: 'x' })).toBe(true);
    expect(xor?.({ a: 'x', b: 'y' })).toBe(false);
    expect(xor?.({})).toBe(false);
    expect(xor?.({ a: { c: 1 } })).toBeUndefined();
    // or and xor at one level are not split (they group left to right).
    expect(compileShortcut('a.exists() or b.exists() xor c.exists()')).toBeUndefined();
  });

  test('when an element is only in its _name twin, a choice name or a null, then it is not taken for absent', () => {
    const shortcut = compileShortcut('value.empty() or code.exists()');
    expect(shortcut?.({ _value: { extension: [] } })).toBeUndefined();
    expect(shortcut?.({ valueString: 'a' })).toBeUndefined();
    expect(shortcut?.({ value: null })).toBeUndefined();
    expect(shortcut?.({})).toBe(true);
  });

  test('when a single primitive element is plainly there, then exists/hasValue/empty are answered as FHIRPath does', () => {
    // vsd-9, on ValueSet.expansion.contains: a code, or an abstract entry.
    const vsd9 = 'code.exists() or abstract = true';
    const type = 'ValueSetExpansionContains';
    const values = [
      { code: 'a' },
      { code: 'a', abstract: false },
      { abstract: true },
      { abstract: false },
      { display: 'x' },
    ];
    const shortcut = compileShortcut(vsd9);
    for (const v of values) {
      const sure = shortcut?.(v);
      if (sure !== undefined) expect([v, sure]).toEqual([v, fhirpathHolds(vsd9, type, v)]);
    }
    expect(shortcut?.({ code: 'a' })).toBe(true);
    // A false boolean is there: exists() is about presence, not truth.
    const flag = compileShortcut('abstract.exists()');
    expect(flag?.({ abstract: false })).toBe(fhirpathHolds('abstract.exists()', type, { abstract: false }));
    expect(flag?.({ abstract: false })).toBe(true);
    expect(compileShortcut('code.empty()')?.({ code: 'a' })).toBe(false);
    expect(compileShortcut('code.hasValue()')?.({ code: 'a' })).toBe(true);
    // Not plainly there: an empty string, a twin, an object, a deeper path: FHIRPath decides.
    expect(shortcut?.({ code: '' })).toBeUndefined();
    expect(shortcut?.({ code: 'a', _code: { extension: [] } })).toBeUndefined();
    expect(compileShortcut('code.exists()')?.({ code: { text: 'a' } })).toBeUndefined();
    expect(compileShortcut('a.b.exists()')?.({ a: { b: 'x' } })).toBeUndefined();
  });

  test('when an expression uses a %variable, a keyword as a name or an operator inside a literal, then it is left to FHIRPath', () => {
    expect(compileShortcut('code.exists() implies ((system = %ucum) and value.exists())')).toBeUndefined();
    expect(compileShortcut('div.empty() or a.exists()')?.({})).toBeUndefined();
    const literal = compileShortcut("name.startsWith('x or y') or a.empty()");
    expect(literal?.({ name: 'x or y' })).toBe(true);
    expect(literal?.({ name: 'q', a: 1 })).toBe(false);
    expect(literal?.({ name: 'q', a: { b: 1 } })).toBeUndefined();
  });
});
