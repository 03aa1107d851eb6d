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

interface Plan {
  readonly terminology: Terminology;
  readonly ctx: WalkContext;
  /** Signature → 'clean' (planned) or 'generic' (its generic judgement was not a clean pass). */
  readonly shapes: Map<string, 'clean' | 'generic'>;
  readonly count: { clean: number; generic: number };
}

const PLANS = new WeakMap<Validator, Plan | null>();
/**
 * Signatures kept per validator, each kind capped on its own: the rebuild makes a few dozen clean ones, while a
 * payload (junk in its identifier) can make generic ones at will and must not crowd the clean ones out.
 */
const MAX_SHAPES = 256;

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
  const plan = problems.length === 0 ? { terminology, ctx, shapes: new Map(), count: { clean: 0, generic: 0 } } : null;
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

/**
 * The document's skeleton signature, or undefined when a slot's value is not cleared (or the document is not of the
 * rebuild's form). Constant leaves go into the signature by value, fullUrls and references by the entry they name.
 */
export function skeleton(plan: Plan, doc: Bundle): string | undefined {
  const entries = doc.entry ?? [];
  const entryOf = new Map<string, number>();
  for (let i = 0; i < entries.length; i++) {
    const url = entries[i]?.fullUrl;
    if (typeof url !== 'string' || !URN_UUID.test(url) || entryOf.has(url)) return undefined;
    entryOf.set(url, i);
  }
  // Tokens in walk order: an object's keys, an array's length, a slot's type, a link's entry, a constant's value.
  const parts: string[] = [];
  const walk = (value: unknown, trie: Trie | undefined, key: string): boolean => {
    const type = trie?.slot;
    if (type === 'coding') {
      if (!codingClean(plan, value)) return false;
      parts.push(`C${JSON.stringify(Object.keys(value as Json))}`);
      return true;
    }
    if (type !== undefined) {
      if (!primitiveClean(type, value)) return false;
      parts.push(type);
      return true;
    }
    if (typeof value === 'string' && (key === 'reference' || key === 'fullUrl')) {
      const at = entryOf.get(value);
      if (at === undefined) return false;
      parts.push(`#${at}`);
      return true;
    }
    if (Array.isArray(value)) {
      if (value.length > INDEX.length) return false;
      parts.push(`[${value.length}`);
      const any = trie?.next.get('#');
      for (let i = 0; i < value.length; i++) if (!walk(value[i], trie?.next.get(INDEX[i]!) ?? any, key)) return false;
      return true;
    }
    if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      // Plain names only (a key from the payload could hold the separators): then the joined list is unambiguous.
      for (const k of keys) if (!PLAIN_KEY.test(k)) return false;
      parts.push(`{${keys.join(',')}`);
      for (const k of keys) if (!walk((value as Json)[k], trie?.next.get(k), k)) return false;
      return true;
    }
    // A constant of the rebuild: by value (a string that is not a constant would make a new signature).
    parts.push(value === undefined ? 'u' : JSON.stringify(value));
    return true;
  };
  return walk(doc, SLOT_TRIE, '') ? parts.join('\n') : undefined;
}

export type FastVerdict = { planned: true } | { planned: false; record: (cleanPass: boolean) => void };

/**
 * Whether the rebuilt document is judged by its plan. `planned: true` means the generic validator would answer a
 * clean pass; otherwise the caller validates generically and reports whether that was a clean pass through `record`.
 * @example const v = ddccVsPlanned(validator, doc); if (!v.planned) v.record(check.status === 'pass' && noWarnings)
 */
export function ddccVsPlanned(validator: Validator, doc: Bundle): FastVerdict {
  const plan = planFor(validator);
  const sig = plan ? skeleton(plan, doc) : undefined;
  if (!plan || sig === undefined) return { planned: false, record: () => {} };
  const state = plan.shapes.get(sig);
  if (state === 'clean') return { planned: true };
  return {
    planned: false,
    record: (cleanPass) => {
      // A signature whose generic judgement was not clean although its slots were cleared stays generic for good.
      const kind = cleanPass ? 'clean' : 'generic';
      if (state !== undefined || plan.count[kind] >= MAX_SHAPES) return;
      plan.shapes.set(sig, kind);
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
