/**
 * Offline view of the CodeSystems held by the loaded packages, and the canonical alias table for
 * known WHO canonical drift. https://hl7.org/fhir/R4/codesystem.html
 */
import type { AnyResource } from '../packages/types.ts';
import type { CanonicalRegistry } from './canonical-registry.ts';

/**
 * Aliases of code system URLs → the canonical URL. The DDCC IG writes ICD-11 MMS as
 * `http://id.who.int/icd11/mms`; the WHO canonical is `http://id.who.int/icd/release/11/mms`.
 * See docs/decisions/0005-validation-engine.md (terminology).
 */
export const CODE_SYSTEM_ALIASES: Readonly<Record<string, string>> = {
  'http://id.who.int/icd11/mms': 'http://id.who.int/icd/release/11/mms',
};

/**
 * External terminologies that IGs sometimes ship as small CodeSystem resources (who.ddcc holds a
 * `http://snomed.info/sct` CodeSystem with ~100 codes marked `complete`, made for expansions). Such a
 * resource is read as a fragment: it can confirm a code and its display, never prove that a code is absent.
 */
const EXTERNAL_SYSTEMS = [
  'http://snomed.info/sct',
  'http://loinc.org',
  'http://id.who.int/icd',
  'http://hl7.org/fhir/sid/icd-',
  'http://unitsofmeasure.org',
  'http://www.whocc.no/atc',
  'http://www.nlm.nih.gov/research/umls/rxnorm',
  'http://hl7.org/fhir/sid/cvx',
  'urn:iso:std:iso:',
  'urn:ietf:bcp:',
];

export function isExternalSystem(url: string): boolean {
  return EXTERNAL_SYSTEMS.some((prefix) => url.startsWith(prefix));
}

export function canonicalSystem(system: string): string {
  return CODE_SYSTEM_ALIASES[system] ?? system;
}

export interface ConceptInfo {
  readonly display?: string;
  readonly designations: readonly string[];
  readonly parent?: string;
}

export interface LoadedCodeSystem {
  readonly url: string;
  /** Only `complete` systems can prove that a code does not exist. */
  readonly complete: boolean;
  readonly concepts: ReadonlyMap<string, ConceptInfo>;
  /** code → direct children codes (from nested concepts and `parent` properties). */
  readonly children: ReadonlyMap<string, readonly string[]>;
}

interface RawConcept {
  code: string;
  display?: string;
  designation?: { value?: string }[];
  property?: { code: string; valueCode?: string }[];
  concept?: RawConcept[];
}

function flatten(
  list: RawConcept[] | undefined,
  parent: string | undefined,
  concepts: Map<string, ConceptInfo>,
  children: Map<string, string[]>,
): void {
  for (const c of list ?? []) {
    const declaredParent = c.property?.find((p) => p.code === 'parent' || p.code === 'subsumedBy')?.valueCode;
    const up = parent ?? declaredParent;
    concepts.set(c.code, {
      display: c.display,
      designations: (c.designation ?? []).map((d) => d.value ?? ''),
      parent: up,
    });
    if (up) children.set(up, [...(children.get(up) ?? []), c.code]);
    flatten(c.concept, c.code, concepts, children);
  }
}

/** Code system lookup with a per-instance memo (the registry content never changes). */
export function createCodeSystemIndex(registry: CanonicalRegistry): (system: string) => LoadedCodeSystem | undefined {
  const memo = new Map<string, LoadedCodeSystem | null>();
  return (system) => {
    const url = canonicalSystem(system);
    const hit = memo.get(url);
    if (hit !== undefined) return hit ?? undefined;
    const cs = (registry.resolve(url, 'CodeSystem') ?? registry.resolve(aliasOf(url), 'CodeSystem')) as
      | AnyResource
      | undefined;
    // Systems named by instances are unbounded: only loaded ones are remembered.
    if (!cs) return undefined;
    let result: LoadedCodeSystem | null = null;
    if (cs.content !== 'supplement') {
      const concepts = new Map<string, ConceptInfo>();
      const children = new Map<string, string[]>();
      flatten(cs.concept as RawConcept[] | undefined, undefined, concepts, children);
      result = { url, complete: cs.content === 'complete' && !isExternalSystem(url), concepts, children };
    }
    memo.set(url, result);
    return result ?? undefined;
  };
}

function aliasOf(canonical: string): string {
  return Object.entries(CODE_SYSTEM_ALIASES).find(([, c]) => c === canonical)?.[0] ?? canonical;
}

/** The codes of `cs` below `code` (is-a includes the code itself; descendent-of does not). */
export function descendants(cs: LoadedCodeSystem, code: string, includeSelf: boolean): string[] {
  const out: string[] = includeSelf ? [code] : [];
  const queue = [...(cs.children.get(code) ?? [])];
  while (queue.length) {
    const next = queue.shift() as string;
    out.push(next);
    queue.push(...(cs.children.get(next) ?? []));
  }
  return out;
}
