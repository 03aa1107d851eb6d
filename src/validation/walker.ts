/**
 * Walks a resource along a compiled profile: properties, cardinality, types, fixed/pattern values,
 * bindings, invariants; slicing, extensions and references are delegated to their own modules.
 * Semantics follow the HL7 Java validator (InstanceValidator). https://hl7.org/fhir/R4/validation.html
 */
import type { AnyResource } from '../packages/types.ts';
import { createIssueSink, type IssueSink } from './issues.ts';
import { pathText, type BundleEntryRef, type Item, type PathSource, type WalkContext } from './context.ts';
import { collectItems, checkCardinality, singleItem } from './element-items.ts';
import { validateExtension } from './extensions.ts';
import { PRIMITIVE_TYPES, type CompiledProfile, type ElementNode } from './model.ts';
import { type ItemPlan, planFor } from './item-plan.ts';
import { checkReference } from './references.ts';
import { checkDocumentRules, indexBundle } from './bundle-rules.ts';
import { checkCodingSystem, checkConformanceRules } from './conformance-rules.ts';
import { checkQuestionnaireResponse } from './questionnaire-response.ts';
import { processSlicing } from './slicing.ts';
import { checkExpression } from './expressions.ts';
import { checkUcum } from './ucum.ts';
import { checkPrimitiveLimits, checkQuantityLimits } from './value-limits.ts';
import { deepEqual, describe, matchesPattern } from './values.ts';

export { isResourceType } from './item-plan.ts';

function nestedContext(ctx: WalkContext, resource: AnyResource, sink: IssueSink, path: string): WalkContext {
  const bundle = resource.resourceType === 'Bundle' ? indexBundle(resource, sink, path) : ctx.bundle;
  // %rootResource is the resource itself, except for contained resources, whose root is their container.
  const contained = /\.contained\[\d+\]$/.test(path) && ctx.resource !== resource;
  return {
    ...ctx,
    parameters: resource.resourceType === 'Parameters' ? indexParameters(resource, path) : ctx.parameters,
    resource,
    rootResource: contained ? ctx.resource : resource,
    rootPath: contained ? ctx.rootPath : path,
    bundle,
    sink,
  };
}

/** The cached result of a walk still under way (see validateAgainstProfile); told apart by identity. */
const IN_PROGRESS: readonly never[] = Object.freeze([]);

/**
 * Errors of `resource` against `profile` already found in this call (undefined when it was not walked yet, or is
 * being walked), so a caller can skip its own pre-checks for an answer that is known.
 */
export function knownErrorCount(ctx: WalkContext, resource: AnyResource, profile: CompiledProfile): number | undefined {
  const issues = ctx.cache.get(resource)?.get(profile.url);
  if (issues === undefined || issues === IN_PROGRESS) return undefined;
  let errors = 0;
  for (const i of issues) if (i.severity === 'error' || i.severity === 'fatal') errors++;
  return errors;
}

/** The resources a Parameters carries (and its parts), by `Type/id`. */
function indexParameters(parameters: AnyResource, path: string): Map<string, BundleEntryRef> {
  const out = new Map<string, BundleEntryRef>();
  const walk = (list: unknown, at: string): void => {
    if (!Array.isArray(list)) return;
    list.forEach((p: { resource?: AnyResource; part?: unknown }, i) => {
      const r = p?.resource;
      if (r && typeof r === 'object' && typeof r.id === 'string')
        out.set(`${r.resourceType}/${r.id}`, { resource: r, path: `${at}[${i}].resource` });
      walk(p?.part, `${at}[${i}].part`);
    });
  };
  walk(parameters.parameter, `${path}.parameter`);
  return out;
}

