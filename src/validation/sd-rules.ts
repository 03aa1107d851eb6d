/**
 * Rules on a StructureDefinition's differential that the HL7 tools check while generating its snapshot: no slicing at
 * the root of a profile, and a slicing discriminator's path must name an element of the type being sliced (https://hl7.org/fhir/R4/profiling.html#discriminator).
 * Only plain element paths are judged; paths with functions (`resolve()`, `extension(...)`, `ofType(...)`) and
 * `$this` are left alone.
 */
import type { AnyResource } from '../packages/types.ts';
import type { WalkContext } from './context.ts';
import type { ElementNode } from './model.ts';

type Json = Record<string, unknown>;

const objects = (v: unknown): Json[] =>
  Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];

/** The element names available under a differential element, from its own type or the base definition. */
function childNames(ctx: WalkContext, sd: AnyResource, el: Json): Set<string> | undefined {
  const registry = ctx.engine.registry;
  const type = objects(el.type)[0];
  let node: ElementNode | undefined;
  if (type && typeof type.code === 'string') {
    const profile = Array.isArray(type.profile) && typeof type.profile[0] === 'string' ? type.profile[0] : undefined;
    node = (profile ? registry.profile(profile)?.root : undefined) ?? registry.baseType(type.code)?.root;
  } else if (typeof sd.baseDefinition === 'string' && typeof el.path === 'string') {
    const base = registry.profile(sd.baseDefinition);
    const at = base?.byId.get(el.path);
    node = at && at.children.length === 0 && at.types.length === 1 ? registry.baseType(at.types[0].code)?.root : at;
  }
  if (!node) return undefined;
  return new Set(node.children.map((c) => c.choiceStem ?? c.name));
}

const slicingText = (s: Json): string =>
  `${s.ordered === undefined ? '??' : s.ordered ? 'ordered' : 'unordered'}/${String(s.rules ?? '??')} [${objects(
    s.discriminator,
  )
    .map((d) => `${String(d.type)}=${String(d.path)}`)
    .join(', ')}]`;

/** Whether a slice's own slicing says what its slicing entry says (what it leaves out is taken from the entry). */
function sameSlicing(entry: Json, slice: Json): boolean {
  if (slice.ordered !== undefined && slice.ordered !== entry.ordered) return false;
  if (slice.rules !== undefined && slice.rules !== entry.rules) return false;
  return JSON.stringify(objects(entry.discriminator)) === JSON.stringify(objects(slice.discriminator));
}

/**
 * A slice (`path:name`, not a re-slice `name/sub`) that carries a slicing other than the one of its slicing entry in
 * the same differential tries to change that slicing, which snapshot generation refuses (https://hl7.org/fhir/R4/profiling.html#slicing).
 */
function checkSliceSlicing(ctx: WalkContext, elements: readonly Json[], path: string): void {
  const byId = new Map<string, Json>();
  for (const el of elements) if (typeof el.id === 'string') byId.set(el.id, el);
  for (const el of elements) {
    const slicing = el.slicing as Json | undefined;
    if (typeof el.id !== 'string' || typeof el.sliceName !== 'string' || el.sliceName.includes('/') || !slicing)
      continue;
    const entryId = el.id.slice(0, el.id.length - el.sliceName.length - 1);
    const entrySlicing = byId.get(entryId)?.slicing as Json | undefined;
    if (!el.id.endsWith(`:${el.sliceName}`) || !entrySlicing || sameSlicing(entrySlicing, slicing)) continue;
    ctx.sink.add(
      'SD_SLICING_REDEFINED',
      path,
      `The element at ${entryId} defines the slicing ${slicingText(entrySlicing)} but then an element in the slicing ${el.id} tries to redefine the slicing to ${slicingText(slicing)}`,
    );
  }
}

/** Data types a binding can constrain (coded, string-like, quantity-like, and Extension for its value). */
const BINDABLE = new Set([
  'code',
  'string',
  'uri',
  'url',
  'oid',
  'uuid',
  'Coding',
  'CodeableConcept',
  'Quantity',
  'SimpleQuantity',
  'MoneyQuantity',
  'Age',
  'Distance',
  'Duration',
  'Range',
  'Extension',
]);

