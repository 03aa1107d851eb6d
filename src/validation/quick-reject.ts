/**
 * A cheap test run before a full profile validation when slices are told apart by profile: a resource that misses a
 * required top-level element of the profile, has one the profile forbids (max 0) or does not define (a choice type
 * the profile narrowed away), whose top-level element breaks the profile's fixed or pattern value, or that has no
 * value for a required slice told apart by its own pattern (`category:laboratory`), cannot conform, so the (costly)
 * full walk is skipped. Each of these is an error the walk itself reports; anything else goes to the walk.
 */
import type { CompiledProfile, ElementNode } from './model.ts';
import { deepEqual, matchesPattern } from './values.ts';

interface QuickCheck {
  readonly keys: readonly string[];
  readonly required: boolean;
  readonly forbidden: boolean;
  readonly node: ElementNode;
  /** Required slices with their own fixed/pattern value, on a slicing told apart by value/pattern of `$this`. */
  readonly slices: readonly ElementNode[];
}

const checks = new WeakMap<CompiledProfile, readonly QuickCheck[]>();

function requiredPatternSlices(node: ElementNode): ElementNode[] {
  const d = node.slicing?.discriminators ?? [];
  if (d.length === 0 || !d.every((x) => (x.type === 'value' || x.type === 'pattern') && x.path === '$this')) return [];
  return node.slices.filter((s) => s.min >= 1 && (s.fixed !== undefined || s.pattern !== undefined));
}

function checksOf(profile: CompiledProfile): readonly QuickCheck[] {
  let out = checks.get(profile);
  if (!out) {
    out = profile.root.children
      .map((node) => ({
        node,
        required: node.min >= 1,
        forbidden: node.max === 0,
        keys: node.jsonKeys.flatMap((k) => [k.key, k.extKey]),
        slices: requiredPatternSlices(node),
      }))
      .filter(
        (c) =>
          c.required ||
          c.forbidden ||
          c.slices.length > 0 ||
          (c.node.choiceStem === undefined &&
            !c.node.slicing &&
            (c.node.fixed !== undefined || c.node.pattern !== undefined)),
      );
    checks.set(profile, out);
  }
  return out;
}

/** True when `resource` surely fails `profile` (a full validation would report an error). */
export function surelyFails(profile: CompiledProfile, resource: Record<string, unknown>): boolean {
  for (const key of Object.keys(resource)) {
    if (key === 'resourceType') continue;
    if (!profile.root.jsonIndex.has(key.charCodeAt(0) === 95 ? key.slice(1) : key)) return true; // unknown element
  }
  for (const c of checksOf(profile)) {
    const present = c.keys.some((k) => resource[k] !== undefined);
    if (!present) {
      if (c.required) return true;
      continue;
    }
    if (c.forbidden) return true;
    const raw = resource[c.node.jsonKeys[0]!.key];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    for (const s of c.slices) {
      if (!values.some((v) => (s.fixed !== undefined ? deepEqual(v, s.fixed) : matchesPattern(v, s.pattern))))
        return true;
    }
    if (c.node.choiceStem !== undefined || c.node.slicing) continue;
    if (c.node.fixed !== undefined && values.some((v) => !deepEqual(v, c.node.fixed))) return true;
    if (c.node.pattern !== undefined && values.some((v) => !matchesPattern(v, c.node.pattern))) return true;
  }
  return false;
}