/** Validates `resource` against one profile, reusing an earlier result for the same object and profile. */
export function validateAgainstProfile(
  ctx: WalkContext,
  resource: AnyResource,
  profile: CompiledProfile,
  path: string,
): number {
  let perObject = ctx.cache.get(resource);
  if (!perObject) ctx.cache.set(resource, (perObject = new Map()));
  let issues = perObject.get(profile.url);
  if (!issues) {
    // Placeholder while walking: a reference cycle (A → B → A with target profiles) sees "no errors yet"
    // instead of recursing forever.
    perObject.set(profile.url, IN_PROGRESS);
    const sink = createIssueSink();
    const inner = nestedContext(ctx, resource, sink, path);
    walkRoot(inner, resource, profile, path);
    if (resource.resourceType === 'Bundle') checkDocumentRules(inner, resource, path);
    if (resource.resourceType === 'QuestionnaireResponse') checkQuestionnaireResponse(inner, resource, path);
    checkConformanceRules(inner, resource, path);
    issues = sink.issues;
    perObject.set(profile.url, issues);
  }
  ctx.sink.addAll(issues, true);
  let errors = 0;
  for (const i of issues) if (i.severity === 'error' || i.severity === 'fatal') errors++;
  return errors;
}

const NONE: readonly CompiledProfile[] = Object.freeze([]);

function profilesToCheck(
  ctx: WalkContext,
  resource: AnyResource,
  path: string,
  required: readonly string[],
): readonly CompiledProfile[] {
  // meta / meta.profile of a wrong JSON shape are reported by the structure walk; here they claim nothing.
  const meta = resource.meta as { profile?: unknown } | null | undefined;
  const raw = typeof meta === 'object' && meta !== null ? meta.profile : undefined;
  const globals = ctx.engine.registry.globalProfiles(resource.resourceType);
  // Nothing required, global or claimed (most resources): the base definition alone, without the sets below.
  if (required.length === 0 && globals.length === 0 && !(Array.isArray(raw) && raw.length > 0)) return NONE;
  const claimed = (Array.isArray(raw) ? raw : []).filter((p): p is string => typeof p === 'string');
  const out: CompiledProfile[] = [];
  for (const url of new Set([...required, ...globals, ...claimed])) {
    const compiled = ctx.engine.registry.profile(url);
    const isClaim = !required.includes(url) && !globals.includes(url);
    if (!compiled) {
      const reason = ctx.engine.registry.missingReason(url);
      if (isClaim && reason === 'no loaded package defines it') {
        ctx.sink.add(
          'PROFILE_UNKNOWN',
          path,
          `Profile ${url} is not known, so the resource cannot be checked against it: ${reason}`,
          ctx.engine.unknownProfileSeverity,
        );
      } else {
        ctx.sink.add('PROFILE_NOT_CHECKED', path, `Cannot check against ${url}: ${reason}`);
      }
    } else if (compiled.type !== resource.resourceType) {
      ctx.sink.add(
        'RESOURCE_TYPE_MISMATCH',
        path,
        `The profile ${url} is for ${compiled.type} resources, not ${resource.resourceType}`,
      );
    } else {
      out.push(compiled);
    }
  }
  return out;
}

/**
 * Validates a resource found at `path` against its base definition, its `meta.profile` claims and
 * the `required` profiles (from the caller or an element's `type.profile`). Returns the error count.
 */
export function validateResource(
  ctx: WalkContext,
  value: unknown,
  path: string,
  required: readonly string[] = [],
): number {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.sink.add('RESOURCE_NOT_OBJECT', path, 'A resource must be a JSON object');
    return 1;
  }
  const resource = value as AnyResource;
  const base =
    typeof resource.resourceType === 'string' ? ctx.engine.registry.baseType(resource.resourceType) : undefined;
  if (!base || base.kind !== 'resource') {
    ctx.sink.add('RESOURCE_TYPE_UNKNOWN', path, `Unknown resource type '${String(resource.resourceType)}'`);
    return 1;
  }
  const profiles = profilesToCheck(ctx, resource, path, required);
  if (profiles.length === 0) return validateAgainstProfile(ctx, resource, base, path);
  let errors = 0;
  for (const p of profiles) errors += validateAgainstProfile(ctx, resource, p, path);
  return errors;
}

const RESOURCE_ID = /^[A-Za-z0-9\-.]{1,64}$/;

