/**
 * Reads the values of one element from a JSON object, following the FHIR JSON rules: arrays for
 * repeating elements, `name[x]` choice names, and `_name` for the id/extensions of primitives.
 * https://hl7.org/fhir/R4/json.html
 */
import { AMBIGUOUS_NAMES } from './compile.ts';
import { pathText, type Item, type PathSource, type WalkContext } from './context.ts';
import type { ElementNode, JsonKey, TypeRef } from './model.ts';

/**
 * One value found by the walk. Its path is made from the parent's and the JSON key on first read: most values
 * never need it (no issue), and building one string per value was a large part of the walk's allocations.
 */
class FoundItem implements Item {
  readonly value: unknown;
  readonly ext: Record<string, unknown> | undefined;
  readonly type: TypeRef;
  private readonly parent: PathSource;
  private readonly step: string;
  /** Position in the JSON array, or -1 for a single value. */
  private readonly index: number;
  private text: string | undefined = undefined;

  constructor(
    value: unknown,
    ext: Record<string, unknown> | undefined,
    type: TypeRef,
    parent: PathSource,
    step: string,
    index: number,
  ) {
    this.value = value;
    this.ext = ext;
    this.type = type;
    this.parent = parent;
    this.step = step;
    this.index = index;
  }

  get path(): string {
    if (this.text === undefined) {
      const stem = pathText(this.parent) + this.step;
      this.text = this.index < 0 ? stem : `${stem}[${this.index}]`;
    }
    return this.text;
  }
}

function pushItems(
  ctx: WalkContext,
  out: Item[],
  raw: unknown,
  rawExt: unknown,
  k: JsonKey,
  node: ElementNode,
  parent: PathSource,
): void {
  if (raw === undefined && rawExt === undefined) return;
  const { key, type } = k;
  const arrayish = Array.isArray(raw) || Array.isArray(rawExt);
  if (node.isArray !== arrayish) {
    const id = node.isArray ? 'JSON_ARRAY_EXPECTED' : 'JSON_ARRAY_UNEXPECTED';
    const text = node.isArray
      ? `The property ${key} must be a JSON Array, not a single value`
      : `The property ${key} must be a single value, not an array`;
    ctx.sink.add(id, pathText(parent) + k.step, text);
  }
  if (!arrayish) {
    out.push(new FoundItem(raw, rawExt as Record<string, unknown> | undefined, type, parent, k.step, -1));
    return;
  }
  if (
    (Array.isArray(raw) && raw.length === 0 && rawExt === undefined) ||
    (Array.isArray(rawExt) && rawExt.length === 0 && raw === undefined)
  ) {
    ctx.sink.add(
      'JSON_ARRAY_EMPTY',
      pathText(parent) + k.step,
      `The array ${key} cannot be empty: the property should not be present if it has no values`,
    );
    return;
  }
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const exts = Array.isArray(rawExt) ? rawExt : rawExt === undefined ? [] : [rawExt];
  const n = Math.max(values.length, exts.length);
  for (let i = 0; i < n; i++) {
    const value = values[i] ?? undefined;
    const ext = (exts[i] ?? undefined) as Record<string, unknown> | undefined;
    const index = node.isArray ? i : -1;
    if ((value === undefined || value === null) && ext === undefined) {
      const stem = pathText(parent) + k.step;
      ctx.sink.add(
        'JSON_NULL_IN_ARRAY',
        index < 0 ? stem : `${stem}[${index}]`,
        `The array ${key} holds a null without an extension at index ${i}`,
      );
      continue;
    }
    out.push(new FoundItem(value === null ? undefined : value, ext, type, parent, k.step, index));
  }
}

/**
 * The value of a single-valued, non-choice element when it holds one well-formed value (neither part an array):
 * the common case, walked without the list `collectItems` makes. Undefined otherwise (absent, or any other shape).
 */
