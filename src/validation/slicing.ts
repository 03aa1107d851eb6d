/**
 * Slicing: assigns each value of a sliced element to the first slice whose discriminators all match
 * (value, pattern, type, profile, exists), then checks order, closed/openAtEnd rules and per-slice
 * cardinality, and validates each value against its slice (re-slices recurse).
 * https://hl7.org/fhir/R4/profiling.html#slicing
 */
import type { Item, PathSource, WalkContext } from './context.ts';
import { definitionAt, pathOf, valuesAt, type DefinitionAt, type PathValue } from './discriminator-path.ts';
import { checkCardinality, elementLabel } from './element-items.ts';
import { createCountingSink } from './issues.ts';
import type { CompiledProfile, Discriminator, ElementNode } from './model.ts';
import { conformsToAny } from './references.ts';
import { deepEqual, matchesPattern } from './values.ts';
import { isResourceType, validateItem } from './walker.ts';

const BASE_SD = 'http://hl7.org/fhir/StructureDefinition/';

function matchValue(values: PathValue[], slice: ElementNode, def: DefinitionAt | undefined, d: Discriminator): boolean {
  // An extension slice is told apart by url, which its type profile fixes even when that profile is not loaded.
  if (d.path === 'url' && slice.types[0]?.code === 'Extension' && slice.types[0].profiles.length === 1) {
    return values.some((v) => v.value === slice.types[0].profiles[0]);
  }
  if (!def) return false;
  if (def.node.fixed !== undefined) return values.some((v) => deepEqual(v.value, def.node.fixed));
  if (def.node.pattern !== undefined) return values.some((v) => matchesPattern(v.value, def.node.pattern));
  // The slice leaves this discriminator path unconstrained (a slice told apart by type alone among slices told apart
  // by type and subtype): like the HL7 validator, the discriminator does not tell this slice apart, so it matches.
  return !constrainsValue(def.node);
}

/** Whether an element, or an element under it, fixes, patterns or binds a value. */
function constrainsValue(node: ElementNode, depth = 0): boolean {
  if (node.fixed !== undefined || node.pattern !== undefined || node.binding?.strength === 'required') return true;
  return depth < 4 && node.children.some((c) => constrainsValue(c, depth + 1));
}

function profilesOf(def: DefinitionAt): string[] {
  return def.resolved ? def.node.types.flatMap((t) => t.targetProfiles) : def.node.types.flatMap((t) => t.profiles);
}

/** The resource type of a profile, also for profiles that are not loaded (from a `Type-...` name). */
function typeOfProfile(ctx: WalkContext, url: string): string | undefined {
  const p = ctx.engine.registry.profile(url);
  if (p) return p.type;
  const name = url.split('|')[0].split('/').pop() ?? '';
  const guess = url.startsWith(BASE_SD) ? name : name.split('-')[0];
  return isResourceType(ctx, guess) ? guess : undefined;
}

function matchType(ctx: WalkContext, values: PathValue[], def: DefinitionAt | undefined): boolean {
  if (!def) return false;
  const expected = new Set<string>();
  for (const t of def.node.types) {
    const urls = def.resolved ? t.targetProfiles : t.profiles;
    if ((def.resolved || t.code === 'Resource') && urls.length)
      urls.forEach((u) => expected.add(typeOfProfile(ctx, u) ?? '?'));
    else expected.add(t.code);
  }
  return values.some((v) => {
    const actual =
      v.type ??
      (v.value as { resourceType?: string })?.resourceType ??
      (def.node.types.length === 1 ? def.node.types[0].code : undefined);
    return actual !== undefined && expected.has(actual);
  });
}

function matchProfile(ctx: WalkContext, values: PathValue[], def: DefinitionAt | undefined): boolean {
  if (!def) return false;
  const urls = profilesOf(def);
  return values.some((v) => {
    const resource = v.value as { resourceType?: string };
    if (typeof resource?.resourceType !== 'string') return false;
    const verdict = conformsToAny(ctx, { resource: resource as never, path: pathOf(v.path) }, urls);
    if (verdict !== undefined) return verdict;
    // None of the profiles is loaded: fall back to their resource type (reported as not checked elsewhere).
    return urls.some((u) => typeOfProfile(ctx, u) === resource.resourceType);
  });
}

/** A profile discriminator read loosely: the value is of the profiled resource type (whether it conforms or not). */
function matchProfileType(ctx: WalkContext, values: PathValue[], def: DefinitionAt | undefined): boolean {
  if (!def) return false;
  const types = new Set(profilesOf(def).map((u) => typeOfProfile(ctx, u)));
  return values.some((v) => types.has((v.value as { resourceType?: string })?.resourceType));
}

function matchExists(values: PathValue[], def: DefinitionAt | undefined): boolean {
  if (!def) return false;
  if (def.node.max === 0) return values.length === 0;
  if (def.node.min >= 1) return values.length > 0;
  return true;
}