function walkRoot(ctx: WalkContext, resource: AnyResource, profile: CompiledProfile, path: string): void {
  // Resource.id is typed System.String in the R4 definitions; its id rules (https://hl7.org/fhir/R4/datatypes.html#id) are checked here.
  const typedAsId = profile.root.children.find((c) => c.name === 'id')?.types[0]?.code === 'id'; // then checked as a primitive
  if (!typedAsId && typeof resource.id === 'string' && resource.id !== '' && !RESOURCE_ID.test(resource.id)) {
    const why =
      resource.id.length > 64
        ? `too long (${resource.id.length} characters, at most 64)`
        : 'only A-Z, a-z, 0-9, - and . are allowed';
    ctx.sink.add(
      'RESOURCE_ID_INVALID',
      `${path}.id`,
      `Invalid resource id '${resource.id.length > 64 ? `${resource.id.slice(0, 64)}…` : resource.id}': ${why}`,
    );
  }
  ctx.engine.invariants.check(ctx, profile.root, resource, resource.resourceType, path);
  walkObject(ctx, resource as Record<string, unknown>, profile.root, profile, path, true);
}

/** Checks every property of `obj` against the children of `container`. */
export function walkObject(
  ctx: WalkContext,
  obj: Record<string, unknown>,
  container: ElementNode,
  owner: CompiledProfile,
  path: PathSource,
  isResource = false,
): void {
  ctx.budget?.tick();
  // The children that have a value here, found from the object's own (few) keys: a definition has dozens of
  // children, and reading each one's JSON names (every type of a choice) for every object dominated the walk.
  // They are bits over the child's index (no set per object); a container of more than 64 children uses a set.
  const children = container.children;
  const wide = children.length > 64 ? new Set<ElementNode>() : undefined;
  let lo = 0;
  let hi = 0;
  // A choice whose type the profile narrowed away: one "type not allowed" issue, and the element counts as present.
  let presentAsOtherType: Set<ElementNode> | undefined;
  // Whether any `_name` key is here: when none is (most objects), the walk does not look each one up.
  let hasExt = false;
  // for…in walks the same own keys in the same order as Object.keys (JSON objects), without an array per object.
  for (const key in obj) {
    if (isResource && key === 'resourceType') continue;
    const underscore = key.charCodeAt(0) === 95;
    if (underscore) hasExt = true;
    const name = underscore ? key.slice(1) : key;
    const hit = container.jsonIndex.get(name);
    if (hit) {
      const i = hit.node.index;
      if (wide) wide.add(hit.node);
      else if (i < 32) lo |= 1 << i;
      else hi |= 1 << (i - 32);
      continue;
    }
    const choice = narrowedChoice(ctx, container, name);
    if (choice) {
      (presentAsOtherType ??= new Set()).add(choice.node);
      if (key === name)
        ctx.sink.add(
          'CHOICE_TYPE_NOT_ALLOWED',
          `${pathText(path)}.${key}`,
          `The definition allows for the type(s) ${choice.node.types.map((t) => t.code).join(', ')} but found type ${choice.type}`,
        );
    } else ctx.sink.add('STRUCTURE_UNKNOWN_ELEMENT', `${pathText(path)}.${key}`, `Unrecognized property '${key}'`);
  }
  if (wide) {
    for (const child of children) {
      // An absent child can only break its minimum cardinality or a slice's (nothing else is checked on no values).
      if (!wide.has(child) && child.min === 0 && !(child.slicing && child.slices.length > 0)) continue;
      walkChild(ctx, obj, container, child, owner, path, presentAsOtherType, hasExt);
    }
    return;
  }
  // In definition order (lowest index first), the present children and those that can fail when absent.
  for (let m = lo | container.mustVisitLo; m !== 0; ) {
    const bit = m & -m;
    m ^= bit;
    walkChild(ctx, obj, container, children[31 - Math.clz32(bit)]!, owner, path, presentAsOtherType, hasExt);
  }
  for (let m = hi | container.mustVisitHi; m !== 0; ) {
    const bit = m & -m;
    m ^= bit;
    walkChild(ctx, obj, container, children[63 - Math.clz32(bit)]!, owner, path, presentAsOtherType, hasExt);
  }
}

