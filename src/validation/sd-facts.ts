/**
 * What the whole-StructureDefinition invariants sdf-1, sdf-14, sdf-16, sdf-17, sdf-19 and sdf-23 read from the
 * snapshot and differential element lists, gathered in one pass over each list. Each of these invariants used to walk
 * the lists on its own (up to five passes over a snapshot of hundreds of elements, most of the invariant time of a
 * StructureDefinition); the facts are gathered once per invariant check of a StructureDefinition (the `scratch` of
 * that one check call, never kept across calls or validations) and each direct form answers from them.
 *
 * The reading rules are those of shortcut-shape.ts (str, must, list): a read that is not the plain shape makes the
 * fact "unsure", and a direct form that needs an unsure fact answers undefined (FHIRPath decides), exactly where its
 * own loop would have thrown UNSURE: each of those loops read every element before answering.
 */
import { hasKey, isObject, type Json, twin } from './shortcut-shape.ts';

/** One element list (snapshot or differential) as the sdf-* direct forms read it. */
export interface PartFacts {
  /** The list itself is plain (absent counts as an empty list). When false, nothing else is sure. */
  readonly ok: boolean;
  /** Every `id` is absent or a plain string. */
  readonly idsPlain: boolean;
  readonly idsAll: boolean;
  /** The ids that are present are distinct. */
  readonly idsDistinct: boolean;
  /** Every `path` is a plain string (must). */
  readonly pathsPlain: boolean;
  /** Worked out for the snapshot only (sdf-1); true for the differential. */
  readonly pathsDistinct: boolean;
  /** Every `sliceName` is absent or a plain string. */
  readonly sliceNamesPlain: boolean;
  /** Some element with a root path (no `.`) has a sliceName. */
  readonly rootSliced: boolean;
  /** Every `type` list and `type.code` is plain. */
  readonly codesPlain: boolean;
  /** Every type code meets one of the part's patterns (only worked out when sdf-19 applies; else true). */
  readonly codesMatch: boolean;
}

export interface SdFacts {
  /** `url` is a plain string (sdf-19 reads it with must). */
  readonly urlPlain: boolean;
  /** sdf-19 applies: the url starts with http://hl7.org/fhir/StructureDefinition. */
  readonly core: boolean;
  readonly snapshot: PartFacts;
  readonly differential: PartFacts;
}

/** What sdf-3 and sdf-8b read from every element of a snapshot: true / false, or undefined where some element's
 * read is not the plain shape (`has` would throw UNSURE there: the form answers undefined). */
export interface SnapshotFacts {
  /** sdf-3: every element has a definition, a min and a max. */
  readonly definedMinMax: boolean | undefined;
  /** sdf-8b: every element has a base. */
  readonly allBase: boolean | undefined;
}

/** Per invariant check call: the facts of the one value checked, worked out by the first direct form that needs them. */
export interface CheckScratch {
  sd?: { value: unknown; facts: SdFacts };
  snapshot?: { value: unknown; facts: SnapshotFacts };
}

const DIFF_CODES = [/^[a-zA-Z0-9]+$/, /^http:\/\/hl7\.org\/fhirpath\/System\.[A-Z][A-Za-z]+$/];
const SNAP_CODES = [/^[a-zA-Z0-9.]+$/, /^http:\/\/hl7\.org\/fhirpath\/System\.[A-Z][A-Za-z]+$/];

/** `str` without the throw: the string, null when absent, undefined when not the plain shape. */
function plain(o: Json, name: string): string | null | undefined {
  const s = o[name];
  if (o[twin(name)] !== undefined) return undefined;
  if (s === undefined) return null;
  return typeof s !== 'string' || s === '' ? undefined : s;
}

/** `list` without the throw: the objects, [] when absent, undefined when not the plain shape. */
function plainList(o: Json, name: string): Json[] | undefined {
  if (o[twin(name)] !== undefined) return undefined;
  const v = o[name];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length === 0) return undefined;
  for (const x of v) if (!isObject(x)) return undefined;
  return v as Json[];
}

