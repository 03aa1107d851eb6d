/**
 * Offline terminology: ValueSet expansion from the loaded packages (explicit concepts, whole loaded
 * code systems, `valueSet` imports, `is-a`/`descendent-of`/`=` filters over loaded hierarchies),
 * binding checks (required → error, extensible → warning) and code/display checks against loaded
 * CodeSystems. Codes from systems we do not hold are reported as not checked, never as errors.
 * https://hl7.org/fhir/R4/terminologies.html#strength and https://hl7.org/fhir/R4/valueset.html#expansion
 */
import type { AnyResource } from '../packages/types.ts';
import type { CanonicalRegistry } from './canonical-registry.ts';
import {
  CODE_SYSTEM_ALIASES,
  canonicalSystem,
  createCodeSystemIndex,
  descendants,
  type LoadedCodeSystem,
} from './code-systems.ts';
import { pathText, type PathSource } from './context.ts';
import type { IssueSink } from './issues.ts';
import type { Binding } from './model.ts';
import { sctidProblem } from './sctid.ts';

const SNOMED = 'http://snomed.info/sct';

export interface Expansion {
  /** system → codes. */
  readonly codes: ReadonlyMap<string, ReadonlySet<string>>;
  /** Systems (or `*` for an unresolvable import) whose members could not be enumerated. */
  readonly open: ReadonlySet<string>;
}

export interface Terminology {
  expand(valueSet: string): Expansion | undefined;
  /** A loaded code system by canonical (aliases resolved). */
  codeSystem(system: string): LoadedCodeSystem | undefined;
  checkBinding(sink: IssueSink, binding: Binding, value: Record<string, unknown>, type: string, path: PathSource): void;
  /** The binding check of a primitive (`code`, `string`, `uri`) value, as `checkBinding` of `{ code: value }` as 'code'. */
  checkCodeBinding(sink: IssueSink, binding: Binding, value: unknown, path: PathSource): void;
  checkCoding(sink: IssueSink, coding: Record<string, unknown>, path: PathSource): void;
}

interface Include {
  system?: string;
  concept?: { code: string }[];
  filter?: { property: string; op: string; value: string }[];
  valueSet?: string[];
}

type Lookup = (system: string) => LoadedCodeSystem | undefined;

function filteredCodes(cs: LoadedCodeSystem, filters: NonNullable<Include['filter']>): string[] | undefined {
  let codes: string[] | undefined;
  for (const f of filters) {
    let hit: string[];
    if ((f.property === 'concept' || f.property === 'code') && f.op === 'is-a') hit = descendants(cs, f.value, true);
    else if ((f.property === 'concept' || f.property === 'code') && f.op === 'descendent-of')
      hit = descendants(cs, f.value, false);
    else if ((f.property === 'concept' || f.property === 'code') && f.op === '=') hit = [f.value];
    else return undefined;
    codes = codes ? codes.filter((c) => hit.includes(c)) : hit;
  }
  return codes;
}

function addInclude(
  inc: Include,
  lookup: Lookup,
  expand: (vs: string) => Expansion | undefined,
  out: { codes: Map<string, Set<string>>; open: Set<string> },
): void {
  for (const vs of inc.valueSet ?? []) {
    const nested = expand(vs);
    if (!nested) out.open.add('*');
    else {
      for (const [s, cs] of nested.codes) for (const c of cs) add(out.codes, s, c);
      for (const s of nested.open) out.open.add(s);
    }
  }
  if (!inc.system) return;
  const system = canonicalSystem(inc.system);
  if (inc.concept) return inc.concept.forEach((c) => add(out.codes, system, c.code));
  const cs = lookup(system);
  const codes = cs?.complete
    ? inc.filter?.length
      ? filteredCodes(cs, inc.filter)
      : [...cs.concepts.keys()]
    : undefined;
  if (codes) codes.forEach((c) => add(out.codes, system, c));
  else out.open.add(system);
}

function add(map: Map<string, Set<string>>, system: string, code: string): void {
  let set = map.get(system);
  if (!set) map.set(system, (set = new Set()));
  set.add(code);
}

type Verdict = 'yes' | 'no' | 'unknown';

/**
 * HL7 terminology (THO) code systems: R4 core carries their 2019 content, while the HL7 validator judges with a
 * current THO release, where codes have since been added (work group `pe`, ...). A code missing from our copy may be
 * valid there, so it is "not checked" rather than an error.
 */