function walkChild(
  ctx: WalkContext,
  obj: Record<string, unknown>,
  container: ElementNode,
  child: ElementNode,
  owner: CompiledProfile,
  path: PathSource,
  presentAsOtherType: Set<ElementNode> | undefined,
  hasExt: boolean,
): void {
  const sliced = child.slicing !== undefined && child.slices.length > 0;
  const one = sliced ? undefined : singleItem(obj, child, path, hasExt);
  if (one) {
    checkCardinality(ctx, 1, child, path);
    return validateItem(ctx, one, child, owner);
  }
  const items = collectItems(ctx, obj, child, path, container, hasExt);
  if (sliced) processSlicing(ctx, items, child, owner, path);
  else {
    checkCardinality(ctx, items.length || (presentAsOtherType?.has(child) ? 1 : 0), child, path);
    for (const item of items) validateItem(ctx, item, child, owner);
  }
}

/** The choice element `name` belongs to when it names a data type the element's definition does not allow. */
function narrowedChoice(
  ctx: WalkContext,
  container: ElementNode,
  name: string,
): { node: ElementNode; type: string } | undefined {
  for (const child of container.children) {
    const stem = child.choiceStem;
    if (!stem || !name.startsWith(stem) || name.length === stem.length) continue;
    const rest = name.slice(stem.length);
    const type = PRIMITIVE_TYPES.has(rest.charAt(0).toLowerCase() + rest.slice(1))
      ? rest.charAt(0).toLowerCase() + rest.slice(1)
      : rest;
    if (ctx.engine.registry.baseType(type)) return { node: child, type };
  }
  return undefined;
}

function checkFixedAndPattern(ctx: WalkContext, value: unknown, node: ElementNode, path: PathSource): void {
  if (node.fixed !== undefined && !deepEqual(value, node.fixed)) {
    ctx.sink.add(
      'FIXED_VALUE_MISMATCH',
      pathText(path),
      `Value is ${describe(value)} but must be ${describe(node.fixed)} (fixed by ${node.id})`,
    );
  }
  if (node.pattern !== undefined && !matchesPattern(value, node.pattern)) {
    ctx.sink.add(
      'PATTERN_VALUE_MISMATCH',
      pathText(path),
      `Value ${describe(value)} does not match the pattern ${describe(node.pattern)} required by ${node.id}`,
    );
  }
}

function validatePrimitive(
  ctx: WalkContext,
  item: Item,
  node: ElementNode,
  plan: Extract<ItemPlan, { kind: 'primitive' }>,
): void {
  const { base, invariants } = plan;
  const code = item.type.code;
  if (item.value !== undefined && item.value !== null) {
    const problem = plan.check(item.value);
    if (problem) ctx.sink.add(problem.id, item.path, problem.text);
    checkFixedAndPattern(ctx, item.value, node, item);
    if (node.minValue || node.maxValue || node.maxLength !== undefined)
      checkPrimitiveLimits(ctx.sink, node, code, item.value, item.path);
    if (!ctx.engine.allowExampleUrls || !ctx.engine.allowHtmlInMarkdown)
      checkContentPolicy(ctx, code, item.value, item.path);
    if (node.binding && (code === 'code' || code === 'string' || code === 'uri'))
      ctx.engine.terminology.checkCodeBinding(ctx.sink, node.binding, item.value, item);
    if (invariants) ctx.engine.invariants.check(ctx, node, item.value, code, item);
  }
  if (item.ext) {
    // The `_name` part holds only id and extensions: a value there is not where FHIR JSON puts it.
    if (typeof item.ext === 'object' && 'value' in item.ext)
      ctx.sink.add(
        'STRUCTURE_UNKNOWN_ELEMENT',
        `${item.path}.value`,
        `The primitive extension part of ${node.path} cannot hold a value (it goes in the property itself)`,
      );
    if (base) walkObject(ctx, item.ext, base.root, base, item);
  }
}

