/**
 * Where an extension may be used: its definition's `context` (https://hl7.org/fhir/R4/extensibility.html#context,
 * https://hl7.org/fhir/R4/structuredefinition-definitions.html#StructureDefinition.context), as the HL7 Java validator
 * checks it. The element holding the extension is named by its logical paths: its path from the resource
 * (`Patient.name`) and its path from each data type on the way (`HumanName`, or `HumanName.family` for an extension on
 * a primitive), each also read through the base types of its first name (`Patient` → `DomainResource` → `Resource`,
 * `Age` → `Quantity`). An `element` context matches one of them (`Element` matches all, `Resource` any resource); an
 * `extension` context matches an extension (or its value) with that URL. FHIRPath contexts and contexts bound to a
 * profile (`url#path`) are not judged here, nor is any place whose path cannot be resolved against the base
 * definitions: only a context that surely does not fit is an error.
 * The Java validator corrects a few R4 core contexts that the specification's own examples break; they are corrected
 * here the same way (CONTEXT_FIXES).
 */
import { pathText, type PathSource, type WalkContext } from './context.ts';
import { PRIMITIVE_TYPES } from './model.ts';

type Json = Record<string, unknown>;

/** R4 core contexts the HL7 validator corrects (its published contexts are narrower than their use in R4 itself). */
const CONTEXT_FIXES: Readonly<Record<string, readonly string[]>> = {
  'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type': ['ElementDefinition.type'],
  'http://hl7.org/fhir/StructureDefinition/regex': ['ElementDefinition.type'],
  'http://hl7.org/fhir/StructureDefinition/structuredefinition-normative-version': ['Element'],
  'http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation': ['Element'],
  'http://hl7.org/fhir/StructureDefinition/capabilitystatement-prohibited': ['Element'],
};
/** Values that may carry any extension (examples, fixed and pattern values of a profile). */
const ANY_EXTENSION_HERE = new Set([
  'ElementDefinition.example.value',
  'ElementDefinition.pattern',
  'ElementDefinition.fixed',
]);
const GENERIC = new Set(['Element', 'BackboneElement']);

interface Segment {
  readonly name: string;
  readonly ofType?: string;
  readonly index?: number;
}

/** `name[0].value.ofType(Quantity).extension[1]` → segments (an `ofType` belongs to the name before it). */
function segments(relative: string): Segment[] | undefined {
  const out: Segment[] = [];
  for (const part of relative.split('.').filter((p) => p !== '')) {
    const of = /^ofType\(([A-Za-z0-9]+)\)(?:\[(\d+)\])?$/.exec(part);
    if (of) {
      const last = out.pop();
      if (!last) return undefined;
      out.push({ ...last, ofType: of[1], index: of[2] !== undefined ? Number(of[2]) : last.index });
      continue;
    }
    const m = /^([A-Za-z][A-Za-z0-9_]*)(?:\[(\d+)\])?$/.exec(part);
    if (!m) return undefined;
    out.push({ name: m[1], index: m[2] !== undefined ? Number(m[2]) : undefined });
  }
  return out;
}

/** Per engine (keyed by its registry): base-type chains and the contexts of each extension definition. */
interface Memo {
  readonly chains: Map<string, readonly string[]>;
  readonly contexts: Map<string, Contexts>;
  /** `Type|path.without.indexes` → logical paths (null: not resolvable against the base definitions). */
  readonly paths: Map<string, readonly string[] | null>;
  /** Extension URL → place (`Type|path.without.indexes`, and the holder extension URL) → whether a context fits. */
  readonly fitting: Map<string, Map<string, boolean>>;
}

/** An extension definition's contexts and what follows from them alone. */
interface Contexts {
  readonly list: readonly Json[];
  /** No context, or one that admits every element: nothing to check. */
  readonly open: boolean;
  /** Some context names an extension: the URL of the extension holding this one matters. */
  readonly needsUrl: boolean;
}
/** Distinct places remembered per engine; beyond it (hostile nesting) places are resolved each time. */
const MAX_PLACES = 20_000;
const memos = new WeakMap<object, Memo>();
function memoOf(ctx: WalkContext): Memo {
  let memo = memos.get(ctx.engine.registry);
  if (!memo)
    memos.set(
      ctx.engine.registry,
      (memo = { chains: new Map(), contexts: new Map(), paths: new Map(), fitting: new Map() }),
    );
  return memo;
}

