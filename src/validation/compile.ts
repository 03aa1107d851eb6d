/**
 * Compiles a StructureDefinition snapshot into an element tree once; validators reuse it for every request.
 * Element ids (`Immunization.extension:brand.value[x]`) give the tree: `:` opens a slice, `/` a re-slice.
 * https://hl7.org/fhir/R4/elementdefinition.html#id
 */
import type { AnyResource } from '../packages/types.ts';
import type {
  Binding,
  CompiledProfile,
  Constraint,
  Discriminator,
  ElementNode,
  JsonKey,
  Slicing,
  TypeRef,
  ValueLimit,
} from './model.ts';

const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const SYSTEM_TYPES: Record<string, string> = {
  'http://hl7.org/fhirpath/System.String': 'string',
  'http://hl7.org/fhirpath/System.Boolean': 'boolean',
  'http://hl7.org/fhirpath/System.Integer': 'integer',
  'http://hl7.org/fhirpath/System.Decimal': 'decimal',
  'http://hl7.org/fhirpath/System.Date': 'date',
  'http://hl7.org/fhirpath/System.DateTime': 'dateTime',
  'http://hl7.org/fhirpath/System.Time': 'time',
};

interface RawType {
  code: string;
  profile?: string[];
  targetProfile?: string[];
  extension?: { url: string; valueUrl?: string; valueUri?: string }[];
}

interface RawExtension {
  url?: string;
  valueCode?: string;
  valueCanonical?: string;
  extension?: RawExtension[];
}

/** The R5 additional-binding extensions (core xver and the HL7 tools form) that bind with purpose required/extensible. */
const ADDITIONAL_BINDING = new Set([
  'http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional',
  'http://hl7.org/fhir/tools/StructureDefinition/additional-binding',
]);

function additionalBindings(exts: RawExtension[] | undefined): Binding['additional'] {
  const out: { strength: 'required' | 'extensible'; valueSet: string }[] = [];
  for (const e of exts ?? []) {
    if (!e.url || !ADDITIONAL_BINDING.has(e.url)) continue;
    const purpose = e.extension?.find((x) => x.url === 'purpose')?.valueCode;
    const valueSet = e.extension?.find((x) => x.url === 'valueSet')?.valueCanonical;
    if ((purpose === 'required' || purpose === 'extensible') && valueSet) out.push({ strength: purpose, valueSet });
  }
  return out.length ? out : undefined;
}

interface RawElement {
  id?: string;
  path: string;
  sliceName?: string;
  min?: number;
  max?: string;
  base?: { max?: string };
  type?: RawType[];
  binding?: { strength: Binding['strength']; valueSet?: string; extension?: RawExtension[] };
  constraint?: { key: string; severity: 'error' | 'warning'; human: string; expression?: string; source?: string }[];
  slicing?: { discriminator?: Discriminator[]; ordered?: boolean; rules?: Slicing['rules'] };
  contentReference?: string;
  [key: string]: unknown;
}

function typeCode(t: RawType): string {
  const ext = t.extension?.find((e) => e.url === FHIR_TYPE_EXT);
  if (ext) return ext.valueUrl ?? ext.valueUri ?? t.code;
  return SYSTEM_TYPES[t.code] ?? t.code;
}

function maxOf(text: string | undefined): number {
  if (text === undefined || text === '*') return Infinity;
  return Number(text);
}

function valueWithPrefix(el: RawElement, prefix: string): unknown {
  for (const key of Object.keys(el)) if (key.startsWith(prefix) && key.length > prefix.length) return el[key];
  return undefined;
}

