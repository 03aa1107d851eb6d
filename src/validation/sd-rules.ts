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