function matches(ctx: WalkContext, item: Item, slice: ElementNode, owner: CompiledProfile, d: Discriminator): boolean {
  const values = valuesAt(ctx, { value: item.value, type: item.type.code, path: item }, d.path);
  const def = definitionAt(ctx, slice, owner, d.path);
  switch (d.type) {
    case 'value':
    case 'pattern':
      return matchValue(values, slice, def, d);
    case 'type':
      return matchType(ctx, values, def);
    case 'profile':
      return matchProfile(ctx, values, def);
    case 'exists':
      return matchExists(values, def);
    default:
      return false;
  }
}

/**
 * The value would be in the slice but for its profile: every other discriminator matches and it is of the profiled
 * type. When a required slice stays empty, such values are validated against the slice, so the errors that kept them
 * out are reported where they are (Composition.section, MedicationStatement.medication…) and not only as a slice
 * count at the Bundle, as the HL7 validator explains a failed profile match.
 */
function nearMiss(
  ctx: WalkContext,
  item: Item,
  slice: ElementNode,
  owner: CompiledProfile,
  discriminators: readonly Discriminator[],
): boolean {
  if (!discriminators.some((d) => d.type === 'profile')) return false;
  return discriminators.every((d) => {
    if (d.type !== 'profile') return matches(ctx, item, slice, owner, d);
    const values = valuesAt(ctx, { value: item.value, type: item.type.code, path: item }, d.path);
    return matchProfileType(ctx, values, definitionAt(ctx, slice, owner, d.path));
  });
}

function fitsWithoutDiscriminators(ctx: WalkContext, item: Item, slice: ElementNode, owner: CompiledProfile): boolean {
  // Only whether it fits counts: the winning slice's issues come from the walk processSlicing runs afterwards.
  const trial = { ...ctx, sink: createCountingSink() };
  validateItem(trial, item, slice, owner);
  return trial.sink.errorCount() === 0;
}

function findSlice(ctx: WalkContext, item: Item, node: ElementNode, owner: CompiledProfile): number {
  const discriminators = node.slicing?.discriminators ?? [];
  return node.slices.findIndex((slice) =>
    discriminators.length === 0
      ? fitsWithoutDiscriminators(ctx, item, slice, owner)
      : discriminators.every((d) => matches(ctx, item, slice, owner, d)),
  );
}

function checkRules(ctx: WalkContext, items: Item[], assigned: number[], node: ElementNode): void {
  const slicing = node.slicing;
  if (!slicing) return;
  let last = -1;
  let unmatchedSeen = false;
  items.forEach((item, i) => {
    const s = assigned[i];
    if (s < 0) {
      unmatchedSeen = true;
      if (slicing.rules === 'closed') {
        ctx.sink.add(
          'SLICE_CLOSED_NO_MATCH',
          item.path,
          `This element does not match any known slice defined in the profile and slicing of ${elementLabel(node)} is closed`,
        );
      }
      return;
    }
    if (slicing.ordered && s < last)
      ctx.sink.add(
        'SLICE_ORDER',
        item.path,
        `As specified by profile, elements of ${elementLabel(node)} are out of order: this matches slice ${node.slices[s].sliceName}, which comes earlier`,
      );
    if (slicing.rules === 'openAtEnd' && unmatchedSeen)
      ctx.sink.add(
        'SLICE_OPEN_AT_END',
        item.path,
        `Elements of ${elementLabel(node)} that match no slice must come after all the sliced ones`,
      );
    last = Math.max(last, s);
  });
}

/** Validates the values of a sliced element found under `parentPath`. */
export function processSlicing(
  ctx: WalkContext,
  items: Item[],
  node: ElementNode,
  owner: CompiledProfile,
  parentPath: PathSource,
): void {
  const assigned = items.map((item) => findSlice(ctx, item, node, owner));
  checkRules(ctx, items, assigned, node);
  checkCardinality(ctx, items.length, node, parentPath);
  const explained = new Set<number>();
  node.slices.forEach((slice, s) => {
    const mine = items.filter((_, i) => assigned[i] === s);
    if (slice.slicing && slice.slices.length > 0) return processSlicing(ctx, mine, slice, owner, parentPath);
    checkCardinality(ctx, mine.length, slice, parentPath);
    for (const item of mine) validateItem(ctx, item, slice, owner);
    if (mine.length >= slice.min) return;
    items.forEach((item, i) => {
      if (
        assigned[i] >= 0 ||
        explained.has(i) ||
        !nearMiss(ctx, item, slice, owner, node.slicing?.discriminators ?? [])
      )
        return;
      explained.add(i);
      validateItem(ctx, item, slice, owner);
    });
  });
  items.forEach((item, i) => {
    if (assigned[i] < 0 && !explained.has(i)) validateItem(ctx, item, node, owner);
  });
}
