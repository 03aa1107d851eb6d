/**
 * Snapshot generation: the full element list of a StructureDefinition that ships only a `differential` (SUSHI
 * output, most hand-written profiles), built from its base definition's snapshot and the differential:
 * constraints merged into the base elements, slices (and re-slices) created from the element they slice, complex
 * types and content references unfolded where the differential reaches inside them, choice renames
 * (`valueQuantity` for `value[x]`) narrowing the type. https://hl7.org/fhir/R4/profiling.html#snapshot
 * What it does not do (and the validator does not need): mappings, inherited documentation, `base` of new elements.
 */
import type { AnyResource } from '../packages/types.ts';

/** An ElementDefinition as JSON, with the id always present. */
export type SnapshotElement = Record<string, unknown> & { id: string; path: string };

interface RawType {
  code: string;
  profile?: string[];
}

/** Where base definitions come from: the snapshot elements of a canonical (generated if needed), or undefined. */
export type SnapshotSource = (canonical: string) => readonly SnapshotElement[] | undefined;

export interface GeneratedSnapshot {
  readonly element: SnapshotElement[];
  /** Differential elements that could not be placed, one line each (reported, never fatal). */
  readonly problems: string[];
}

const BASE = 'http://hl7.org/fhir/StructureDefinition/';
const MERGED_KEYS_SKIPPED = new Set(['id', 'path', 'base']);

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Gives every differential element an id (old differentials have only path + sliceName). */
function idsOf(diff: readonly Record<string, unknown>[]): string[] {
  const current = new Map<string, string>(); // path → id of the element last seen there (slice-aware)
  return diff.map((el) => {
    const path = String(el.path);
    let id = typeof el.id === 'string' ? el.id : undefined;
    if (id === undefined) {
      const dot = path.lastIndexOf('.');
      const parentId = dot < 0 ? '' : (current.get(path.slice(0, dot)) ?? path.slice(0, dot));
      const last = dot < 0 ? path : path.slice(dot + 1);
      const slice = typeof el.sliceName === 'string' ? `:${el.sliceName}` : '';
      id = (parentId ? `${parentId}.` : '') + last + slice;
    }
    current.set(path, id);
    return id;
  });
}

/** Splits an element id into segments, keeping `name:slice/reslice` whole (slice names may not hold dots here). */
function segmentsOf(id: string): string[] {
  return id.split('.');
}

class Builder {
  readonly elements: SnapshotElement[];
  readonly byId = new Map<string, SnapshotElement>();
  readonly problems: string[] = [];
  readonly type: string;
  readonly source: SnapshotSource;
  readonly specialization: boolean;
  /** The base definition as it was: content references unfold from it, not from what this profile made of it. */
  readonly base: readonly SnapshotElement[];

  constructor(base: readonly SnapshotElement[], type: string, source: SnapshotSource, specialization: boolean) {
    this.type = type;
    this.source = source;
    this.specialization = specialization;
    const baseRoot = base[0]?.path ?? type;
    this.elements = base.map((e) => rerooted(structuredClone(e), baseRoot, type, baseRoot, type));
    this.base = base.map((e) => rerooted(structuredClone(e), baseRoot, type, baseRoot, type));
    for (const e of this.elements) this.byId.set(e.id, e);
  }

  private hasChildren(id: string): boolean {
    const prefix = `${id}.`;
    return this.elements.some((e) => e.id.startsWith(prefix));
  }

  private insertAt(index: number, added: SnapshotElement[]): void {
    this.elements.splice(index, 0, ...added);
    for (const e of added) this.byId.set(e.id, e);
  }

  /** Index after the element `id`, its descendants and its slices (with theirs). */
  private endOfGroup(id: string): number {
    let i = this.elements.findIndex((e) => e.id === id);
    if (i < 0) return this.elements.length;
    i++;
    while (i < this.elements.length) {
      const e = this.elements[i].id;
      if (e.startsWith(`${id}.`) || e.startsWith(`${id}:`) || e.startsWith(`${id}/`)) i++;
      else break;
    }
    return i;
  }

