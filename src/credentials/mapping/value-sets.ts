/**
 * Membership in the enumerated ValueSets of the loaded IG packages (e.g. the ICVP vaccine and disease sets that
 * decide whether an HCERT also carries the ICVP payload). Only `compose.include.concept` lists are read: the sets we
 * need are enumerations, and an intensional set we cannot expand offline must not be guessed.
 */
import type { PackageSet } from '../../packages/types.ts';
import { canonicalSystem } from './concept-maps.ts';

interface VsInclude {
  system?: string;
  concept?: { code?: string }[];
}

export interface ValueSets {
  /** True when `code` of `system` is enumerated in the ValueSet `url`. */
  contains(url: string, system: string, code: string): boolean;
  /** The enumerated codes of `url` (system folded to its canonical form). */
  codes(url: string): readonly { system: string; code: string }[];
}

/**
 * Indexes the enumerated ValueSets once.
 * @example valueSetsFrom(packages).contains('http://smart.who.int/icvp/ValueSet/ICVPVaccineCodes', 'http://id.who.int/icd11/mms', 'XM0N24')
 * @see https://hl7.org/fhir/R4/valueset.html#compose
 */
export function valueSetsFrom(packages: PackageSet): ValueSets {
  const sets = new Map<string, { system: string; code: string }[]>();
  for (const pkg of packages.packages) {
    for (const resource of pkg.resources) {
      if (resource.resourceType !== 'ValueSet' || typeof resource.url !== 'string') continue;
      const includes = ((resource.compose as { include?: VsInclude[] } | undefined)?.include ?? []) as VsInclude[];
      const list: { system: string; code: string }[] = [];
      for (const inc of includes) {
        if (!inc.system) continue;
        for (const c of inc.concept ?? []) if (c.code) list.push({ system: canonicalSystem(inc.system), code: c.code });
      }
      sets.set(resource.url, list);
    }
  }
  return {
    contains: (url, system, code) =>
      (sets.get(url) ?? []).some((c) => c.system === canonicalSystem(system) && c.code === code),
    codes: (url) => sets.get(url) ?? [],
  };
}