const UNSURE_PART: PartFacts = {
  ok: false,
  idsPlain: false,
  idsAll: false,
  idsDistinct: false,
  pathsPlain: false,
  pathsDistinct: false,
  sliceNamesPlain: false,
  rootSliced: false,
  codesPlain: false,
  codesMatch: false,
};

/** `plain` for a value and its `_name` twin already read (named reads in the loop below: a read by a computed name
 * and the twin's name looked up cost more than the rest of the pass). */
function plainOf(s: unknown, twinValue: unknown): string | null | undefined {
  if (twinValue !== undefined) return undefined;
  if (s === undefined) return null;
  return typeof s !== 'string' || s === '' ? undefined : s;
}

/**
 * The keys of one element that partFacts (id, path, sliceName, type) and snapshotFacts (definition, min, max, base)
 * read, with their twins, taken in one pass over its keys: named reads of parsed elements (hundreds of key orders, so
 * every load is megamorphic) cost ~40 ns each. Refilled for each element.
 */
const read = {
  id: undefined as unknown,
  _id: undefined as unknown,
  path: undefined as unknown,
  _path: undefined as unknown,
  sliceName: undefined as unknown,
  _sliceName: undefined as unknown,
  type: undefined as unknown,
  _type: undefined as unknown,
  definition: undefined as unknown,
  _definition: undefined as unknown,
  min: undefined as unknown,
  _min: undefined as unknown,
  max: undefined as unknown,
  _max: undefined as unknown,
  base: undefined as unknown,
  _base: undefined as unknown,
};

function readElement(e: Json): void {
  read.id = read._id = read.path = read._path = undefined;
  read.sliceName = read._sliceName = read.type = read._type = undefined;
  read.definition = read._definition = read.min = read._min = undefined;
  read.max = read._max = read.base = read._base = undefined;
  for (const key in e) {
    switch (key) {
      case 'id':
        read.id = e[key];
        break;
      case '_id':
        read._id = e[key];
        break;
      case 'path':
        read.path = e[key];
        break;
      case '_path':
        read._path = e[key];
        break;
      case 'sliceName':
        read.sliceName = e[key];
        break;
      case '_sliceName':
        read._sliceName = e[key];
        break;
      case 'type':
        read.type = e[key];
        break;
      case '_type':
        read._type = e[key];
        break;
      case 'definition':
        read.definition = e[key];
        break;
      case '_definition':
        read._definition = e[key];
        break;
      case 'min':
        read.min = e[key];
        break;
      case '_min':
        read._min = e[key];
        break;
      case 'max':
        read.max = e[key];
        break;
      case '_max':
        read._max = e[key];
        break;
      case 'base':
        read.base = e[key];
        break;
      case '_base':
        read._base = e[key];
        break;
    }
  }
}

