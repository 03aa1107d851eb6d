/**
 * Extensions: validated against their definition when it is loaded (found through the slice's
 * `type.profile`, or else through `url`). An unknown one is an error (configurable) when its URL lies in an HL7 IG's
 * canonical space, where a published package defines it (as the HL7 validator reports it); elsewhere a warning, since
 * an offline validator cannot tell a private extension from a wrong one.
 * https://hl7.org/fhir/R4/extensibility.html
 */
import { pathText, type PathSource, type WalkContext } from './context.ts';
import { checkExtensionContext } from './extension-context.ts';
import type { CompiledProfile, ElementNode } from './model.ts';
import { EXAMPLE_URL, walkObject } from './walker.ts';

/**
 * The extension's `url` and whether a value is there, from one pass over its keys: extensions come in as many key
 * orders as there are value types, so each named read of one is a megamorphic load. The value may be carried by its
 * primitive extension part alone (`_valueCode`: an id or extensions, no value).
 */
function readExtension(obj: Record<string, unknown>): { url: unknown; hasValue: boolean } {
  let url: unknown;
  let hasValue = false;
  for (const key in obj) {
    if (key === 'url') url = obj[key];
    else if ((key.startsWith('value') && key.length > 5) || (key.startsWith('_value') && key.length > 6))
      hasValue = true;
  }
  return { url, hasValue };
}

/** ext-1 (checked natively: it runs on every extension and FHIRPath would cost far more). */
function checkExt1(ctx: WalkContext, obj: Record<string, unknown>, hasValue: boolean, path: PathSource): void {
  const nested = Array.isArray(obj.extension) && obj.extension.length > 0;
  if (nested === hasValue) {
    ctx.sink.add(
      'INVARIANT_FAILED',
      pathText(path),
      "Constraint failed: ext-1: 'Must have either extensions or value[x], not both'",
    );
  }
}

/** Canonical space of an HL7 IG (http://hl7.org/fhir/us/core/..., http://hl7.org/fhir/uv/sdc/...). */
const HL7_IG_EXTENSION = /^https?:\/\/hl7\.org\/fhir\/[a-z]{2}\/[^/]+\/StructureDefinition\//;

function definitionFor(
  ctx: WalkContext,
  node: ElementNode,
  url: unknown,
  path: PathSource,
): CompiledProfile | undefined {
  const registry = ctx.engine.registry;
  const declared = node.types[0]?.profiles[0];
  const canonical = declared ?? (typeof url === 'string' ? url : undefined);
  if (canonical === undefined) return undefined;
  const p = registry.profile(canonical);
  if (p) return p;
  const reason = registry.missingReason(canonical);
  if (declared !== undefined || reason !== 'no loaded package defines it') {
    ctx.sink.add('EXTENSION_NOT_CHECKED', pathText(path), `Cannot check the extension ${canonical}: ${reason}`);
  } else if (/^(https?|urn):/.test(canonical)) {
    // An unknown modifier extension changes the meaning of what it sits on, so it cannot be ignored.
    const modifier = node.name === 'modifierExtension';
    const severity =
      modifier || (!ctx.engine.allowExampleUrls && EXAMPLE_URL.test(canonical))
        ? 'error'
        : HL7_IG_EXTENSION.test(canonical)
          ? ctx.engine.unknownExtensionSeverity
          : 'warning';
    ctx.sink.add(
      'EXTENSION_UNKNOWN',
      pathText(path),
      `Unknown ${modifier ? 'modifier ' : ''}extension ${canonical}`,
      severity,
    );
  }
  return undefined;
}

/** Validates one extension value found at `path` under the element `node`. */
export function validateExtension(
  ctx: WalkContext,
  obj: Record<string, unknown>,
  node: ElementNode,
  owner: CompiledProfile,
  path: PathSource,
): void {
  const read = readExtension(obj);
  let url = read.url;
  if (typeof url !== 'string') {
    ctx.sink.add('EXTENSION_URL_MISSING', pathText(path), 'An extension must have a url');
  }
  checkExt1(ctx, obj, read.hasValue, path);
  if (typeof url === 'string' && url.includes('|')) {
    // Extension.url names the extension, never a version of it; it is then checked against the unversioned definition.
    ctx.sink.add('EXTENSION_URL_VERSIONED', pathText(path), `The extension URL must not contain a version ('${url}')`);
    url = url.slice(0, url.indexOf('|'));
  }
  if (node.children.length > 0) {
    walkObject(ctx, obj, node, owner, path);
    return;
  }
  const definition = definitionFor(ctx, node, url, path);
  if (definition) {
    // A modifier extension goes in modifierExtension, and only there (https://hl7.org/fhir/R4/extensibility.html#modifierExtension).
    const asModifier = node.name === 'modifierExtension';
    if (definition.root.isModifier === true ? !asModifier : asModifier)
      ctx.sink.add(
        'EXTENSION_MODIFIER_MISMATCH',
        pathText(path),
        asModifier
          ? `The extension ${definition.url} must not be used as a modifierExtension (it is a regular extension)`
          : `The extension ${definition.url} must not be used as an extension (it is a modifierExtension)`,
      );
    checkExtensionContext(ctx, definition.url, path, asModifier);
    walkObject(ctx, obj, definition.root, definition, path);
    return;
  }
  const base = ctx.engine.registry.baseType('Extension');
  if (base) walkObject(ctx, obj, base.root, base, path);
}