/** The base types of a type, itself first (`Age`, `Quantity`, `Element`, ...). */
function typeChain(ctx: WalkContext, type: string): readonly string[] {
  const memo = memoOf(ctx);
  let chain = memo.chains.get(type);
  if (!chain) memo.chains.set(type, (chain = computeChain(ctx, type)));
  return chain;
}

function computeChain(ctx: WalkContext, type: string): string[] {
  const chain: string[] = [];
  let current: string | undefined = type;
  while (current && !chain.includes(current)) {
    chain.push(current);
    const sd = ctx.engine.registry.resolve(`http://hl7.org/fhir/StructureDefinition/${current}`, 'StructureDefinition');
    const base = typeof sd?.baseDefinition === 'string' ? sd.baseDefinition : undefined;
    current = base?.startsWith('http://hl7.org/fhir/StructureDefinition/') ? base.slice(40) : undefined;
  }
  return chain;
}

/** The logical paths of the element holding an extension, or undefined when a step is not in the base definitions. */
function logicalPaths(ctx: WalkContext, resourceType: string, relative: Segment[]): string[] | undefined {
  let literal = resourceType;
  let typeName = resourceType;
  let inner = '';
  // A primitive's own children (id, extension) are in its type's definition; its logical path stays the element's.
  let primitive: string | undefined;
  for (const seg of relative) {
    if (primitive) {
      typeName = primitive;
      inner = '';
      primitive = undefined;
    }
    const base = ctx.engine.registry.baseType(typeName);
    if (!base) return undefined;
    let node = base.byId.get(`${typeName}${inner}.${seg.name}`) ?? base.byId.get(`${typeName}${inner}.${seg.name}[x]`);
    if (!node) return undefined;
    if (node.contentReference) {
      // `#Questionnaire.item`: the element repeats the definition it names (same type, same children).
      const target = node.contentReference.slice(node.contentReference.indexOf('#') + 1);
      inner = target.slice(typeName.length);
      node = base.byId.get(target);
      if (!node) return undefined;
    } else inner = `${inner}.${seg.name}`;
    const type = seg.ofType ?? (node.types.length === 1 ? node.types[0].code : undefined);
    if (type === undefined) return undefined;
    literal = `${literal}.${seg.name}`;
    if (PRIMITIVE_TYPES.has(type)) primitive = type;
    else if (!GENERIC.has(type) && !node.children.length) {
      // A data type: its own definition starts a new logical path.
      typeName = type;
      inner = '';
    }
  }
  // The path in the instance, the path of the definition that applies (a data type's, or the element a
  // contentReference repeats: `Questionnaire.item` for `Questionnaire.item.item`), and a primitive's type name.
  return [...new Set([literal, `${typeName}${inner}`, ...(primitive ? [primitive] : [])])];
}

/** The URL of the extension holding this one (directly, or through its value), found by walking the instance. */
function holderExtensionUrl(resource: Json, relative: Segment[]): string | undefined {
  let holder: unknown = resource;
  let url: string | undefined;
  for (const seg of relative) {
    const parent = holder as Json | undefined;
    const key = seg.ofType ? `${seg.name}${seg.ofType[0].toUpperCase()}${seg.ofType.slice(1)}` : seg.name;
    let value = parent?.[key];
    // A primitive's extensions sit in its `_name` twin.
    if (value === undefined || typeof value !== 'object' || value === null) value = parent?.[`_${key}`] ?? value;
    if (seg.index !== undefined) value = Array.isArray(value) ? value[seg.index] : undefined;
    if (seg.name === 'extension' || seg.name === 'modifierExtension') {
      const u = (value as Json | undefined)?.url;
      url = typeof u === 'string' ? u : undefined;
    } else if (seg.name !== 'value') url = undefined;
    holder = value;
  }
  return url;
}

interface Place {
  readonly paths: readonly string[];
  readonly extensionUrl?: string;
}

function fits(ctx: WalkContext, context: Json, place: Place, holderIsResource: boolean): boolean {
  const expression = typeof context.expression === 'string' ? context.expression : undefined;
  if (expression === undefined) return true;
  if (context.type === 'extension') return place.extensionUrl === expression;
  if (context.type !== 'element') return true; // FHIRPath contexts are not judged here
  if (expression.includes('#')) return true; // bound to a profile: not judged here
  if (expression === 'Element' || expression === 'Any') return true;
  if (expression === 'Resource' && holderIsResource) return true;
  const wanted = expression.replace(/\[x\]/g, '');
  if (place.paths.includes(wanted)) return true;
  for (const p of place.paths) {
    const dot = p.indexOf('.');
    const head = dot < 0 ? p : p.slice(0, dot);
    const tail = dot < 0 ? '' : p.slice(dot);
    if (typeChain(ctx, head).some((t) => `${t}${tail}` === wanted)) return true;
  }
  return false;
}

