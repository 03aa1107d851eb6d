/**
 * Business rules beyond the structure definitions, as the HL7 Java validator applies them: ValueSet compose systems,
 * CodeSystem property definitions and values, codings that name a CodeSystem supplement, and search-set entries.
 * https://hl7.org/fhir/R4/valueset.html, https://hl7.org/fhir/R4/codesystem.html#properties,
 * https://hl7.org/fhir/R4/bundle.html#searchset
 */
import type { AnyResource } from '../packages/types.ts';
import { pathText, type PathSource, type WalkContext } from './context.ts';
import { checkSignatureData } from './bundle-rules.ts';
import { checkOperationDefinition } from './operation-definition-rules.ts';
import { checkSnomedFilterOps } from './snomed-filter-ops.ts';
import { checkStructureDefinition } from './sd-rules.ts';
import { checkConceptMap, checkValueSetFilters } from './terminology-rules.ts';

type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

const objects = (v: unknown): Json[] =>
  Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];

/** The concept properties HL7 defines (http://hl7.org/fhir/concept-properties) and their types. */
export const CONCEPT_PROPERTIES: Readonly<Record<string, string>> = {
  status: 'code',
  inactive: 'boolean',
  effectiveDate: 'dateTime',
  deprecationDate: 'dateTime',
  retirementDate: 'dateTime',
  notSelectable: 'boolean',
  parent: 'code',
  child: 'code',
  partOf: 'code',
  synonym: 'code',
  comment: 'string',
  itemWeight: 'decimal',
};
const CONCEPT_PROPERTY_BASE = 'http://hl7.org/fhir/concept-properties#';

/** ValueSet.compose include/exclude: `system` is an absolute URI (a contained CodeSystem is named by its canonical url). */
function checkValueSet(ctx: WalkContext, vs: AnyResource, path: string): void {
  const compose = vs.compose as Json | undefined;
  if (typeof compose !== 'object' || compose === null) return;
  for (const part of ['include', 'exclude'] as const) {
    objects(compose[part]).forEach((inc, i) => {
      const system = inc.system;
      if (typeof system === 'string' && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(system)) {
        ctx.sink.add(
          'VALUESET_SYSTEM_NOT_ABSOLUTE',
          `${path}.compose.${part}[${i}]`,
          `ValueSet.compose.${part}.system must be an absolute URI, not '${system}' (a contained CodeSystem is named by its url)`,
        );
      }
    });
  }
}

/** CodeSystem.property: unique codes and URIs, HL7 property URIs with their type; concept property values of the declared type. */
function checkCodeSystem(ctx: WalkContext, cs: AnyResource, path: string): void {
  const declared = new Map<string, string>();
  const uris = new Set<string>();
  objects(cs.property).forEach((p, i) => {
    const here = `${path}.property[${i}]`;
    const code = typeof p.code === 'string' ? p.code : undefined;
    const uri = typeof p.uri === 'string' ? p.uri : undefined;
    const type = typeof p.type === 'string' ? p.type : undefined;
    if (code !== undefined && declared.has(code))
      ctx.sink.add('CODESYSTEM_PROPERTY_DUPLICATE', here, `A property is already defined with the code '${code}'`);
    if (uri !== undefined && uris.has(uri))
      ctx.sink.add('CODESYSTEM_PROPERTY_DUPLICATE', here, `A property is already defined with the URI '${uri}'`);
    if (uri?.startsWith(CONCEPT_PROPERTY_BASE)) {
      const name = uri.slice(CONCEPT_PROPERTY_BASE.length);
      const expected = CONCEPT_PROPERTIES[name];
      if (expected === undefined)
        ctx.sink.add(
          'CODESYSTEM_PROPERTY_UNKNOWN',
          here,
          `Unknown CodeSystem property '${uri}': a property of one's own must not be named in the HL7 namespace`,
        );
      if (expected !== undefined && code !== undefined && code !== name && !uris.has(uri)) {
        ctx.sink.add(
          'CODESYSTEM_PROPERTY_CODE',
          here,
          `The URI '${uri}' is assigned the code '${name}'; the code '${code}' would make a different property of the same meaning`,
        );
      }
      if (expected !== undefined && type !== undefined && type !== expected) {
        ctx.sink.add(
          'CODESYSTEM_PROPERTY_TYPE',
          here,
          `Wrong type '${type}': the URI '${uri}' identifies a property of type '${expected}'`,
        );
      }
    }
    if (code !== undefined && type !== undefined && !declared.has(code)) declared.set(code, type);
    if (uri !== undefined) uris.add(uri);
  });
  // Only a declared property's values can have a wrong type: with none declared (most code systems) nothing to walk.
  if (declared.size === 0) return;
  // Concept paths are made only for an issue: code systems hold thousands of concepts, nearly all without one.
  const walk = (concepts: unknown, at: () => string): void => {
    if (!Array.isArray(concepts)) return;
    // Positions count the objects only (non-objects are reported by the walk), as `objects()` lists them.
    let i = -1;
    for (const c of concepts) {
      if (!isObject(c)) continue;
      const n = ++i;
      const here = (): string => `${at()}[${n}]`;
      let j = -1;
      if (Array.isArray(c.property))
        for (const p of c.property) {
          if (!isObject(p)) continue;
          const m = ++j;
          const type = typeof p.code === 'string' ? declared.get(p.code) : undefined;
          if (type === undefined) continue;
          let valueKey: string | undefined;
          for (const k in p)
            if (k.startsWith('value')) {
              valueKey = k;
              break;
            }
          if (valueKey === undefined) continue;
          const actual = valueKey.slice(5);
          const want = type === 'dateTime' ? 'DateTime' : type.charAt(0).toUpperCase() + type.slice(1);
          if (actual !== want) {
            ctx.sink.add(
              'CODESYSTEM_PROPERTY_VALUE_TYPE',
              `${here()}.property[${m}]`,
              `The property '${String(p.code)}' has a value of type ${actual}, but is defined with the type '${type}'`,
            );
          }
        }
      walk(c.concept, () => `${here()}.concept`);
    }
  };
  walk(cs.concept, () => `${path}.concept`);
}