/** `minValueDate: "2025-01-01"` → `{ type: 'Date', value: '2025-01-01' }`. */
function limitOf(el: RawElement, prefix: string): ValueLimit | undefined {
  for (const key of Object.keys(el))
    if (key.startsWith(prefix) && key.length > prefix.length) return { type: key.slice(prefix.length), value: el[key] };
  return undefined;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Containers where one JSON name stands for two children or two types of a choice (an invalid definition, e.g. a
 * type code listed twice): their index cannot say which, so the walk reads every name of each choice there.
 */
export const AMBIGUOUS_NAMES = new WeakSet<ElementNode>();

/** JSON property name → child element and type, from the keys each child computed once (`jsonKeysOf`). */
function buildIndex(node: ElementNode): void {
  let lo = 0;
  let hi = 0;
  for (const child of node.children) {
    for (const k of child.jsonKeys) {
      if (node.jsonIndex.has(k.key)) AMBIGUOUS_NAMES.add(node);
      node.jsonIndex.set(k.key, { node: child, type: k.type, key: k });
    }
    if (child.min === 0 && !(child.slicing && child.slices.length > 0)) continue;
    if (child.index < 32) lo |= 1 << child.index;
    else if (child.index < 64) hi |= 1 << (child.index - 32);
  }
  Object.assign(node, { mustVisitLo: lo, mustVisitHi: hi });
}

const ELEMENT_TYPE: TypeRef = { code: 'BackboneElement', profiles: [], targetProfiles: [] };

/** Where the values of an element with this name and these types sit in JSON (computed once, not per value read). */
function jsonKeysOf(name: string, types: readonly TypeRef[]): { choiceStem?: string; jsonKeys: JsonKey[] } {
  if (!name.endsWith('[x]'))
    return { jsonKeys: [{ key: name, extKey: `_${name}`, type: types[0] ?? ELEMENT_TYPE, step: `.${name}` }] };
  const choiceStem = name.slice(0, -3);
  return {
    choiceStem,
    jsonKeys: types.map((type) => ({
      key: choiceStem + capitalise(type.code),
      extKey: `_${choiceStem}${capitalise(type.code)}`,
      type,
      step: `.${choiceStem}.ofType(${type.code})`,
    })),
  };
}

function toNode(el: RawElement): ElementNode {
  const segments = el.path.split('.');
  const maxText = el.base?.max ?? el.max;
  const rawSlicing = el.slicing;
  const name = segments[segments.length - 1];
  const types = (el.type ?? []).map(
    (t): TypeRef => ({ code: typeCode(t), profiles: t.profile ?? [], targetProfiles: t.targetProfile ?? [] }),
  );
  return {
    id: el.id ?? el.path,
    path: el.path,
    name,
    min: el.min ?? 0,
    max: maxOf(el.max),
    isArray: maxText === '*' || Number(maxText) > 1,
    types,
    fixed: valueWithPrefix(el, 'fixed'),
    pattern: valueWithPrefix(el, 'pattern'),
    binding: el.binding
      ? {
          strength: el.binding.strength,
          valueSet: el.binding.valueSet,
          additional: additionalBindings(el.binding.extension),
        }
      : undefined,
    minValue: limitOf(el, 'minValue'),
    maxValue: limitOf(el, 'maxValue'),
    maxLength: typeof el.maxLength === 'number' ? el.maxLength : undefined,
    isModifier: el.isModifier === true ? true : undefined,
    constraints: (el.constraint ?? []).map(
      (c): Constraint => ({
        key: c.key,
        severity: c.severity,
        human: c.human,
        expression: c.expression,
        source: c.source,
      }),
    ),
    slicing: rawSlicing
      ? {
          discriminators: rawSlicing.discriminator ?? [],
          ordered: rawSlicing.ordered ?? false,
          rules: rawSlicing.rules ?? 'open',
        }
      : undefined,
    sliceName: el.sliceName,
    contentReference: el.contentReference,
    children: [],
    slices: [],
    jsonIndex: new Map(),
    index: 0,
    mustVisitLo: 0,
    mustVisitHi: 0,
    memo: undefined,
    ...jsonKeysOf(name, types),
  };
}

/** Splits an element id into its parent id and last segment, ignoring dots inside slice names after `:`. */
function parentOf(id: string): { parent: string; segment: string } {
  const at = id.lastIndexOf('.');
  return { parent: id.slice(0, at), segment: id.slice(at + 1) };
}

/**
 * Compiles a StructureDefinition with a snapshot. Throws when there is no snapshot.
 * @example const p = compileProfile(sd, 'who.ddcc#1.0.0'); p.root.children.map((c) => c.name)
 */
export function compileProfile(sd: AnyResource, packageRef: string): CompiledProfile {
  const elements = (sd.snapshot as { element?: RawElement[] } | undefined)?.element;
  if (!elements?.length) throw new Error(`StructureDefinition ${sd.url} has no snapshot`);
  const byId = new Map<string, ElementNode>();
  const root = toNode(elements[0]);
  byId.set(root.id, root);
  for (const el of elements.slice(1)) {
    const node = toNode(el);
    byId.set(node.id, node);
    const { parent, segment } = parentOf(node.id);
    const colon = segment.indexOf(':');
    if (colon >= 0) {
      // "name:a/b" is re-slice b of slice "name:a"; "name:a" is slice a of "name".
      const slash = segment.lastIndexOf('/');
      const ownerId = slash > colon ? `${parent}.${segment.slice(0, slash)}` : `${parent}.${segment.slice(0, colon)}`;
      byId.get(ownerId)?.slices.push(node);
    } else {
      const container = byId.get(parent);
      if (container) (node as { index: number }).index = container.children.push(node) - 1;
    }
  }
  for (const node of byId.values()) buildIndex(node);
  return {
    url: String(sd.url),
    version: sd.version,
    type: String(sd.type),
    kind: String(sd.kind),
    derivation: sd.derivation as string | undefined,
    root,
    byId,
    packageRef,
  };
}