export function singleItem(
  obj: Record<string, unknown>,
  node: ElementNode,
  path: PathSource,
  hasExt: boolean,
): Item | undefined {
  if (node.isArray || node.choiceStem !== undefined) return undefined;
  const k = node.jsonKeys[0]!;
  const raw = obj[k.key];
  const rawExt = hasExt ? obj[k.extKey] : undefined;
  if ((raw === undefined && rawExt === undefined) || Array.isArray(raw) || Array.isArray(rawExt)) return undefined;
  return new FoundItem(raw, rawExt as Record<string, unknown> | undefined, k.type, path, k.step, -1);
}

/** The one JSON name of a choice present in `obj`; null when several are (undefined when none). */
function presentChoice(obj: Record<string, unknown>, node: ElementNode, keys: ChoiceKeys): JsonKey | null | undefined {
  const stem = node.choiceStem as string;
  let found: JsonKey | undefined;
  for (const key in obj) {
    const name = key.charCodeAt(0) === 95 ? key.slice(1) : key;
    if (!name.startsWith(stem)) continue;
    const hit = keys.get(name);
    if (hit === undefined || hit.node !== node || obj[key] === undefined) continue;
    if (found === undefined) found = hit.key;
    else if (found !== hit.key) return null;
  }
  return found;
}

type ChoiceKeys = ReadonlyMap<string, { node: ElementNode; key: JsonKey }>;

/**
 * All values of `node` in `obj`, each with the type its JSON name selects. `container` is the node whose children
 * `node` is one of (its JSON-name index finds the one name of a choice that is there, instead of trying every
 * type's name); `hasExt` says whether `obj` has any `_name` key at all.
 */
export function collectItems(
  ctx: WalkContext,
  obj: Record<string, unknown>,
  node: ElementNode,
  path: PathSource,
  container?: ElementNode,
  hasExt = true,
): Item[] {
  const out: Item[] = [];
  if (node.choiceStem === undefined) {
    const k = node.jsonKeys[0]!;
    pushItems(ctx, out, obj[k.key], hasExt ? obj[k.extKey] : undefined, k, node, path);
    return out;
  }
  const only = container && !AMBIGUOUS_NAMES.has(container) ? presentChoice(obj, node, container.jsonIndex) : null;
  if (only !== null) {
    if (only) pushItems(ctx, out, obj[only.key], hasExt ? obj[only.extKey] : undefined, only, node, path);
    return out;
  }
  let found = 0;
  for (const k of node.jsonKeys) {
    if (obj[k.key] === undefined && obj[k.extKey] === undefined) continue;
    found++;
    pushItems(ctx, out, obj[k.key], obj[k.extKey], k, node, path);
  }
  if (found > 1)
    ctx.sink.add(
      'STRUCTURE_CHOICE_MULTIPLE',
      `${pathText(path)}.${node.choiceStem}`,
      `Only one of the ${node.name} choices may be present`,
    );
  return out;
}

/** Where a cardinality problem is reported: the element path, named with its slice. */
export function elementLabel(node: ElementNode): string {
  return node.sliceName ? `${node.path}:${node.sliceName}` : node.path;
}

/** min/max of one element (or slice) against the number of values found under `parentPath`. */
export function checkCardinality(ctx: WalkContext, count: number, node: ElementNode, parentPath: PathSource): void {
  const slice = node.sliceName !== undefined;
  if (count < node.min) {
    const id = slice ? 'SLICE_CARDINALITY_MIN' : 'CARDINALITY_MIN';
    ctx.sink.add(
      id,
      pathText(parentPath),
      `${elementLabel(node)}: minimum required = ${node.min}, but only found ${count}`,
    );
  }
  if (count > node.max) {
    const id = slice ? 'SLICE_CARDINALITY_MAX' : 'CARDINALITY_MAX';
    ctx.sink.add(id, pathText(parentPath), `${elementLabel(node)}: max allowed = ${node.max}, but found ${count}`);
  }
}
