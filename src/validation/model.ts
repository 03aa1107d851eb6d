/**
 * The compiled form of a StructureDefinition snapshot: a tree of element nodes that the walker
 * follows without re-reading the definition. https://hl7.org/fhir/R4/elementdefinition.html
 */

export interface TypeRef {
  /** Type code, with FHIRPath system types mapped to FHIR primitives (`System.String` → `string`). */
  readonly code: string;
  readonly profiles: readonly string[];
  readonly targetProfiles: readonly string[];
}

export interface Constraint {
  readonly key: string;
  readonly severity: 'error' | 'warning';
  readonly human: string;
  readonly expression?: string;
  /** Profile that declared it (from `constraint.source`), for messages. */
  readonly source?: string;
}

export interface Discriminator {
  readonly type: 'value' | 'pattern' | 'type' | 'profile' | 'exists';
  readonly path: string;
}

export interface Slicing {
  readonly discriminators: readonly Discriminator[];
  readonly ordered: boolean;
  readonly rules: 'closed' | 'open' | 'openAtEnd';
}

export interface ValueLimit {
  /** The `[x]` type suffix as written (`Date`, `DateTime`, `Integer`, `Decimal`, `Quantity`, ...). */
  readonly type: string;
  readonly value: unknown;
}

export interface Binding {
  readonly strength: 'required' | 'extensible' | 'preferred' | 'example';
  readonly valueSet?: string;
  /** Additional bindings (the R5 `binding.additional`, carried in R4 by an extension) whose purpose is required or extensible. */
  readonly additional?: readonly { readonly strength: 'required' | 'extensible'; readonly valueSet: string }[];
}

/** One JSON property name an element may appear under, its `_name` twin (primitive id/extensions) and the type it selects. */
export interface JsonKey {
  readonly key: string;
  readonly extKey: string;
  readonly type: TypeRef;
  /** What its values add to the parent's FHIRPath: `.name`, or `.value.ofType(Quantity)` for a choice. */
  readonly step: string;
}

export interface ElementNode {
  readonly id: string;
  readonly path: string;
  /** Last path segment as written in the definition, e.g. `value[x]`. */
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Whether JSON carries this element as an array (decided by the base definition's max). */
  readonly isArray: boolean;
  readonly types: readonly TypeRef[];
  readonly fixed?: unknown;
  readonly pattern?: unknown;
  readonly binding?: Binding;
  /** `minValue[x]` / `maxValue[x]`: the type suffix (`Date`, `Quantity`, ...) and the value. */
  readonly minValue?: ValueLimit;
  readonly maxValue?: ValueLimit;
  readonly maxLength?: number;
  /** `isModifier` (on an extension definition's root: a modifier extension). */
  readonly isModifier?: boolean;
  readonly constraints: readonly Constraint[];
  readonly slicing?: Slicing;
  readonly sliceName?: string;
  readonly contentReference?: string;
  readonly children: ElementNode[];
  readonly slices: ElementNode[];
  /** JSON property name → child node and the type that property name selects. Built once in compile. */
  readonly jsonIndex: Map<string, { node: ElementNode; type: TypeRef; key: JsonKey }>;
  /** `value` for `value[x]`; undefined for an element that is not a choice. */
  readonly choiceStem?: string;
  /** The property names this element's values sit under: one per type for a choice, else one. Built once in compile. */
  readonly jsonKeys: readonly JsonKey[];
  /** Position among its container's children (compile), for the walk's present-children mask. */
  readonly index: number;
  /**
   * The children walked even when absent (min ≥ 1, or sliced: a slice minimum may fail), as bit masks over their
   * `index` (0–31 in `mustVisitLo`, 32–63 in `mustVisitHi`); compile sets them for containers of up to 64 children.
   */
  readonly mustVisitLo: number;
  readonly mustVisitHi: number;
  /**
   * Facts one engine (the owner) works out on first use and keeps with the node (invariants.ts: the constraints left
   * to run; item-plan.ts: what to do with a value of each type), read for every value walked, where a WeakMap or
   * registry lookup per value cost more than the work it saved. Not definition data.
   */
  memo?: {
    readonly owner: object;
    invariants?: readonly unknown[];
    plans?: unknown;
    lastType?: unknown;
    lastPlan?: unknown;
  };
}

export interface CompiledProfile {
  readonly url: string;
  readonly version?: string;
  /** The constrained type (resource or data type name). */
  readonly type: string;
  readonly kind: string;
  readonly derivation?: string;
  readonly root: ElementNode;
  readonly byId: ReadonlyMap<string, ElementNode>;
  /** `id#version` of the package that holds the definition. */
  readonly packageRef: string;
}

export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'boolean',
  'integer',
  'string',
  'decimal',
  'uri',
  'url',
  'canonical',
  'base64Binary',
  'instant',
  'date',
  'dateTime',
  'time',
  'code',
  'oid',
  'id',
  'markdown',
  'unsignedInt',
  'positiveInt',
  'uuid',
  'xhtml',
]);