const THO = 'http://terminology.hl7.org/CodeSystem/';

/** Every code of an expansion, whatever its system: built on the first bare `code` checked against it. */
const allCodes = new WeakMap<Expansion, ReadonlySet<string>>();
function codesOfAnySystem(exp: Expansion): ReadonlySet<string> {
  let all = allCodes.get(exp);
  if (!all) {
    const union = new Set<string>();
    for (const set of exp.codes.values()) for (const c of set) union.add(c);
    allCodes.set(exp, (all = union));
  }
  return all;
}

function member(exp: Expansion, system: string | undefined, code: string): Verdict {
  if (system === undefined) {
    // One lookup instead of one per system (value sets of `code` bindings may span many).
    if (codesOfAnySystem(exp).has(code)) return 'yes';
    if (exp.open.size) return 'unknown';
    for (const s of exp.codes.keys()) if (s.startsWith(THO)) return 'unknown';
    return 'no';
  }
  const s = canonicalSystem(system);
  if (exp.codes.get(s)?.has(code)) return 'yes';
  return exp.open.has(s) || exp.open.has('*') || s.startsWith(THO) ? 'unknown' : 'no';
}

const QUANTITY_TYPES = new Set(['Quantity', 'Age', 'Duration', 'Distance', 'Count', 'SimpleQuantity', 'MoneyQuantity']);

type Code = { system?: string; code: string };

/** Whether `display` is the concept's display or one of its designations, letter case aside. */
function displayMatches(main: string, designations: readonly string[], display: string): boolean {
  const wanted = display.toLowerCase();
  if (main.toLowerCase() === wanted) return true;
  for (const d of designations) if (d.toLowerCase() === wanted) return true;
  return false;
}

/** The codings a bound value carries (a bare code is given as a string); undefined when the type binds nothing. */
function codingsOf(value: Record<string, unknown>, type: string): readonly Code[] | string | undefined {
  const pick = (c: unknown) => (c && typeof (c as { code?: unknown }).code === 'string' ? [c as Code] : []);
  if (type === 'code') return typeof value.code === 'string' ? value.code : undefined;
  if (type === 'Coding') return pick(value);
  if (type === 'CodeableConcept') return Array.isArray(value.coding) ? value.coding.flatMap(pick) : [];
  // A binding on a Quantity binds its unit (system + code), as the HL7 validator reads it.
  if (QUANTITY_TYPES.has(type)) return pick(value);
  return undefined;
}

/**
 * Creates the terminology service over the registry; expansions are memoised per ValueSet canonical.
 * @example createTerminology(registry).expand('http://hl7.org/fhir/ValueSet/administrative-gender')
 */
