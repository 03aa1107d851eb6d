/**
 * The `fhir-profile` check of `$verify` for the DDCC:VS document rebuilt from an HC1 (ddccVsToDocument), planned for
 * the shape that rebuild produces (ADR 0073). The rebuild is our own deterministic code: every leaf of the document
 * is either a constant of ours or a *slot* filled from the payload (names, dates, codes, the HCID, the seeded
 * fullUrls). So the document is read as (skeleton, slot values):
 *
 *  - The skeleton's signature: every key in order, every constant leaf by value, every fullUrl/reference by the entry
 *    it names. A signature met for the first time is always judged by the generic validator; when that judgement is
 *    a clean pass (no error, no warning the verdict passes on, profile applied) and the slot checks below also find
 *    nothing, the signature is recorded as planned.
 *  - The slots' values are checked on every request, with the validator's own functions at the type the document
 *    gives them (checkPrimitive; for Codings the code-system and terminology checks and UCUM).
 *
 * A planned signature with clean slots answers "pass", what profileCheck answers for that document; anything else
 * (an unplanned signature, a slot the checks do not clear, a value outside the narrow classes below) goes to the
 * generic validator, so failures keep their exact messages. This is sound because no other check the validator runs
 * on this document reads a slot's value: `planFor` verifies that on the loaded profiles (every constraint is one of
 * the audited expressions, which read slot elements only for presence; no slot element has a fixed value, pattern,
 * value limit or required/extensible binding; slicing discriminators are the audited ones). A loaded package that
 * changes any of that leaves the plan off, and every request takes the generic path.
 */
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { WalkContext } from '../validation/context.ts';
import { checkCodingSystem } from '../validation/conformance-rules.ts';
import { createIssueSink } from '../validation/issues.ts';
import type { CompiledProfile } from '../validation/model.ts';
import { checkPrimitive } from '../validation/primitives.ts';
import { createTerminology, type Terminology } from '../validation/terminology.ts';
import { checkUcum } from '../validation/ucum.ts';
import type { Validator } from '../validation/validator.ts';
import { EXAMPLE_URL } from '../validation/walker.ts';
import { DDCC_PROFILE } from './mapping/ddcc-document.ts';
import type { VerifyCheck } from './verdict.ts';
import { profileCheck } from './verify-common.ts';
import { AUDITED_CONSTRAINTS, AUDITED_DISCRIMINATORS, SLOT_ELEMENTS, WALKED_PROFILES } from './ddcc-vs-audit.ts';

type Json = Record<string, unknown>;

/** Longest slot string the plan clears (the only maxLength met on a slot element is 1 MiB). */
const MAX_SLOT_TEXT = 4096;
const URN_UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CODING_KEYS = new Set(['system', 'code', 'display']);

/**
 * Slot paths of the rebuilt document (dotted; `#` is any array index) → the FHIR type the validator reads them as.
 * `coding` marks a Coding object copied from the payload (its keys are checked, then its three primitives).
 */
const SLOTS: readonly (readonly [string, string])[] = [
  ['identifier.value', 'string'],
  ['timestamp', 'instant'],
  ['link.0.url', 'uri'],
  ['entry.0.resource.identifier.value', 'string'],
  ['entry.0.resource.date', 'dateTime'],
  ['entry.1.resource.name.0.text', 'string'],
  ['entry.1.resource.birthDate', 'date'],
  ['entry.1.resource.identifier.0.system', 'uri'],
  ['entry.1.resource.identifier.0.value', 'string'],
  ['entry.2.resource.name', 'string'],
  ['entry.3.resource.extension.#.valueCoding', 'coding'],
  ['entry.3.resource.extension.#.valueCode', 'code'],
  ['entry.3.resource.extension.#.valueDate', 'date'],
  ['entry.3.resource.vaccineCode.coding.0', 'coding'],
  ['entry.3.resource.occurrenceDateTime', 'dateTime'],
  ['entry.3.resource.location.display', 'string'],
  ['entry.3.resource.lotNumber', 'string'],
  ['entry.3.resource.protocolApplied.0.targetDisease.0.coding.0', 'coding'],
  ['entry.3.resource.protocolApplied.0.doseNumberPositiveInt', 'positiveInt'],
  ['entry.3.resource.protocolApplied.0.seriesDosesPositiveInt', 'positiveInt'],
  ['entry.3.resource.manufacturer.identifier.system', 'uri'],
  ['entry.3.resource.manufacturer.identifier.value', 'string'],
  ['entry.3.resource.manufacturer.display', 'string'],
];

