/**
 * ConceptMap translation over the loaded IG packages (DDCC ↔ EU DCC / ICD-11 / SNOMED CT / CVX), read from the
 * PackageSet, never from hand-written tables. Only mappings whose equivalence makes the target usable in a
 * certificate are followed: `equivalent`/`equal` (and `wider` when the caller allows it, e.g. a product that maps to
 * its broader vaccine type). https://hl7.org/fhir/R4/conceptmap.html#$translate
 */
import type { PackageSet } from '../../packages/types.ts';

export type Equivalence =
  | 'relatedto'
  | 'equivalent'
  | 'equal'
  | 'wider'
  | 'subsumes'
  | 'narrower'
  | 'specializes'
  | 'inexact'
  | 'unmatched'
  | 'disjoint';

export interface Translation {
  system: string;
  code: string;
  equivalence: Equivalence;
  /** Canonical of the ConceptMap that said so. */
  conceptMap: string;
}

interface CmTarget {
  code?: string;
  equivalence?: string;
}
interface CmGroup {
  source?: string;
  target?: string;
  element?: { code?: string; target?: CmTarget[] }[];
}
interface CmResource {
  resourceType: string;
  url?: string;
  group?: CmGroup[];
}

export interface ConceptMaps {
  /** Every target for `code` of `system` in the map `url` (empty when the map or the code is not there). */
  translate(url: string, system: string, code: string): Translation[];
  /** The reverse direction: source codes whose target is `code` of `system`. */
  reverse(url: string, system: string, code: string): Translation[];
  /** True when a ConceptMap with this canonical is loaded. */
  has(url: string): boolean;
}

/** ICD-11 appears under two system URIs in the WHO packages; both name the same code system. */
const SYSTEM_ALIASES: Readonly<Record<string, string>> = {
  'http://id.who.int/icd/release/11/mms': 'http://id.who.int/icd11/mms',
};

/**
 * Canonical form of a code-system URI (aliases folded).
 * @example canonicalSystem('http://id.who.int/icd/release/11/mms') // 'http://id.who.int/icd11/mms'
 */
export function canonicalSystem(system: string): string {
  return SYSTEM_ALIASES[system] ?? system;
}

const key = (system: string, code: string): string => `${canonicalSystem(system)}|${code}`;

interface Indexed {
  forward: Map<string, Translation[]>;
  backward: Map<string, Translation[]>;
}

function indexMap(cm: CmResource): Indexed {
  const out: Indexed = { forward: new Map(), backward: new Map() };
  const url = cm.url ?? '';
  for (const group of cm.group ?? []) {
    if (!group.source || !group.target) continue;
    for (const element of group.element ?? []) {
      if (!element.code) continue;
      for (const target of element.target ?? []) {
        if (!target.code) continue;
        const equivalence = (target.equivalence ?? 'equivalent') as Equivalence;
        const fwd = out.forward.get(key(group.source, element.code)) ?? [];
        fwd.push({ system: canonicalSystem(group.target), code: target.code, equivalence, conceptMap: url });
        out.forward.set(key(group.source, element.code), fwd);
        const back = out.backward.get(key(group.target, target.code)) ?? [];
        back.push({ system: canonicalSystem(group.source), code: element.code, equivalence, conceptMap: url });
        out.backward.set(key(group.target, target.code), back);
      }
    }
  }
  return out;
}

/**
 * Indexes every ConceptMap of the loaded packages once (immutable afterwards).
 * @example conceptMapsFrom(packages).translate('http://smart.who.int/ddcc/ConceptMap/who-ddcc-map-icd11-sct-vaccines', 'http://id.who.int/icd11/mms', 'XM0GQ8')
 * @see https://hl7.org/fhir/R4/conceptmap-operation-translate.html
 */
export function conceptMapsFrom(packages: PackageSet): ConceptMaps {
  const maps = new Map<string, Indexed>();
  for (const pkg of packages.packages) {
    for (const resource of pkg.resources) {
      if (resource.resourceType === 'ConceptMap' && typeof resource.url === 'string')
        maps.set(resource.url, indexMap(resource as CmResource));
    }
  }
  return {
    translate: (url, system, code) => maps.get(url)?.forward.get(key(system, code)) ?? [],
    reverse: (url, system, code) => maps.get(url)?.backward.get(key(system, code)) ?? [],
    has: (url) => maps.has(url),
  };
}