export function createTerminology(registry: CanonicalRegistry): Terminology {
  const lookup = createCodeSystemIndex(registry);
  const memo = new Map<string, Expansion | null>();
  const expand = (url: string): Expansion | undefined => {
    const hit = memo.get(url);
    if (hit !== undefined) return hit ?? undefined;
    memo.set(url, null); // guards against import cycles
    const vs = registry.resolve(url, 'ValueSet') as AnyResource | undefined;
    const result = vs ? expandValueSet(vs, lookup, expand) : null;
    memo.set(url, result);
    return result ?? undefined;
  };
  /** `codings` (a bare code as a string) against the binding's value set: one issue unless a code is in it. */
  const judge = (
    sink: IssueSink,
    binding: Binding,
    valueSet: string,
    codings: readonly Code[] | string,
    type: string,
    path: PathSource,
  ): void => {
    const exp = expand(valueSet);
    if (!exp) {
      sink.add(
        'VALUESET_NOT_CHECKED',
        pathText(path),
        `The value set ${valueSet} cannot be checked: ${registry.missingReason(valueSet)}`,
      );
      return;
    }
    let unknown = false;
    if (typeof codings === 'string') {
      const verdict = member(exp, undefined, codings);
      if (verdict === 'yes') return;
      unknown = verdict === 'unknown';
    } else {
      for (const c of codings) {
        const verdict = member(exp, c.system, c.code);
        if (verdict === 'yes') return;
        if (verdict === 'unknown') unknown = true;
      }
    }
    const shown =
      typeof codings === 'string'
        ? codings
        : codings.map((c) => (c.system ? `${c.system}#${c.code}` : c.code)).join(', ');
    if (unknown) {
      sink.add(
        'CODE_NOT_CHECKED',
        pathText(path),
        `The code ${shown} could not be checked against ${valueSet}: its code system is not held offline`,
      );
      return;
    }
    const severity = binding.strength === 'required' ? 'error' : 'warning';
    // A bare `code` names no system: the HL7 validator first reports that no system of the value set has it.
    if (type === 'code' && severity === 'error')
      sink.add(
        'CODE_SYSTEM_UNDETERMINED',
        pathText(path),
        `The system could not be determined for the code '${shown}' in the value set ${valueSet}: no code system of it has that code`,
      );
    sink.add(
      'CODE_NOT_IN_VALUESET',
      pathText(path),
      `The code ${shown} is not in the value set ${valueSet} (${binding.strength} binding)`,
      severity,
    );
  };
  /** The codings of one value against a binding and its additional bindings (these first, as they always came). */
  const bound = (
    sink: IssueSink,
    binding: Binding,
    codings: readonly Code[] | string,
    type: string,
    path: PathSource,
  ): void => {
    if (binding.additional) for (const extra of binding.additional) bound(sink, extra, codings, type, path);
    if ((binding.strength !== 'required' && binding.strength !== 'extensible') || !binding.valueSet) return;
    judge(sink, binding, binding.valueSet, codings, type, path);
  };
  return {
    expand,
    codeSystem: (system) => lookup(canonicalSystem(system)),
    checkBinding(sink, binding, value, type, path) {
      const codings = codingsOf(value, type);
      if (codings === undefined || (typeof codings !== 'string' && codings.length === 0)) return;
      bound(sink, binding, codings, type, path);
    },
    checkCodeBinding(sink, binding, value, path) {
      if (typeof value === 'string') bound(sink, binding, value, 'code', path);
    },
    checkCoding(sink, coding, path) {
      const system = coding.system;
      if (typeof system !== 'string') return;
      if (CODE_SYSTEM_ALIASES[system])
        sink.add(
          'CODESYSTEM_ALIAS',
          `${pathText(path)}.system`,
          `The code system ${system} is an alias of ${CODE_SYSTEM_ALIASES[system]}; it was read as the latter`,
        );
      const code = coding.code;
      if (system === SNOMED && typeof code === 'string') {
        const problem = sctidProblem(code);
        if (problem)
          sink.add(
            'CODE_UNKNOWN_IN_CODESYSTEM',
            `${pathText(path)}.code`,
            `Unknown code '${code}' in the code system ${system}: ${problem}`,
          );
      }
      const cs = typeof code === 'string' ? lookup(system) : undefined;
      if (!cs || typeof code !== 'string') return;
      const concept = cs.concepts.get(code);
      if (!concept) {
        if (cs.complete)
          sink.add(
            'CODE_UNKNOWN_IN_CODESYSTEM',
            `${pathText(path)}.code`,
            `Unknown code '${code}' in the code system ${system}`,
          );
        return;
      }
      const display = coding.display;
      if (
        typeof display === 'string' &&
        concept.display &&
        !displayMatches(concept.display, concept.designations, display)
      ) {
        sink.add(
          'CODE_DISPLAY_MISMATCH',
          `${pathText(path)}.display`,
          `Wrong display '${display}' for ${system}#${code}: should be '${concept.display}'`,
        );
      }
    },
  };
}

function expandValueSet(vs: AnyResource, lookup: Lookup, expand: (url: string) => Expansion | undefined): Expansion {
  const out = { codes: new Map<string, Set<string>>(), open: new Set<string>() };
  const compose = vs.compose as { include?: Include[]; exclude?: Include[] } | undefined;
  if (!compose) {
    const contains = (vs.expansion as { contains?: { system?: string; code?: string }[] } | undefined)?.contains;
    if (contains) contains.forEach((c) => c.system && c.code && add(out.codes, canonicalSystem(c.system), c.code));
    else out.open.add('*');
    return out;
  }
  for (const inc of compose.include ?? []) addInclude(inc, lookup, expand, out);
  for (const exc of compose.exclude ?? []) {
    if (exc.system && exc.concept)
      exc.concept.forEach((c) => out.codes.get(canonicalSystem(exc.system as string))?.delete(c.code));
  }
  return out;
}