/** Array positions as map keys (the rebuild's longest array has 4 items; a longer one goes to the validator). */
const INDEX: readonly string[] = Array.from({ length: 16 }, (_, i) => String(i));
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The slot paths as a trie, so the walk finds a slot by one map step per key instead of matching paths. */
interface Trie {
  slot?: string;
  readonly next: Map<string, Trie>;
}
const SLOT_TRIE: Trie = { next: new Map() };
for (const [path, type] of SLOTS) {
  let at = SLOT_TRIE;
  for (const k of path.split('.')) {
    let child = at.next.get(k);
    if (!child) at.next.set(k, (child = { next: new Map() }));
    at = child;
  }
  at.slot = type;
}

/**
 * A planned skeleton as a tree, to match a document against without writing its signature (ADR 0084): each node is
 * what the walk pushed a token for, so a document matches a shape only if its signature is that shape's signature.
 */
type Shape =
  | { readonly t: 'coding'; readonly keys: readonly string[] }
  | { readonly t: 'slot'; readonly type: string }
  | { readonly t: 'link'; readonly at: number }
  | { readonly t: 'array'; readonly items: readonly Shape[] }
  | { readonly t: 'object'; readonly keys: readonly string[]; readonly values: readonly Shape[] }
  | { readonly t: 'constant'; readonly value: unknown };

interface Plan {
  readonly terminology: Terminology;
  readonly ctx: WalkContext;
  /** Signature → 'clean' (planned) or 'generic' (its generic judgement was not a clean pass). */
  readonly shapes: Map<string, 'clean' | 'generic'>;
  /** The clean signatures with their trees, the last one matched first. */
  readonly clean: { readonly sig: string; readonly shape: Shape }[];
  readonly count: { clean: number; generic: number };
}

const PLANS = new WeakMap<Validator, Plan | null>();
/**
 * Signatures kept per validator, each kind capped on its own: the rebuild makes a few dozen clean ones, while a
 * payload (junk in its identifier) can make generic ones at will and must not crowd the clean ones out.
 */
const MAX_SHAPES = 256;
/**
 * Trees tried per document before its signature decides: a payload that makes many clean shapes must not make every
 * request walk them all (the signature's Map finds any of them in one look-up, and brings it to the front).
 */
const MAX_TREES_TRIED = 4;

/** Collects every constraint and discriminator of `p` that the audit must know. */
function unaudited(p: CompiledProfile, out: string[]): void {
  for (const node of p.byId.values()) {
    for (const c of node.constraints)
      if (!AUDITED_CONSTRAINTS.has(`${c.key}\u0000${c.expression ?? ''}`)) out.push(`${p.url} ${node.id} ${c.key}`);
    for (const d of node.slicing?.discriminators ?? [])
      if (!AUDITED_DISCRIMINATORS.has(`${node.path}\u0000${d.type}\u0000${d.path}`))
        out.push(`${p.url} ${node.id} slicing ${d.type}:${d.path}`);
    if (!SLOT_ELEMENTS.has(node.path)) continue;
    const b = node.binding;
    const binds = b !== undefined && (b.strength === 'required' || b.strength === 'extensible' || b.additional?.length);
    if (
      node.fixed !== undefined ||
      node.pattern !== undefined ||
      node.minValue ||
      node.maxValue ||
      binds ||
      (node.maxLength !== undefined && node.maxLength < MAX_SLOT_TEXT)
    )
      out.push(`${p.url} ${node.id} constrains a slot`);
  }
}

/**
 * The plan for `validator`'s loaded profiles, or undefined when they are not the audited ones (then `$verify` always
 * takes the generic path). Built once per validator.
 * @example planFor(validator)?.shapes.size // 0 at first
 */
export function planFor(validator: Validator): Plan | undefined {
  const known = PLANS.get(validator);
  if (known !== undefined) return known ?? undefined;
  const registry = validator.registry;
  const problems = planProblems(validator);
  const terminology = createTerminology(registry);
  // checkCodingSystem reads the registry and the sink only; the sink is replaced per request.
  const ctx = { engine: { registry, terminology }, sink: createIssueSink() } as unknown as WalkContext;
  const plan =
    problems.length === 0 ? { terminology, ctx, shapes: new Map(), clean: [], count: { clean: 0, generic: 0 } } : null;
  PLANS.set(validator, plan);
  return plan ?? undefined;
}

/** Why the plan is off for `validator` (the audit's findings); empty when it is on. */
export function planProblems(validator: Validator): string[] {
  const problems: string[] = [];
  for (const url of WALKED_PROFILES) {
    const p = url.startsWith('http') ? validator.registry.profile(url) : validator.registry.baseType(url);
    if (!p) problems.push(`${url} is not loaded`);
    else unaudited(p, problems);
  }
  return problems;
}