  /** Adds the children of a complex element from its type (or content reference), right after it. */
  private unfold(id: string): boolean {
    const el = this.byId.get(id);
    if (!el) return false;
    let children: SnapshotElement[] = [];
    if (typeof el.contentReference === 'string') {
      const target = el.contentReference.slice(el.contentReference.indexOf('#') + 1);
      const targetEl = this.base.find((e) => e.id === target || (e.path === target && e.sliceName === undefined));
      if (!targetEl) return false;
      children = this.base
        .filter((e) => e.id.startsWith(`${targetEl.id}.`))
        .map((e) => rerooted(structuredClone(e), targetEl.id, el.id, targetEl.path, el.path));
      delete el.contentReference;
    } else {
      const types = (el.type ?? []) as RawType[];
      const chosen = types.length === 1 ? types[0] : undefined;
      if (!chosen) return false;
      const profile = chosen.profile?.length === 1 ? chosen.profile[0] : undefined;
      const typeEls = (profile ? this.source(profile) : undefined) ?? this.source(BASE + chosen.code);
      if (!typeEls?.length) return false;
      const root = typeEls[0];
      children = typeEls.slice(1).map((e) => rerooted(structuredClone(e), root.id, el.id, root.path, el.path));
    }
    if (children.length === 0) return false;
    this.insertAt(this.elements.indexOf(el) + 1, children);
    return true;
  }

  /** Creates slice `name` (or re-slice `a/b`) of the element `ownerId`, as a copy of it and its descendants. */
  private createSlice(ownerId: string, sliceId: string, sliceName: string): SnapshotElement | undefined {
    const owner = this.byId.get(ownerId);
    if (!owner) return undefined;
    if (!owner.slicing) {
      // A slicing that the differential leaves implicit, as the HL7 tools add it.
      const last = String(owner.path).split('.').pop() ?? '';
      if (last === 'extension' || last === 'modifierExtension')
        owner.slicing = { discriminator: [{ type: 'value', path: 'url' }], ordered: false, rules: 'open' };
      else if (last.endsWith('[x]'))
        owner.slicing = { discriminator: [{ type: 'type', path: '$this' }], ordered: false, rules: 'open' };
    }
    const at = this.endOfGroup(ownerId);
    const slice = structuredClone(owner);
    delete slice.slicing;
    slice.id = sliceId;
    slice.sliceName = sliceName;
    slice.min = 0;
    const choice = String(owner.path).endsWith('[x]');
    if (choice) {
      // A type slice of a choice (`value[x]:valueQuantity`) holds that one type.
      const stem = String(owner.path).split('.').pop()?.slice(0, -3) ?? '';
      const types = ((owner.type ?? []) as RawType[]).filter((t) => stem + capitalise(t.code) === sliceName);
      if (types.length) slice.type = types;
    }
    const descendants = this.elements
      .filter((e) => e.id.startsWith(`${ownerId}.`))
      .map((e) => rerooted(structuredClone(e), ownerId, sliceId, String(owner.path), String(owner.path)));
    this.insertAt(at, [slice, ...descendants]);
    return slice;
  }

