/**
 * The restricted FHIRPath of slicing discriminators, evaluated twice: on the instance (to get the
 * values a slice is told apart by) and on the slice definition (to get the element that says what they
 * must be). Supported: names, `$this`, `resolve()`, `extension('url')`, `ofType(T)`.
 * https://hl7.org/fhir/R4/profiling.html#discriminator
 */
import { pathText, type PathSource, type WalkContext } from './context.ts';
import type { CompiledProfile, ElementNode } from './model.ts';
import { resolveReference } from './references.ts';

export interface PathValue {
  readonly value: unknown;
  /** Type when known: the resource type, the choice type, or undefined. */
  readonly type?: string;
  /** Instance path of the value (for profile checks of a resolved resource); read only when needed. */
  readonly path?: PathSource;
}

/** The text of a path ('' when there is none: the value came from nowhere the walk can name). */
export function pathOf(at: PathSource | undefined): string {
  return at === undefined ? '' : pathText(at);
}

/**
 * The path of a value one step below another: made on first read, since slice matching looks at every value against
 * every slice and almost never needs a path (building one string per trial was a steady cost of extension slicing).
 */
class StepPath {
  private readonly parent: PathSource;
  private readonly segment: string;
  private text: string | undefined = undefined;

  constructor(parent: PathSource, segment: string) {
    this.parent = parent;
    this.segment = segment;
  }

  get path(): string {
    if (this.text === undefined) {
      const above = pathOf(this.parent);
      // A value with no path gives its children none either.
      this.text = above ? `${above}.${this.segment}` : '';
    }
    return this.text;
  }
}

export interface DefinitionAt {
  readonly node: ElementNode;
  readonly owner: CompiledProfile;
  /** The path went through `resolve()`, so type/profile questions concern the reference target. */
  readonly resolved: boolean;
}

const FUNCTION = /^(\w+)\((?:'([^']*)'|(\w+))?\)$/;

/**
 * Answers that depend only on the loaded profiles, kept for the engine's life: discriminator paths come from the
 * profiles, so both maps are bounded by what is loaded. Slice matching asks them for every value it sorts.
 */
export interface DiscriminatorMemo {
  readonly segments: Map<string, readonly Segment[]>;
  readonly definitions: WeakMap<ElementNode, Map<string, { owner: CompiledProfile; at: DefinitionAt | undefined }>>;
}

export function createDiscriminatorMemo(): DiscriminatorMemo {
  return { segments: new Map(), definitions: new WeakMap() };
}

/** One step of a discriminator path, with its function call (`resolve()`, `extension('…')`, `ofType(T)`) parsed. */
export interface Segment {
  readonly text: string;
  readonly fn: { readonly name: string; readonly literal?: string; readonly ident?: string } | undefined;
}

/** The path's steps, parsed once per path and engine (each value tried against each slice walks them). */
function segmentsOf(ctx: WalkContext, path: string): readonly Segment[] {
  let hit = ctx.engine.discriminators.segments.get(path);
  if (!hit) {
    hit = splitPath(path).map((text) => {
      const m = FUNCTION.exec(text);
      return { text, fn: m ? { name: m[1] as string, literal: m[2], ident: m[3] } : undefined };
    });
    ctx.engine.discriminators.segments.set(path, hit);
  }
  return hit;
}