/** Checks the context of the extension at `path` (`….extension[i]` or `….modifierExtension[i]`) defined by `url`. */
export function checkExtensionContext(ctx: WalkContext, url: string, at: PathSource, modifier: boolean): void {
  const memo = memoOf(ctx);
  let known = memo.contexts.get(url);
  if (!known) {
    const list = contextsOf(ctx, url);
    known = {
      list,
      open: list.length === 0 || list.some(admitsAll),
      needsUrl: list.some((c) => c.type === 'extension'),
    };
    memo.contexts.set(url, known);
  }
  // No context, or one that admits every element: nothing to check (most extensions; skip the path work).
  if (known.open) return;
  const contexts = known.list;
  const path = pathText(at);
  const resource = ctx.resource as Json;
  const resourceType = typeof resource?.resourceType === 'string' ? resource.resourceType : undefined;
  if (!resourceType) return;
  const cut = path.lastIndexOf(modifier ? '.modifierExtension[' : '.extension[');
  if (cut < 0) return;
  const resourcePath = ctx.resource === ctx.rootResource ? ctx.rootPath : containedPath(ctx, path);
  if (resourcePath === undefined || !path.startsWith(resourcePath)) return;
  const relativeText = path.slice(resourcePath.length, cut);
  const key = `${resourceType}|${relativeText.replace(/\[\d+\]/g, '')}`;
  let paths = memo.paths.get(key);
  let relative: Segment[] | undefined;
  if (paths === undefined) {
    relative = segments(relativeText);
    paths = (relative && logicalPaths(ctx, resourceType, relative)) ?? null;
    if (memo.paths.size < MAX_PLACES) memo.paths.set(key, paths);
  }
  if (paths === null) return;
  const needsUrl = known.needsUrl;
  if (needsUrl) relative ??= segments(relativeText);
  const place: Place = {
    paths,
    extensionUrl: needsUrl && relative ? holderExtensionUrl(resource, relative) : undefined,
  };
  // Whether a context fits follows from the definitions, the place and the holder's URL alone: judged once each.
  let verdicts = memo.fitting.get(url);
  if (verdicts === undefined) memo.fitting.set(url, (verdicts = new Map()));
  const fitKey = needsUrl ? `${key}\n${place.extensionUrl ?? ''}` : key;
  let fitting = verdicts.get(fitKey);
  if (fitting === undefined) {
    const atResource = relativeText === '';
    fitting =
      place.paths.some((p) => ANY_EXTENSION_HERE.has(p)) || contexts.some((c) => fits(ctx, c, place, atResource));
    if (verdicts.size < MAX_PLACES) verdicts.set(fitKey, fitting);
  }
  if (fitting) return;
  const allowed = contexts.map(
    (c) => `${c.type === 'extension' ? 'x' : c.type === 'element' ? 'e' : 'p'}:${String(c.expression)}`,
  );
  ctx.sink.add(
    'EXTENSION_CONTEXT_WRONG',
    path,
    `The ${modifier ? 'modifier ' : ''}extension ${url} is not allowed to be used at this point (this element is [${[...place.paths].sort().join(', ')}]; allowed = ${allowed.join(', ')})`,
  );
}

function contextsOf(ctx: WalkContext, url: string): readonly Json[] {
  const sd = ctx.engine.registry.resolve(url, 'StructureDefinition');
  const declared = Array.isArray(sd?.context) ? (sd.context as Json[]) : [];
  const fixes = CONTEXT_FIXES[url];
  return fixes && declared.length
    ? [...fixes.map((expression) => ({ type: 'element', expression })), ...declared]
    : declared;
}

/** A context no place can fail: every element, or one not judged here (FHIRPath, bound to a profile). */
function admitsAll(c: Json): boolean {
  const e = c.expression;
  if (typeof e !== 'string') return true;
  if (c.type === 'element') return e === 'Element' || e === 'Any' || e.includes('#');
  return c.type !== 'extension';
}

/** The FHIRPath of a contained resource being walked: its container's path and `.contained[i]`. */
function containedPath(ctx: WalkContext, path: string): string | undefined {
  const m = new RegExp(`^${ctx.rootPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.contained\\[\\d+\\]`).exec(path);
  return m?.[0];
}