function partFacts(
  sd: Json,
  part: 'snapshot' | 'differential',
  patterns: readonly RegExp[] | undefined,
  withPaths: boolean,
): PartFacts {
  if (sd[twin(part)] !== undefined) return UNSURE_PART;
  const p = sd[part];
  let els: Json[] = [];
  if (p !== undefined) {
    if (!isObject(p)) return UNSURE_PART;
    const list = plainList(p, 'element');
    if (list === undefined) return UNSURE_PART;
    els = list;
  }
  let idsPlain = true;
  let idsAll = true;
  let idsDistinct = true;
  let pathsPlain = true;
  let pathsDistinct = true;
  let sliceNamesPlain = true;
  let rootSliced = false;
  let codesPlain = true;
  let codesMatch = true;
  const ids = new Set<string>();
  // Only sdf-1 asks whether paths are distinct, and only of the snapshot.
  const paths = withPaths ? new Set<string>() : undefined;
  for (const e of els) {
    readElement(e);
    const id = plainOf(read.id, read._id);
    if (id === undefined) idsPlain = false;
    else if (id === null) idsAll = false;
    else if (idsDistinct && ids.size === ids.add(id).size) idsDistinct = false;
    const path = plainOf(read.path, read._path);
    if (path === undefined || path === null) pathsPlain = false;
    else if (paths !== undefined && pathsDistinct && paths.size === paths.add(path).size) pathsDistinct = false;
    const sliceName = plainOf(read.sliceName, read._sliceName);
    if (sliceName === undefined) sliceNamesPlain = false;
    else if (sliceName !== null && typeof path === 'string' && !path.includes('.')) rootSliced = true;
    if (read.type === undefined && read._type === undefined) continue;
    const types = plainList(e, 'type');
    if (types === undefined) {
      codesPlain = false;
      continue;
    }
    for (const t of types) {
      const code = plainOf(t.code, t._code);
      if (code === undefined) codesPlain = false;
      else if (patterns && codesMatch && code !== null && !patterns.some((re) => re.test(code))) codesMatch = false;
    }
  }
  return {
    ok: true,
    idsPlain,
    idsAll,
    idsDistinct,
    pathsPlain,
    pathsDistinct,
    sliceNamesPlain,
    rootSliced,
    codesPlain,
    codesMatch,
  };
}

/** The facts of a StructureDefinition, from the scratch of this check call when a direct form already gathered them. */
export function sdFacts(sd: Json, scratch: CheckScratch | undefined): SdFacts {
  if (scratch?.sd !== undefined && scratch.sd.value === sd) return scratch.sd.facts;
  const url = plain(sd, 'url');
  const core = typeof url === 'string' && url.startsWith('http://hl7.org/fhir/StructureDefinition');
  const facts: SdFacts = {
    urlPlain: typeof url === 'string',
    core,
    snapshot: partFacts(sd, 'snapshot', core ? SNAP_CODES : undefined, true),
    differential: partFacts(sd, 'differential', core ? DIFF_CODES : undefined, false),
  };
  if (scratch) scratch.sd = { value: sd, facts };
  return facts;
}

/** `has(o, name, type)` (shortcut-shape.ts) on a value and its twin already read: 1 there, 0 absent, -1 unsure. */
function presence(v: unknown, twinValue: unknown, type: 'string' | 'number' | 'object'): number {
  if (twinValue !== undefined) return -1;
  if (v === undefined) return 0;
  if (type === 'object') return isObject(v) && hasKey(v) ? 1 : -1;
  return typeof v !== type || v === '' ? -1 : 1;
}

/**
 * sdf-3 and sdf-8b over a snapshot's element list (already read as plain objects), in one pass over each element's
 * keys, kept in the scratch of this check call: the two forms each read every element by name before (megamorphic
 * loads, ~20 µs per StructureDefinition between them).
 */
export function snapshotFacts(
  snapshot: unknown,
  els: readonly Json[],
  scratch: CheckScratch | undefined,
): SnapshotFacts {
  if (scratch?.snapshot !== undefined && scratch.snapshot.value === snapshot) return scratch.snapshot.facts;
  let definedMinMax: boolean | undefined = true;
  let allBase: boolean | undefined = true;
  for (const e of els) {
    readElement(e);
    if (definedMinMax !== undefined) {
      const d = presence(read.definition, read._definition, 'string');
      const min = presence(read.min, read._min, 'number');
      const max = presence(read.max, read._max, 'string');
      if (d < 0 || min < 0 || max < 0) definedMinMax = undefined;
      else if (d === 0 || min === 0 || max === 0) definedMinMax = false;
    }
    if (allBase !== undefined) {
      const base = presence(read.base, read._base, 'object');
      if (base < 0) allBase = undefined;
      else if (base === 0) allBase = false;
    }
  }
  const facts: SnapshotFacts = { definedMinMax, allBase };
  if (scratch) scratch.snapshot = { value: snapshot, facts };
  return facts;
}