/** Splits on dots outside of quotes and parentheses. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === "'") quote = !quote;
    else if (!quote && c === '(') depth++;
    else if (!quote && c === ')') depth--;
    else if (!quote && depth === 0 && c === '.') {
      out.push(path.slice(start, i));
      start = i + 1;
    }
  }
  out.push(path.slice(start));
  return out.filter((s) => s !== '');
}

function children(obj: unknown, name: string, path?: PathSource): PathValue[] {
  if (typeof obj !== 'object' || obj === null) return [];
  const o = obj as Record<string, unknown>;
  const wrap = (v: unknown, type?: string): PathValue[] =>
    v === undefined ? [] : Array.isArray(v) ? v.map((x) => ({ value: x, type, path })) : [{ value: v, type, path }];
  if (o[name] !== undefined) return wrap(o[name]);
  for (const key in o) {
    if (key.length > name.length && key.startsWith(name) && key.charCodeAt(name.length) < 91) {
      const t = key.slice(name.length);
      return wrap(o[key], PRIMITIVE_NAMES.has(t) ? t.charAt(0).toLowerCase() + t.slice(1) : t);
    }
  }
  return [];
}

const PRIMITIVE_NAMES = new Set([
  'Boolean',
  'Integer',
  'String',
  'Decimal',
  'Uri',
  'Url',
  'Canonical',
  'Base64Binary',
  'Instant',
  'Date',
  'DateTime',
  'Time',
  'Code',
  'Oid',
  'Id',
  'Markdown',
  'UnsignedInt',
  'PositiveInt',
  'Uuid',
]);

function step(ctx: WalkContext, values: PathValue[], { text: segment, fn }: Segment): PathValue[] {
  if (segment === '$this') return values;
  if (!fn) {
    const below = (v: PathValue): PathValue[] =>
      children(v.value, segment, v.path === undefined || v.path === '' ? undefined : new StepPath(v.path, segment));
    // One value (the item a slice is tried on, most steps): its children as they are, without flatMap's copy.
    return values.length === 1 ? below(values[0] as PathValue) : values.flatMap(below);
  }
  const { name, literal, ident } = fn;
  if (name === 'resolve') {
    return values.flatMap((v) => {
      const ref = (v.value as { reference?: unknown } | undefined)?.reference;
      const hit = typeof ref === 'string' ? resolveReference(ctx, ref) : undefined;
      return hit ? [{ value: hit.resource, type: hit.resource.resourceType, path: hit.path }] : [];
    });
  }
  if (name === 'extension')
    return values.flatMap((v) =>
      children(v.value, 'extension').filter((e) => (e.value as { url?: unknown })?.url === literal),
    );
  if (name === 'ofType')
    return values.filter((v) => v.type === ident || (v.value as { resourceType?: unknown })?.resourceType === ident);
  return [];
}

/** Instance values at a discriminator path, starting from one value. */
export function valuesAt(ctx: WalkContext, start: PathValue, path: string): PathValue[] {
  let values: PathValue[] = [start];
  for (const segment of segmentsOf(ctx, path)) values = step(ctx, values, segment);
  return values;
}

function childDefinition(ctx: WalkContext, at: DefinitionAt, name: string): DefinitionAt | undefined {
  let node = at.node;
  let owner = at.owner;
  if (node.children.length === 0) {
    const t = node.types[0];
    const typed = t?.profiles.length === 1 ? ctx.engine.registry.profile(t.profiles[0]) : undefined;
    const base = typed ?? (t ? ctx.engine.registry.baseType(t.code) : undefined);
    if (!base) return undefined;
    node = base.root;
    owner = base;
  }
  const child = node.children.find((c) => c.name === name || c.name === `${name}[x]`);
  return child ? { node: child, owner, resolved: at.resolved } : undefined;
}

/** The element of the slice definition a discriminator path designates (a static answer: memoised per engine). */
export function definitionAt(
  ctx: WalkContext,
  slice: ElementNode,
  owner: CompiledProfile,
  path: string,
): DefinitionAt | undefined {
  const memo = ctx.engine.discriminators.definitions;
  let perSlice = memo.get(slice);
  if (!perSlice) memo.set(slice, (perSlice = new Map()));
  const hit = perSlice.get(path);
  if (hit && hit.owner === owner) return hit.at;
  const at = findDefinition(ctx, slice, owner, path);
  perSlice.set(path, { owner, at });
  return at;
}

function findDefinition(
  ctx: WalkContext,
  slice: ElementNode,
  owner: CompiledProfile,
  path: string,
): DefinitionAt | undefined {
  let at: DefinitionAt | undefined = { node: slice, owner, resolved: false };
  for (const { text: segment, fn } of segmentsOf(ctx, path)) {
    if (!at) return undefined;
    if (segment === '$this') continue;
    if (!fn) {
      at = childDefinition(ctx, at, segment);
      continue;
    }
    const { name, literal } = fn;
    if (name === 'resolve') at = { ...at, resolved: true };
    else if (name === 'extension') {
      const ext = childDefinition(ctx, at, 'extension');
      const hit = ext?.node.slices.find((s) => s.types[0]?.profiles[0] === literal);
      at = hit && ext ? { node: hit, owner: ext.owner, resolved: false } : undefined;
    }
  }
  return at;
}
