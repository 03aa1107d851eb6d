/**
 * Compares a generated snapshot with the published one, element by element (matched by id): the properties the
 * validator reads (cardinality, types, fixed/pattern values, bindings, slicing) and which elements are missing or
 * extra. Used by snapshot.test.ts to report the generator's match rate on the packages we have.
 */
import type { AnyResource } from '../../../src/packages/types.ts';
import { generateSnapshot, type SnapshotElement } from '../../../src/validation/snapshot.ts';

export type DifferenceClass =
  | 'missing'
  | 'extra'
  | 'min'
  | 'max'
  | 'types'
  | 'fixed'
  | 'pattern'
  | 'binding'
  | 'slicing'
  | 'not generated';

export interface ProfileComparison {
  readonly url: string;
  readonly elements: number;
  readonly matching: number;
  readonly differences: readonly { id: string; kind: DifferenceClass }[];
}

const valueOf = (e: Record<string, unknown>, prefix: string): string | undefined => {
  const key = Object.keys(e).find((k) => k.startsWith(prefix) && k.length > prefix.length);
  return key === undefined ? undefined : JSON.stringify(e[key]);
};

/** Publishers append the core version to canonicals (`…/Practitioner|4.0.1`); the same definition either way. */
const plain = (url: string): string => url.replace(/\|4\.0\.1$/, '');

const typesOf = (e: Record<string, unknown>): string =>
  JSON.stringify(
    ((e.type ?? []) as { code: string; profile?: string[]; targetProfile?: string[] }[]).map((t) => [
      t.code,
      (t.profile ?? []).map(plain).sort(),
      (t.targetProfile ?? []).map(plain).sort(),
    ]),
  );

const bindingOf = (e: Record<string, unknown>): string => {
  const b = e.binding as { strength?: string; valueSet?: string } | undefined;
  return b ? `${b.strength} ${plain(b.valueSet ?? '')}` : '';
};

const slicingOf = (e: Record<string, unknown>): string => {
  const s = e.slicing as { discriminator?: unknown[]; rules?: string; ordered?: boolean } | undefined;
  return s ? JSON.stringify([s.discriminator ?? [], s.rules ?? 'open', s.ordered ?? false]) : '';
};

const CHECKS: [DifferenceClass, (e: Record<string, unknown>) => unknown][] = [
  ['min', (e) => e.min ?? 0],
  ['max', (e) => e.max ?? '*'],
  ['types', typesOf],
  ['fixed', (e) => valueOf(e, 'fixed')],
  ['pattern', (e) => valueOf(e, 'pattern')],
  ['binding', bindingOf],
  ['slicing', slicingOf],
];

/** Regenerates `sd`'s snapshot from its differential (bases from `source`) and compares with the published one. */
export function compareWithPublished(
  sd: AnyResource,
  source: (url: string) => readonly SnapshotElement[] | undefined,
): ProfileComparison {
  const published = ((sd.snapshot as { element?: SnapshotElement[] }).element ?? []).map((e) => ({
    ...e,
    id: e.id ?? e.path,
  }));
  const generated = generateSnapshot({ ...sd, snapshot: undefined }, source);
  const url = String(sd.url);
  if (!generated)
    return { url, elements: published.length, matching: 0, differences: [{ id: url, kind: 'not generated' }] };
  const byId = new Map(generated.element.map((e) => [e.id, e]));
  const publishedIds = new Set(published.map((e) => e.id));
  const differences: { id: string; kind: DifferenceClass }[] = [];
  let matching = 0;
  for (const p of published) {
    const g = byId.get(p.id);
    if (!g) {
      differences.push({ id: p.id, kind: 'missing' });
      continue;
    }
    const kinds = CHECKS.filter(([, read]) => read(p) !== read(g)).map(([kind]) => kind);
    for (const kind of kinds) differences.push({ id: p.id, kind });
    if (kinds.length === 0) matching++;
  }
  for (const g of generated.element) if (!publishedIds.has(g.id)) differences.push({ id: g.id, kind: 'extra' });
  return { url, elements: published.length, matching, differences };
}
