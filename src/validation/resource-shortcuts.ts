/**
 * Direct forms of the R4 invariants that walk a whole StructureDefinition, CodeSystem or NamingSystem (sdf-*, csd-1,
 * nsd-2, eld-6). Over typed data each of them costs a FHIRPath pass over every ElementDefinition of a snapshot and a
 * differential, which made them most of the time of validating a StructureDefinition once the eld-* invariants had
 * shortcuts (ADR 0063, ADR 0068). Each function answers only for the well-formed shape, where the JSON alone fixes
 * the FHIRPath result: every string it reads is a plain non-empty string with no `_name` twin, every list a list of
 * objects, and no operand is empty (FHIRPath's empty-collection logic, and the engine's throw on a non-string
 * argument, are left to the engine). Anything else returns undefined and FHIRPath decides, as before.
 * https://hl7.org/fhir/R4/structuredefinition.html#invs
 */
import { CLINICAL_SHORTCUTS } from './clinical-shortcuts.ts';
import { type CheckScratch, type PartFacts, type SdFacts, sdFacts, snapshotFacts } from './sd-facts.ts';
import { unevaluableInvariant } from './unevaluable-invariants.ts';
import { has, isObject, type Json, list, must, type ResourceShortcut, str, twin, UNSURE } from './shortcut-shape.ts';

export type { ResourceShortcut } from './shortcut-shape.ts';

/** `snapshot.element` / `differential.element` of a StructureDefinition; [] when the part is absent. */
function elements(sd: unknown, part: 'snapshot' | 'differential'): Json[] {
  if (!isObject(sd)) throw UNSURE;
  if (sd[twin(part)] !== undefined) throw UNSURE;
  const p = sd[part];
  if (p === undefined) return [];
  if (!isObject(p)) throw UNSURE;
  return list(p, 'element');
}

/** Element list of a snapshot / differential value itself (the invariant's context). */
function own(value: unknown): Json[] {
  if (!isObject(value)) throw UNSURE;
  return list(value, 'element');
}

function distinct(values: string[]): boolean {
  return new Set(values).size === values.length;
}

/** The facts of a StructureDefinition value (sd-facts.ts): its element lists are read once per check call. */
function facts(v: unknown, scratch: CheckScratch | undefined): SdFacts {
  if (!isObject(v)) throw UNSURE;
  // A list that is not the plain shape has every *Plain fact false: a form reading it answers undefined.
  return sdFacts(v, scratch);
}

/** `part.element.all(id.exists()) and part.element.id.isDistinct()` (sdf-16, sdf-17). */
function idsAllDistinct(part: PartFacts): boolean {
  if (!part.idsPlain) throw UNSURE;
  return part.idsDistinct && part.idsAll;
}

/** A fact of the snapshot (sd-facts.ts), or UNSURE where some element's read was not the plain shape. */
function sure(fact: boolean | undefined): boolean {
  if (fact === undefined) throw UNSURE;
  return fact;
}

