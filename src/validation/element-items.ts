/**
 * Reads the values of one element from a JSON object, following the FHIR JSON rules: arrays for
 * repeating elements, `name[x]` choice names, and `_name` for the id/extensions of primitives.
 * https://hl7.org/fhir/R4/json.html
 */
import type { Item, WalkContext } from './context.ts';
import type { ElementNode, JsonKey } from './model.ts';

function pushItems(
  ctx: WalkContext,
  out: Item[],
  obj: Record<string, unknown>,
  k: JsonKey,
  node: ElementNode,
  path: string,
): void {
  const raw = obj[k.key];
  const rawExt = obj[k.extKey];
  if (raw === undefined && rawExt === undefined) return;
  const { key, type } = k;
  const stem = node.choiceStem !== undefined ? `${path}.${node.choiceStem}.ofType(${type.code})` : `${path}.${key}`;
  const arrayish = Array.isArray(raw) || Array.isArray(rawExt);
  if (node.isArray !== arrayish) {
    const id = node.isArray ? 'JSON_ARRAY_EXPECTED' : 'JSON_ARRAY_UNEXPECTED';
    const text = node.isArray
      ? `The property ${key} must be a JSON Array, not a single value`
      : `The property ${key} must be a single value, not an array`;
    ctx.sink.add(id, stem, text);
  }
  if (!arrayish) {
    out.push({ value: raw, ext: rawExt as Record<string, unknown> | undefined, type, path: stem });
    return;
  }
  if (
    (Array.isArray(raw) && raw.length === 0 && rawExt === undefined) ||
    (Array.isArray(rawExt) && rawExt.length === 0 && raw === undefined)
  ) {
    ctx.sink.add(
      'JSON_ARRAY_EMPTY',
      stem,
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
    const itemPath = node.isArray ? `${stem}[${i}]` : stem;
    if ((value === undefined || value === null) && ext === undefined) {
      ctx.sink.add('JSON_NULL_IN_ARRAY', itemPath, `The array ${key} holds a null without an extension at index ${i}`);
      continue;
    }
    out.push({ value: value === null ? undefined : value, ext, type, path: itemPath });
  }
}

/** All values of `node` in `obj`, each with the type its JSON name selects. */
export function collectItems(ctx: WalkContext, obj: Record<string, unknown>, node: ElementNode, path: string): Item[] {
  const out: Item[] = [];
  if (node.choiceStem === undefined) {
    pushItems(ctx, out, obj, node.jsonKeys[0]!, node, path);
    return out;
  }
  let found = 0;
  for (const k of node.jsonKeys) {
    if (obj[k.key] === undefined && obj[k.extKey] === undefined) continue;
    found++;
    pushItems(ctx, out, obj, k, node, path);
  }
  if (found > 1)
    ctx.sink.add(
      'STRUCTURE_CHOICE_MULTIPLE',
      `${path}.${node.choiceStem}`,
      `Only one of the ${node.name} choices may be present`,
    );
  return out;
}

/** Where a cardinality problem is reported: the element path, named with its slice. */
export function elementLabel(node: ElementNode): string {
  return node.sliceName ? `${node.path}:${node.sliceName}` : node.path;
}

/** min/max of one element (or slice) against the number of values found under `parentPath`. */
export function checkCardinality(ctx: WalkContext, count: number, node: ElementNode, parentPath: string): void {
  const slice = node.sliceName !== undefined;
  if (count < node.min) {
    const id = slice ? 'SLICE_CARDINALITY_MIN' : 'CARDINALITY_MIN';
    ctx.sink.add(id, parentPath, `${elementLabel(node)}: minimum required = ${node.min}, but only found ${count}`);
  }
  if (count > node.max) {
    const id = slice ? 'SLICE_CARDINALITY_MAX' : 'CARDINALITY_MAX';
    ctx.sink.add(id, parentPath, `${elementLabel(node)}: max allowed = ${node.max}, but found ${count}`);
  }
}