/** Search-set entries that are matches carry an id and are of the type searched (from the self link). */
function checkSearchSet(ctx: WalkContext, bundle: AnyResource, path: string): void {
  const self = objects(bundle.link).find((l) => l.relation === 'self')?.url;
  const searched = typeof self === 'string' ? /(?:^|\/)([A-Z][A-Za-z]+)(?:\?|$)/.exec(self)?.[1] : undefined;
  objects(bundle.entry).forEach((e, i) => {
    const resource = e.resource as Json | undefined;
    if ((e.search as Json | undefined)?.mode !== 'match' || typeof resource !== 'object' || resource === null) return;
    const here = `${path}.entry[${i}].resource`;
    if (resource.id === undefined) ctx.sink.add('BUNDLE_SEARCH_RESULT_NO_ID', here, 'Search results must have ids');
    if (searched !== undefined && resource.resourceType !== searched) {
      ctx.sink.add(
        'BUNDLE_SEARCH_RESULT_TYPE',
        here,
        `A match of a search for ${searched} is a ${String(resource.resourceType)}`,
      );
    }
  });
}

/** Resource-level business rules for the resource types that have them. */
export function checkConformanceRules(ctx: WalkContext, resource: AnyResource, path: string): void {
  if (ctx.engine.noExperimentalContent && resource.experimental === true)
    ctx.sink.add('EXPERIMENTAL_CONTENT_NOT_ALLOWED', path, 'Experimental content is not allowed in this context');
  if (resource.resourceType === 'ValueSet') {
    checkValueSet(ctx, resource, path);
    checkValueSetFilters(ctx, resource, path);
    checkSnomedFilterOps(ctx, resource, path);
  } else if (resource.resourceType === 'ConceptMap') checkConceptMap(ctx, resource, path);
  else if (resource.resourceType === 'CodeSystem') checkCodeSystem(ctx, resource, path);
  else if (resource.resourceType === 'Bundle') {
    if (resource.signature !== undefined) checkSignatureData(ctx, resource, path);
    if (resource.type === 'searchset') checkSearchSet(ctx, resource, path);
  } else if (resource.resourceType === 'SearchParameter') checkSearchParameter(ctx, resource, path);
  else if (resource.resourceType === 'StructureDefinition') checkStructureDefinition(ctx, resource, path);
  else if (resource.resourceType === 'OperationDefinition') checkOperationDefinition(ctx, resource, path);
}

/** A composite search parameter combines two or more components (https://hl7.org/fhir/R4/searchparameter.html). */
function checkSearchParameter(ctx: WalkContext, sp: AnyResource, path: string): void {
  if (sp.type === 'composite' && objects(sp.component).length < 2)
    ctx.sink.add(
      'SEARCHPARAMETER_COMPOSITE_COMPONENTS',
      path,
      "When the SearchParameter has a type of 'composite', then the SearchParameter must define two or more components",
    );
}

/** A Coding names a code system, never a supplement of one (https://hl7.org/fhir/R4/codesystem.html#supplements). */
export function checkCodingSystem(ctx: WalkContext, coding: Json, path: PathSource): void {
  if (typeof coding.system !== 'string') return;
  // Coding.system is a URI that names a code system: absolute (https://hl7.org/fhir/R4/datatypes.html#Coding).
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(coding.system)) {
    ctx.sink.add(
      'CODING_SYSTEM_NOT_ABSOLUTE',
      `${pathText(path)}.system`,
      `Coding.system must be an absolute reference, not a local reference ('${coding.system}')`,
    );
    return;
  }
  const cs = ctx.engine.registry.resolve(coding.system, 'CodeSystem');
  if (!cs && ctx.engine.registry.resolve(coding.system, 'ValueSet')) {
    ctx.sink.add(
      'CODING_SYSTEM_IS_VALUESET',
      `${pathText(path)}.system`,
      `The Coding references a value set, not a code system ('${coding.system}')`,
    );
    return;
  }
  if (cs && typeof cs.supplements === 'string') {
    ctx.sink.add(
      'CODING_SYSTEM_IS_SUPPLEMENT',
      `${pathText(path)}.system`,
      `The CodeSystem ${coding.system} is a supplement (of ${cs.supplements}), so it cannot be used as Coding.system`,
    );
  }
}