const BY_EXPRESSION: ReadonlyMap<string, ResourceShortcut> = new Map<string, ResourceShortcut>([
  [
    // sdf-8, on StructureDefinition.snapshot
    "(%resource.kind = 'logical' or element.first().path = %resource.type) and element.tail().all(path.startsWith(%resource.snapshot.element.first().path&'.'))",
    (v, res) => {
      const els = own(v);
      const first = els[0];
      if (!first || !isObject(res)) throw UNSURE;
      // Every operand is read before any is used: the engine may evaluate them all, and throw on an odd one.
      const kind = must(res, 'kind');
      const same = must(first, 'path') === must(res, 'type');
      const left = kind === 'logical' || same;
      const head = elements(res, 'snapshot')[0];
      if (!head) throw UNSURE;
      const prefix = `${must(head, 'path')}.`;
      let tail = true;
      for (let i = 1; i < els.length; i++) if (!must(els[i] as Json, 'path').startsWith(prefix)) tail = false;
      return left && tail;
    },
  ],
  [
    // sdf-8a, on StructureDefinition.differential
    "(%resource.kind = 'logical' or element.first().path.startsWith(%resource.type)) and (element.tail().empty() or element.tail().all(path.startsWith(%resource.differential.element.first().path.replaceMatches('\\\\..*','')&'.')))",
    (v, res) => {
      const els = own(v);
      const first = els[0];
      if (!first || !isObject(res)) throw UNSURE;
      const kind = must(res, 'kind');
      const starts = must(first, 'path').startsWith(must(res, 'type'));
      const left = kind === 'logical' || starts;
      if (els.length === 1) return left;
      const head = elements(res, 'differential')[0];
      if (!head) throw UNSURE;
      // The engine's own replaceMatches: a global regular expression replacement.
      const prefix = `${must(head, 'path').replaceAll(/\..*/g, '')}.`;
      let tail = true;
      for (let i = 1; i < els.length; i++) if (!must(els[i] as Json, 'path').startsWith(prefix)) tail = false;
      return left && tail;
    },
  ],
  [
    // sdf-3, on StructureDefinition.snapshot
    'element.all(definition.exists() and min.exists() and max.exists())',
    (v, _resource, scratch) => sure(snapshotFacts(v, own(v), scratch).definedMinMax),
  ],
  [
    // sdf-8b, on StructureDefinition.snapshot
    'element.all(base.exists())',
    (v, _resource, scratch) => sure(snapshotFacts(v, own(v), scratch).allBase),
  ],
  [
    // sdf-20, on StructureDefinition.differential
    "element.where(path.contains('.').not()).slicing.empty()",
    (v) => {
      let none = true;
      for (const e of own(v)) {
        const nested = must(e, 'path').includes('.');
        if (!(nested || !has(e, 'slicing', 'object'))) none = false;
      }
      return none;
    },
  ],
  [
    // sdf-19
    "url.startsWith('http://hl7.org/fhir/StructureDefinition') implies (differential.element.type.code.all(matches('^[a-zA-Z0-9]+$') or matches('^http:\\\\/\\\\/hl7\\\\.org\\\\/fhirpath\\\\/System\\\\.[A-Z][A-Za-z]+$')) and snapshot.element.type.code.all(matches('^[a-zA-Z0-9\\\\.]+$') or matches('^http:\\\\/\\\\/hl7\\\\.org\\\\/fhirpath\\\\/System\\\\.[A-Z][A-Za-z]+$')))",
    (v, _res, scratch) => {
      // Every code is read (an odd one anywhere leaves the answer to FHIRPath); they are matched only when it applies.
      const { urlPlain, core, snapshot, differential } = facts(v, scratch);
      if (!urlPlain || !snapshot.codesPlain || !differential.codesPlain) throw UNSURE;
      return !core || (differential.codesMatch && snapshot.codesMatch);
    },
  ],
  [
    // sdf-14
    'snapshot.element.all(id.exists()) and differential.element.all(id.exists())',
    (v, _res, scratch) => {
      const { snapshot, differential } = facts(v, scratch);
      if (!snapshot.idsPlain || !differential.idsPlain) throw UNSURE;
      return differential.idsAll && snapshot.idsAll;
    },
  ],
  [
    // sdf-16
    "snapshot.element.all(id.exists()) and snapshot.element.id.trace('ids').isDistinct()",
    (v, _res, scratch) => idsAllDistinct(facts(v, scratch).snapshot),
  ],
  [
    // sdf-17
    "differential.element.all(id.exists()) and differential.element.id.trace('ids').isDistinct()",
    (v, _res, scratch) => idsAllDistinct(facts(v, scratch).differential),
  ],
  [
    // sdf-23
    "(snapshot | differential).element.all(path.contains('.').not() implies sliceName.empty())",
    (v, _res, scratch) => {
      const { snapshot, differential } = facts(v, scratch);
      for (const part of [snapshot, differential]) if (!part.pathsPlain || !part.sliceNamesPlain) throw UNSURE;
      return !snapshot.rootSliced && !differential.rootSliced;
    },
  ],
  [
    // sdf-15a
    "(kind!='logical'  and differential.element.first().path.contains('.').not()) implies differential.element.first().type.empty()",
    (v) => {
      if (!isObject(v)) throw UNSURE;
      const kind = must(v, 'kind');
      const first = elements(v, 'differential')[0];
      if (!first) throw UNSURE;
      const nested = must(first, 'path').includes('.');
      const untyped = list(first, 'type').length === 0;
      return kind === 'logical' || nested || untyped;
    },
  ],
  [
    // sdf-15
    "kind!='logical' implies snapshot.element.first().type.empty()",
    (v) => {
      if (!isObject(v)) throw UNSURE;
      const kind = must(v, 'kind');
      const first = elements(v, 'snapshot')[0];
      if (!first) throw UNSURE;
      return kind === 'logical' || list(first, 'type').length === 0;
    },
  ],
  [
    // sdf-11
    "kind != 'logical' implies snapshot.empty() or snapshot.element.first().path = type",
    (v) => {
      if (!isObject(v)) throw UNSURE;
      if (must(v, 'kind') === 'logical') return true;
      if (v.snapshot === undefined && v._snapshot === undefined) return true;
      const first = elements(v, 'snapshot')[0];
      if (!first) throw UNSURE;
      return must(first, 'path') === must(v, 'type');
    },
  ],
  [
    // sdf-1
    "derivation = 'constraint' or snapshot.element.select(path).isDistinct()",
    (v, _res, scratch) => {
      const { snapshot } = facts(v, scratch);
      if (!snapshot.pathsPlain) throw UNSURE;
      return must(v as Json, 'derivation') === 'constraint' || snapshot.pathsDistinct;
    },
  ],
  [
    // sdf-5
    "type != 'Extension' or derivation = 'specialization' or (context.exists())",
    (v) => {
      if (!isObject(v)) throw UNSURE;
      if (must(v, 'type') !== 'Extension') return true;
      return must(v, 'derivation') === 'specialization' || list(v, 'context').length > 0;
    },
  ],
  [
    // sdf-4
    'abstract = true or baseDefinition.exists()',
    (v) => {
      if (!isObject(v) || !has(v, 'abstract', 'boolean')) throw UNSURE;
      return v.abstract === true || has(v, 'baseDefinition', 'string');
    },
  ],
  [
    // eld-6: a sure answer only when it holds (a `fixedX` key the engine does not type would read as empty).
    'fixed.empty() or (type.count()  <= 1)',
    (v) => {
      if (!isObject(v)) throw UNSURE;
      if (list(v, 'type').length <= 1) return true;
      for (const k in v) if (k.startsWith('fixed') || k.startsWith('_fixed')) throw UNSURE;
      return true;
    },
  ],
  [
    // nsd-2
    'uniqueId.where(preferred = true).select(type).isDistinct()',
    (v) => {
      if (!isObject(v)) throw UNSURE;
      const types = list(v, 'uniqueId')
        .filter((u) => has(u, 'preferred', 'boolean') && u.preferred === true)
        .map((u) => must(u, 'type'));
      return distinct(types);
    },
  ],
  [
    // csd-1. The engine's descendants() (and children()) is an empty stub, so only top-level codes are compared; the
    // direct form keeps that verdict (a duplicate nested code is a gap of the engine, not decided here).
    'concept.code.combine($this.descendants().concept.code).isDistinct()',
    (v) => {
      if (!isObject(v)) throw UNSURE;
      return distinct(list(v, 'concept').flatMap((c) => str(c, 'code') ?? []));
    },
  ],
  [
    // sdf-9: children() is an empty stub in the engine, so each `.empty()` is true whatever the resource holds.
    "children().element.where(path.contains('.').not()).label.empty() and children().element.where(path.contains('.').not()).code.empty() and children().element.where(path.contains('.').not()).requirements.empty()",
    () => true,
  ],
]);

/**
 * The direct form of an invariant expression, or undefined when it has none.
 * @example resourceShortcut('abstract = true or baseDefinition.exists()')?.({ abstract: false }) // false
 */
export function resourceShortcut(expression: string): ResourceShortcut | undefined {
  const fn = BY_EXPRESSION.get(expression) ?? CLINICAL_SHORTCUTS.get(expression);
  if (!fn) return unevaluableInvariant(expression);
  return (value, resource, scratch) => {
    try {
      return fn(value, resource, scratch);
    } catch (err) {
      if (err === UNSURE) return undefined;
      throw err;
    }
  };
}

/** Every expression with a direct form (for the test that proves each against FHIRPath). */
export const RESOURCE_SHORTCUT_EXPRESSIONS: readonly string[] = [...BY_EXPRESSION.keys(), ...CLINICAL_SHORTCUTS.keys()];