/** A binding on an element whose types (all known data types) cannot carry a code (eld-11's intent). */
function checkBindings(ctx: WalkContext, elements: readonly Json[], path: string): void {
  elements.forEach((el, i) => {
    if (!el.binding) return;
    const codes = objects(el.type).map((t) => t.code);
    if (codes.length === 0 || !codes.every((c) => typeof c === 'string' && !BINDABLE.has(c))) return;
    const kinds = codes.map((c) => ctx.engine.registry.baseType(c as string)?.kind);
    if (!kinds.every((k) => k === 'primitive-type' || k === 'complex-type')) return;
    ctx.sink.add(
      'SD_BINDING_NOT_BINDABLE',
      `${path}.differential.element[${i}]`,
      `This element has a Binding but the types [${codes.join(', ')}] do not make this kind of constraint relevant`,
    );
  });
}

/**
 * The differential lists elements in the order of the base snapshot (https://hl7.org/fhir/R4/profiling.html):
 * snapshot generation walks both in step, so an element listed before one the base puts ahead of it is never met.
 * Judged only for elements named by a plain path of the base (no slices, no paths into data types).
 */
function checkDifferentialOrder(ctx: WalkContext, sd: AnyResource, elements: readonly Json[], path: string): void {
  if (typeof sd.baseDefinition !== 'string' || sd.derivation !== 'constraint') return;
  const base = ctx.engine.registry.profile(sd.baseDefinition);
  if (!base) return;
  const position = new Map<string, number>();
  for (const id of base.byId.keys()) if (!id.includes(':')) position.set(id, position.size);
  const plain = elements
    .map((el, i) => ({ i, id: el.id, at: typeof el.id === 'string' ? position.get(el.id) : undefined }))
    .filter((e): e is { i: number; id: string; at: number } => e.at !== undefined && e.id === elements[e.i].path);
  const unmatched: { i: number; id: string }[] = [];
  let lowest = Number.POSITIVE_INFINITY;
  for (let k = plain.length - 1; k >= 0; k--) {
    // Passed over: a later element of the differential comes earlier in the base.
    if (plain[k].at > lowest) unmatched.push(plain[k]);
    lowest = Math.min(lowest, plain[k].at);
  }
  if (unmatched.length === 0) return;
  for (const u of unmatched.reverse())
    ctx.sink.add(
      'SD_DIFFERENTIAL_ORDER',
      `${path}.differential.element[${u.i}]`,
      `No match found for ${u.id} in the generated snapshot: the differential must list elements in the order of the base`,
    );
  ctx.sink.add(
    'SD_DIFFERENTIAL_ORDER',
    path,
    `The profile ${String(sd.url)} has ${unmatched.length} element(s) in the differential (${unmatched.map((u) => u.id).join(', ')}) that don't have a matching element in the snapshot`,
  );
}

/** StructureDefinition.differential slicing discriminators that name no element of the sliced type. */
export function checkStructureDefinition(ctx: WalkContext, sd: AnyResource, path: string): void {
  const elements = objects((sd.differential as Json | undefined)?.element);
  const root = elements[0];
  if (
    sd.derivation === 'constraint' &&
    root &&
    typeof root.path === 'string' &&
    !root.path.includes('.') &&
    root.slicing
  ) {
    // Snapshot generation cannot place slices of the root (the HL7 tools stop there); sdf-20 says the same in FHIRPath.
    ctx.sink.add(
      'SD_ROOT_SLICING',
      `${path}.differential.element[0]`,
      'Slicing is not allowed at the root of a profile',
    );
    ctx.sink.add(
      'SD_ROOT_SLICING',
      path,
      `The snapshot cannot be generated: the profile has slicing at the root ('${root.path}'), which is illegal`,
    );
  }
  checkSliceSlicing(ctx, elements, path);
  checkBindings(ctx, elements, path);
  checkDifferentialOrder(ctx, sd, elements, path);
  elements.forEach((el, i) => {
    const discriminators = objects((el.slicing as Json | undefined)?.discriminator);
    if (discriminators.length === 0) return;
    let names: Set<string> | undefined | null = null;
    discriminators.forEach((d, j) => {
      if (typeof d.path !== 'string' || /[($]/.test(d.path)) return;
      if (names === null) names = childNames(ctx, sd, el);
      const first = d.path.split('.')[0];
      if (names && !names.has(first))
        ctx.sink.add(
          'SD_DISCRIMINATOR_PATH_INVALID',
          `${path}.differential.element[${i}].slicing.discriminator[${j}]`,
          `The discriminator path '${d.path}' does not appear to be valid for the element that is being sliced '${String(el.path)}'`,
        );
    });
  });
}