/** A URL in the example domains (example.org, example.com and their subdomains). */
export const EXAMPLE_URL = /^https?:\/\/([a-z0-9-]+\.)*example\.(org|com|net)(\/|:|$)/i;
const URL_TYPES = new Set(['uri', 'url', 'canonical']);

/** The content rules a validator may be asked to apply (both off by default, as in the HL7 validator). */
function checkContentPolicy(ctx: WalkContext, code: string, value: unknown, path: string): void {
  if (typeof value !== 'string') return;
  if (!ctx.engine.allowExampleUrls && URL_TYPES.has(code) && EXAMPLE_URL.test(value))
    ctx.sink.add('EXAMPLE_URL_NOT_ALLOWED', path, `Example URLs are not allowed in this context (${value})`);
  if (!ctx.engine.allowHtmlInMarkdown && code === 'markdown') {
    const at = value.search(/<\/?[a-zA-Z][^>]*>/);
    if (at >= 0)
      ctx.sink.add(
        'MARKDOWN_HTML',
        path,
        `The markdown holds what looks like an HTML tag at '${value.slice(at, at + 10)}'; HTML is not allowed in markdown here`,
      );
  }
}

function isEmptyObject(obj: Record<string, unknown>): boolean {
  for (const _ in obj) return false;
  return true;
}

/** Validates one value of an element (after slicing has picked the definition that applies). */
export function validateItem(ctx: WalkContext, item: Item, node: ElementNode, owner: CompiledProfile): void {
  const plan = planFor(ctx, node, item.type, owner);
  if (plan.kind === 'primitive') return validatePrimitive(ctx, item, node, plan);
  if (plan.kind === 'resource') {
    if (node.name === 'contained' && !ctx.engine.checkContained) return;
    validateResource(ctx, item.value, item.path, plan.profiles);
    return;
  }
  const code = item.type.code;
  const value = item.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.sink.add('JSON_OBJECT_EXPECTED', item.path, `The value of ${node.path} must be a JSON object (${code})`);
    return;
  }
  const obj = value as Record<string, unknown>;
  if (isEmptyObject(obj)) {
    ctx.sink.add(
      'ELEMENT_EMPTY',
      item.path,
      'Constraint failed: ele-1: All FHIR elements must have a @value or children',
    );
    return;
  }
  checkFixedAndPattern(ctx, obj, node, item);
  if (node.binding) ctx.engine.terminology.checkBinding(ctx.sink, node.binding, obj, code, item);
  if (plan.coding) {
    ctx.engine.terminology.checkCoding(ctx.sink, obj, item);
    checkCodingSystem(ctx, obj, item);
  }
  if (plan.ucum) checkUcum(ctx.sink, obj, item);
  if (node.minValue || node.maxValue) checkQuantityLimits(ctx.sink, node, obj, item.path);
  if (code === 'Expression') checkExpression(ctx.sink, obj, item.path);
  if (plan.invariants) ctx.engine.invariants.check(ctx, node, obj, code, item);
  if (code === 'Extension') return validateExtension(ctx, obj, node, owner, item);
  if (plan.missingProfile !== undefined)
    ctx.sink.add(
      'PROFILE_NOT_CHECKED',
      item.path,
      `Cannot check against ${plan.missingProfile}: ${ctx.engine.registry.missingReason(plan.missingProfile)}`,
    );
  // Invariants of the data type itself (ref-1, per-1, ...) sit on the type definition's root element.
  if (plan.typeRoot) ctx.engine.invariants.check(ctx, plan.typeRoot, obj, code, item);
  if (plan.container) walkObject(ctx, obj, plan.container.node, plan.container.owner, item);
  // The definition that applies (a slice may narrow targetProfile) rather than the one the JSON name came from.
  if (plan.referenceType) checkReference(ctx, obj, plan.referenceType, node, item);
}
