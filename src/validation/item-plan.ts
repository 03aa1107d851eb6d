/**
 * What the walk does with a value of one element and one type, worked out on the first such value and kept with the
 * element's node: whether it is a primitive, a resource or a complex value, where its children are defined and
 * which data-type root carries its type's invariants. These follow from the loaded profiles only; working them out
 * again for every value (a set lookup, a type search and three registry lookups each) was a steady part of the walk.
 */
import type { WalkContext } from './context.ts';
import { PRIMITIVE_TYPES, type CompiledProfile, type ElementNode, type TypeRef } from './model.ts';
import { type PrimitiveProblem, primitiveChecker } from './primitives.ts';

const ABSTRACT_RESOURCES = new Set(['Resource', 'DomainResource']);
const UCUM_TYPES = new Set(['Coding', 'Quantity', 'Age', 'Duration', 'Distance', 'Count']);

/** Whether a type code names a resource (as opposed to a data type). */
export function isResourceType(ctx: WalkContext, code: string): boolean {
  return ABSTRACT_RESOURCES.has(code) || ctx.engine.registry.baseType(code)?.kind === 'resource';
}

export interface Container {
  readonly node: ElementNode;
  readonly owner: CompiledProfile;
}

export type ItemPlan =
  | {
      readonly kind: 'primitive';
      readonly owner: CompiledProfile;
      /** Whether the element has invariants to run on the value (InvariantRunner.runs). */
      readonly invariants: boolean;
      /** The primitive type's definition, for the `_name` part (id and extensions). */
      readonly base: CompiledProfile | undefined;
      /** The type's value check (JSON type, pattern, whitespace), its rule looked up once. */
      readonly check: (value: unknown) => PrimitiveProblem | undefined;
    }
  | {
      readonly kind: 'resource';
      readonly owner: CompiledProfile;
      /** The one profile the element's types name, required of the resource; else none. */
      readonly profiles: readonly string[];
    }
  | {
      readonly kind: 'complex';
      readonly owner: CompiledProfile;
      /** Whether the element has invariants to run on the value (InvariantRunner.runs). */
      readonly invariants: boolean;
      readonly container: Container | undefined;
      /** The type profile that is not loaded (reported, for each value, as not checked); its base type is walked. */
      readonly missingProfile: string | undefined;
      /** The data type's root element, whose invariants (ref-1, per-1…) apply to the value; undefined when it has
       * none to run. */
      readonly typeRoot: ElementNode | undefined;
      readonly coding: boolean;
      readonly ucum: boolean;
      /** For a Reference: the type of this definition (a slice may narrow targetProfile). */
      readonly referenceType: TypeRef | undefined;
    };

/** Where the children of a complex value are defined: the snapshot, a content reference, a type profile or the base type. */
function containerFor(
  ctx: WalkContext,
  node: ElementNode,
  owner: CompiledProfile,
  code: string,
): { container: Container | undefined; missingProfile: string | undefined } {
  if (node.children.length > 0) return { container: { node, owner }, missingProfile: undefined };
  if (node.contentReference) {
    const target = owner.byId.get(node.contentReference.slice(node.contentReference.indexOf('#') + 1));
    if (target) return { container: { node: target, owner }, missingProfile: undefined };
  }
  let missingProfile: string | undefined;
  const typeRef = node.types.find((t) => t.code === code);
  if (typeRef && typeRef.profiles.length === 1) {
    const p = ctx.engine.registry.profile(typeRef.profiles[0]);
    if (p) return { container: { node: p.root, owner: p }, missingProfile: undefined };
    missingProfile = typeRef.profiles[0];
  }
  const base = ctx.engine.registry.baseType(code);
  return { container: base ? { node: base.root, owner: base } : undefined, missingProfile };
}

function makePlan(ctx: WalkContext, node: ElementNode, type: TypeRef, owner: CompiledProfile): ItemPlan {
  const code = type.code;
  const invariants = ctx.engine.invariants.runs(node, ctx.engine);
  if (PRIMITIVE_TYPES.has(code))
    return {
      kind: 'primitive',
      owner,
      invariants,
      base: ctx.engine.registry.baseType(code),
      check: primitiveChecker(code),
    };
  if (isResourceType(ctx, code)) {
    const profiles = node.types.flatMap((t) => t.profiles);
    return { kind: 'resource', owner, profiles: profiles.length === 1 ? profiles : [] };
  }
  const { container, missingProfile } = containerFor(ctx, node, owner, code);
  const typeRoot =
    container && container.node === container.owner.root ? container.node : ctx.engine.registry.baseType(code)?.root;
  return {
    kind: 'complex',
    owner,
    invariants,
    container,
    missingProfile,
    typeRoot: typeRoot && ctx.engine.invariants.runs(typeRoot, ctx.engine) ? typeRoot : undefined,
    coding: code === 'Coding',
    ucum: UCUM_TYPES.has(code),
    referenceType: code === 'Reference' ? (node.types.find((t) => t.code === code) ?? type) : undefined,
  };
}

/** The plan for values of `type` under `node` (walked as part of `owner`), kept on the node for this engine. */
export function planFor(ctx: WalkContext, node: ElementNode, type: TypeRef, owner: CompiledProfile): ItemPlan {
  let memo = node.memo;
  if (memo === undefined || memo.owner !== ctx.engine) node.memo = memo = { owner: ctx.engine };
  // Most elements have one type: the plan last used here answers without the per-type map.
  if (memo.lastType === type && (memo.lastPlan as ItemPlan).owner === owner) return memo.lastPlan as ItemPlan;
  let plans = memo.plans as Map<TypeRef, ItemPlan> | undefined;
  if (plans === undefined) memo.plans = plans = new Map();
  let plan = plans.get(type);
  if (plan === undefined || plan.owner !== owner) {
    plan = makePlan(ctx, node, type, owner);
    // A node is walked as part of the profile that holds it; should another owner come, its plan is not kept.
    if (!plans.has(type)) plans.set(type, plan);
  }
  if (plan === plans.get(type)) {
    memo.lastType = type;
    memo.lastPlan = plan;
  }
  return plan;
}