/** A primitive slot value the validator has nothing to say about (false: let the generic path judge it). */
function primitiveClean(type: string, value: unknown): boolean {
  if (checkPrimitive(type, value) !== undefined) return false;
  if (typeof value === 'string') {
    if (value.length > MAX_SLOT_TEXT) return false;
    if (type === 'uri' && EXAMPLE_URL.test(value)) return false;
  }
  return true;
}

function codingClean(plan: Plan, coding: unknown): boolean {
  if (typeof coding !== 'object' || coding === null || Array.isArray(coding)) return false;
  const obj = coding as Json;
  const keys = Object.keys(obj);
  if (keys.length === 0) return false;
  for (const k of keys) {
    if (!CODING_KEYS.has(k)) return false;
    if (!primitiveClean(k === 'system' ? 'uri' : k === 'code' ? 'code' : 'string', obj[k])) return false;
  }
  const sink = createIssueSink();
  (plan.ctx as { sink: unknown }).sink = sink;
  // The expression is not read: only the severities decide.
  plan.terminology.checkCoding(sink, obj, 'Coding');
  checkCodingSystem(plan.ctx, obj, 'Coding');
  checkUcum(sink, obj, 'Coding');
  // Informations (a code-system alias) are not part of the verdict; anything else is left to the generic path.
  return sink.issues.every((i) => i.severity === 'information');
}

/** fullUrl → entry position, or undefined when a fullUrl is not a distinct `urn:uuid:` (not the rebuild's form). */
function entryIndex(doc: Bundle): Map<string, number> | undefined {
  const entries = doc.entry ?? [];
  const entryOf = new Map<string, number>();
  for (let i = 0; i < entries.length; i++) {
    const url = entries[i]?.fullUrl;
    if (typeof url !== 'string' || !URN_UUID.test(url) || entryOf.has(url)) return undefined;
    entryOf.set(url, i);
  }
  return entryOf;
}

/**
 * The document's skeleton signature and its tree, or undefined when a slot's value is not cleared (or the document is
 * not of the rebuild's form). Constant leaves go into the signature by value, fullUrls and references by the entry
 * they name.
 */
function skeletonOf(plan: Plan, doc: Bundle): { sig: string; shape: Shape } | undefined {
  const entryOf = entryIndex(doc);
  if (!entryOf) return undefined;
  // Tokens in walk order: an object's keys, an array's length, a slot's type, a link's entry, a constant's value.
  const parts: string[] = [];
  const walk = (value: unknown, trie: Trie | undefined, key: string): Shape | undefined => {
    const type = trie?.slot;
    if (type === 'coding') {
      if (!codingClean(plan, value)) return undefined;
      const keys = Object.keys(value as Json);
      parts.push(`C${JSON.stringify(keys)}`);
      return { t: 'coding', keys };
    }
    if (type !== undefined) {
      if (!primitiveClean(type, value)) return undefined;
      parts.push(type);
      return { t: 'slot', type };
    }
    if (typeof value === 'string' && (key === 'reference' || key === 'fullUrl')) {
      const at = entryOf.get(value);
      if (at === undefined) return undefined;
      parts.push(`#${at}`);
      return { t: 'link', at };
    }
    if (Array.isArray(value)) {
      if (value.length > INDEX.length) return undefined;
      parts.push(`[${value.length}`);
      const any = trie?.next.get('#');
      const items: Shape[] = [];
      for (let i = 0; i < value.length; i++) {
        const item = walk(value[i], trie?.next.get(INDEX[i]!) ?? any, key);
        if (!item) return undefined;
        items.push(item);
      }
      return { t: 'array', items };
    }
    if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      // Plain names only (a key from the payload could hold the separators): then the joined list is unambiguous.
      for (const k of keys) if (!PLAIN_KEY.test(k)) return undefined;
      parts.push(`{${keys.join(',')}`);
      const values: Shape[] = [];
      for (const k of keys) {
        const child = walk((value as Json)[k], trie?.next.get(k), k);
        if (!child) return undefined;
        values.push(child);
      }
      return { t: 'object', keys, values };
    }
    // A constant of the rebuild: by value (a string that is not a constant would make a new signature).
    parts.push(value === undefined ? 'u' : JSON.stringify(value));
    return { t: 'constant', value };
  };
  const shape = walk(doc, SLOT_TRIE, '');
  return shape ? { sig: parts.join('\n'), shape } : undefined;
}

/**
 * The document's skeleton signature, or undefined when a slot's value is not cleared (or the document is not of the
 * rebuild's form).
 */
export function skeleton(plan: Plan, doc: Bundle): string | undefined {
  return skeletonOf(plan, doc)?.sig;
}

/** Same keys in the same order (the key lists of a planned shape are plain names). */
function sameKeys(keys: readonly string[], shape: readonly string[]): boolean {
  if (keys.length !== shape.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== shape[i]) return false;
  return true;
}

