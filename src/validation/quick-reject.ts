/**
 * A cheap test run before a full profile validation when slices are told apart by profile: a resource that misses a
 * required top-level element of the profile, or whose top-level element breaks the profile's fixed or pattern value,
 * cannot conform, so the (costly) full walk is skipped. Only certain failures reject; anything else goes to the walk.
 */
import type { CompiledProfile, ElementNode } from './model.ts';
import { deepEqual, matchesPattern } from './values.ts';

interface QuickCheck {
  readonly keys: readonly string[];
  readonly required: boolean;
  readonly node: ElementNode;
}

const checks = new WeakMap<CompiledProfile, readonly QuickCheck[]>();

function checksOf(profile: CompiledProfile): readonly QuickCheck[] {
  let out = checks.get(profile);
  if (!out) {
    out = profile.root.children
      .filter(
        (c) =>
          c.choiceStem === undefined && !c.slicing && (c.min >= 1 || c.fixed !== undefined || c.pattern !== undefined),
      )
      .map((node) => ({ node, required: node.min >= 1, keys: node.jsonKeys.flatMap((k) => [k.key, k.extKey]) }));
    checks.set(profile, out);
  }
  return out;
}

/** True when `resource` surely fails `profile` (a full validation would report an error). */
export function surelyFails(profile: CompiledProfile, resource: Record<string, unknown>): boolean {
  for (const c of checksOf(profile)) {
    const present = c.keys.some((k) => resource[k] !== undefined);
    if (!present) {
      if (c.required) return true;
      continue;
    }
    const raw = resource[c.node.jsonKeys[0]!.key];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    if (c.node.fixed !== undefined && values.some((v) => !deepEqual(v, c.node.fixed))) return true;
    if (c.node.pattern !== undefined && values.some((v) => !matchesPattern(v, c.node.pattern))) return true;
  }
  return false;
}