  /** The element with this differential id, creating slices and unfolding types on the way; undefined if impossible. */
  locate(diffId: string): SnapshotElement | undefined {
    const segs = segmentsOf(diffId);
    let cur = this.elements[0]?.id ?? this.type;
    if (segs[0] !== cur) return undefined;
    for (let i = 1; i < segs.length; i++) {
      const seg = segs[i];
      const colon = seg.indexOf(':');
      const name = colon < 0 ? seg : seg.slice(0, colon);
      const plainId = `${cur}.${name}`;
      if (!this.byId.has(plainId)) {
        const parent = this.byId.get(cur);
        if (parent && !this.hasChildren(cur)) this.unfold(cur);
        if (!this.byId.has(plainId)) {
          // `valueQuantity` names the choice `value[x]` narrowed to Quantity.
          const choice = this.elements.find(
            (e) =>
              e.id.startsWith(`${cur}.`) &&
              e.id.endsWith('[x]') &&
              e.id.indexOf('.', cur.length + 1) < 0 &&
              name.startsWith(e.id.slice(cur.length + 1, -3)),
          );
          const stem = choice?.id.slice(cur.length + 1, -3);
          const types = (choice?.type ?? []) as RawType[];
          const narrowed = types.filter((t) => stem !== undefined && stem + capitalise(t.code) === name);
          if (choice && narrowed.length) {
            // As the HL7 tools do for R4: the choice narrowed to that type, and a closed type slice named after it.
            choice.type = narrowed;
            choice.slicing ??= { discriminator: [{ type: 'type', path: '$this' }], ordered: false, rules: 'closed' };
            const sliceId = `${choice.id}:${name}`;
            if (!this.byId.has(sliceId) && !this.createSlice(choice.id, sliceId, name)) return undefined;
            cur = sliceId;
            if (colon >= 0) return undefined; // a slice of a renamed choice is not a form the tools write
            continue;
          } else if (this.specialization && parent) {
            // A new element of a type being defined (logical model, new resource).
            const added = { id: plainId, path: `${String(parent.path)}.${name}` } as SnapshotElement;
            this.insertAt(this.endOfGroup(cur), [added]);
          } else return undefined;
        }
      }
      if (colon < 0) {
        cur = plainId;
        continue;
      }
      const sliceParts = seg.slice(colon + 1).split('/');
      let owner = plainId;
      for (let k = 0; k < sliceParts.length; k++) {
        const sliceName = sliceParts.slice(0, k + 1).join('/');
        const sliceId = `${plainId}:${sliceName}`;
        if (!this.byId.has(sliceId)) {
          const created = this.createSlice(owner, sliceId, sliceName);
          if (!created) return undefined;
        }
        owner = sliceId;
      }
      cur = owner;
    }
    return this.byId.get(cur);
  }
}

/** Changes the id and path prefix of an element copied to another place (a slice, an unfolded type). */
function rerooted(e: SnapshotElement, fromId: string, toId: string, fromPath: string, toPath: string): SnapshotElement {
  if (e.id === fromId || e.id.startsWith(`${fromId}.`) || e.id.startsWith(`${fromId}:`))
    e.id = toId + e.id.slice(fromId.length);
  if (e.path === fromPath || e.path.startsWith(`${fromPath}.`)) e.path = toPath + e.path.slice(fromPath.length);
  return e;
}

/** Merges a differential element's constraints into the snapshot element. */
function merge(target: SnapshotElement, diff: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(diff)) {
    if (MERGED_KEYS_SKIPPED.has(key) || value === undefined) continue;
    if (key === 'constraint' && Array.isArray(value)) {
      const existing = (target.constraint ?? []) as { key?: string }[];
      const keys = new Set(existing.map((c) => c.key));
      target.constraint = [...existing, ...(value as { key?: string }[]).filter((c) => !keys.has(c.key))];
    } else if (key === 'slicing' && typeof value === 'object') {
      target.slicing = { ...(target.slicing as object | undefined), ...(value as object) };
    } else if (key.startsWith('fixed') || key.startsWith('pattern')) {
      for (const k of Object.keys(target)) if (k.startsWith('fixed') || k.startsWith('pattern')) delete target[k];
      target[key] = structuredClone(value);
    } else {
      target[key] = structuredClone(value);
    }
  }
}

/**
 * Generates the snapshot of a differential-only StructureDefinition.
 * @example generateSnapshot(sd, (url) => registry.snapshotOf(url)).element.map((e) => e.id)
 */
export function generateSnapshot(sd: AnyResource, source: SnapshotSource): GeneratedSnapshot | undefined {
  const diff = ((sd.differential as { element?: Record<string, unknown>[] } | undefined)?.element ?? []).filter(
    (e) => typeof e.path === 'string',
  );
  const baseUrl = typeof sd.baseDefinition === 'string' ? sd.baseDefinition : undefined;
  const type = typeof sd.type === 'string' ? sd.type : undefined;
  if (!baseUrl || !type) return undefined;
  const base = source(baseUrl);
  if (!base?.length) return undefined;
  const specialization = sd.derivation === 'specialization';
  const builder = new Builder(base, type, source, specialization);
  const ids = idsOf(diff);
  diff.forEach((el, i) => {
    const target = builder.locate(ids[i]);
    if (!target) {
      builder.problems.push(`${sd.url}: the differential element ${ids[i]} is not found in the base definition`);
      return;
    }
    merge(target, el);
  });
  return { element: builder.elements, problems: builder.problems };
}