/**
 * Whether `value` has the planned `shape`, its slots cleared: the walk of skeletonOf against a tree, so a match means
 * the same signature (constants by identity, which implies the same JSON), without writing the signature.
 */
function matches(plan: Plan, value: unknown, shape: Shape, entryOf: Map<string, number>): boolean {
  switch (shape.t) {
    case 'coding':
      return codingClean(plan, value) && sameKeys(Object.keys(value as Json), shape.keys);
    case 'slot':
      return primitiveClean(shape.type, value);
    case 'link':
      return typeof value === 'string' && entryOf.get(value) === shape.at;
    case 'array': {
      if (!Array.isArray(value) || value.length !== shape.items.length) return false;
      for (let i = 0; i < value.length; i++) if (!matches(plan, value[i], shape.items[i]!, entryOf)) return false;
      return true;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
      const keys = Object.keys(value);
      if (!sameKeys(keys, shape.keys)) return false;
      for (let i = 0; i < keys.length; i++)
        if (!matches(plan, (value as Json)[keys[i]!], shape.values[i]!, entryOf)) return false;
      return true;
    }
    case 'constant':
      return (value === null || typeof value !== 'object') && Object.is(value, shape.value);
  }
}

/** Moves clean shape `i` to the front, where the next documents try it first. */
function toFront(plan: Plan, i: number): void {
  if (i > 0) plan.clean.unshift(...plan.clean.splice(i, 1));
}

/** Whether `doc` has one of the clean shapes tried first; false when not (then the signature decides, as before). */
function matchesClean(plan: Plan, doc: Bundle): boolean {
  if (plan.clean.length === 0) return false;
  const entryOf = entryIndex(doc);
  if (!entryOf) return false;
  for (let i = 0; i < Math.min(plan.clean.length, MAX_TREES_TRIED); i++) {
    if (!matches(plan, doc, plan.clean[i]!.shape, entryOf)) continue;
    toFront(plan, i);
    return true;
  }
  return false;
}

export type FastVerdict = { planned: true } | { planned: false; record: (cleanPass: boolean) => void };

/**
 * Whether the rebuilt document is judged by its plan. `planned: true` means the generic validator would answer a
 * clean pass; otherwise the caller validates generically and reports whether that was a clean pass through `record`.
 * @example const v = ddccVsPlanned(validator, doc); if (!v.planned) v.record(check.status === 'pass' && noWarnings)
 */
export function ddccVsPlanned(validator: Validator, doc: Bundle): FastVerdict {
  const plan = planFor(validator);
  if (!plan) return { planned: false, record: () => {} };
  // The planned shapes first, as trees: no signature is written for a document of a shape already planned.
  if (matchesClean(plan, doc)) return { planned: true };
  const skeleton = skeletonOf(plan, doc);
  if (skeleton === undefined) return { planned: false, record: () => {} };
  const { sig, shape } = skeleton;
  const state = plan.shapes.get(sig);
  if (state === 'clean') {
    // Planned, but not among the trees tried first: its tree goes to the front for the documents that follow.
    const at = plan.clean.findIndex((c) => c.sig === sig);
    toFront(plan, at);
    return { planned: true };
  }
  return {
    planned: false,
    record: (cleanPass) => {
      // A signature whose generic judgement was not clean although its slots were cleared stays generic for good.
      const kind = cleanPass ? 'clean' : 'generic';
      if (state !== undefined || plan.count[kind] >= MAX_SHAPES) return;
      plan.shapes.set(sig, kind);
      if (kind === 'clean') plan.clean.unshift({ sig, shape });
      plan.count[kind]++;
    },
  };
}

/**
 * The `fhir-profile` check of a rebuilt DDCC:VS document: by its plan when the skeleton is planned and the slots are
 * cleared, else by profileCheck (the generic validator), whose clean pass plans the skeleton.
 * @example ddccVsProfileCheck(validator, ddccVsToDocument(cds, { issuedAt, seed: hc1 }), warnings).status // 'pass'
 */
export function ddccVsProfileCheck(validator: Validator, doc: Bundle, warnings: OperationOutcomeIssue[]): VerifyCheck {
  const verdict = ddccVsPlanned(validator, doc);
  if (verdict.planned)
    return { name: 'fhir-profile', status: 'pass', message: `Conforms to ${DDCC_PROFILE.vsDocument}` };
  const before = warnings.length;
  const check = profileCheck(
    doc,
    DDCC_PROFILE.vsDocument,
    (resource, profile) => validator.validate(resource, { profile }),
    warnings,
  );
  verdict.record(check.status === 'pass' && warnings.length === before);
  return check;
}
