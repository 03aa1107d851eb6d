/**
 * Indexes every conformance resource of the loaded packages by canonical URL and `url|version`,
 * and compiles StructureDefinitions on first use (then keeps them).
 * https://hl7.org/fhir/R4/references.html#canonical
 */
import type { AnyResource, FhirPackage, PackageSet } from '../packages/types.ts';
import { compileProfile } from './compile.ts';
import { canonicalBaseOfPackage } from './known-packages.ts';
import type { CompiledProfile } from './model.ts';
import { generateSnapshot, type SnapshotElement } from './snapshot.ts';

const INDEXED = new Set([
  'StructureDefinition',
  'ValueSet',
  'CodeSystem',
  'ConceptMap',
  'OperationDefinition',
  'SearchParameter',
  'CapabilityStatement',
  'NamingSystem',
  'StructureMap',
  'Questionnaire',
  'ImplementationGuide',
]);

export interface CanonicalRegistry {
  /** The resource with that canonical (`url` or `url|version`), optionally of one resource type. */
  resolve(canonical: string, resourceType?: string): AnyResource | undefined;
  /** Compiled profile for a StructureDefinition canonical (its snapshot generated when it ships a differential only). */
  profile(canonical: string): CompiledProfile | undefined;
  /** Compiled base definition of a FHIR type or resource (`Patient`, `CodeableConcept`). */
  baseType(type: string): CompiledProfile | undefined;
  /** Why a canonical cannot be resolved, naming the missing package when one of the declared dependencies covers it. */
  missingReason(canonical: string): string;
  /** Profiles that ImplementationGuides of the loaded packages declare `global` for a resource type. */
  globalProfiles(resourceType: string): readonly string[];
  /** `id#version` of every package used for validation. */
  readonly packageRefs: readonly string[];
}

function stripVersion(canonical: string): string {
  const bar = canonical.indexOf('|');
  return bar < 0 ? canonical : canonical.slice(0, bar);
}

/** Orders dotted versions numerically where possible (`1.10.0` > `1.9.0`); undefined sorts first. */
export function compareVersions(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isNaN(nx) || Number.isNaN(ny) ? x.localeCompare(y) : nx - ny;
    if (c !== 0) return c;
  }
  return 0;
}

/** Missing dependencies of the loaded packages, with the canonical base each one would have provided. */
function missingDependencies(packages: readonly FhirPackage[]): { ref: string; by: string; base?: string }[] {
  const out: { ref: string; by: string; base?: string }[] = [];
  for (const pkg of packages) {
    for (const [id, version] of Object.entries(pkg.dependencies)) {
      if (packages.some((p) => p.id === id)) continue;
      out.push({ ref: `${id}#${version}`, by: `${pkg.id}#${pkg.version}`, base: canonicalBaseOfPackage(id) });
    }
  }
  return out;
}

/**
 * Builds the registry from a package set; only R4 packages take part.
 * @example createCanonicalRegistry(set).profile('http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization')
 */
export function createCanonicalRegistry(
  set: PackageSet,
  options: { pinned?: (pkg: FhirPackage) => boolean } = {},
): CanonicalRegistry {
  const pinned = options.pinned ?? (() => true);
  const packages = set.packages.filter((p) => p.fhirVersion.startsWith('4.0'));
  const byUrl = new Map<string, { resource: AnyResource; pkg: FhirPackage }>();
  for (const pkg of packages) {
    for (const r of pkg.resources) {
      if (!INDEXED.has(r.resourceType) || typeof r.url !== 'string') continue;
      const entry = { resource: r, pkg };
      // Without `|version`, a pinned package (core, locked, configured: packages/integrity.ts) answers before an
      // uploaded one; among equals, the highest version loaded (as the HL7 tools do).
      const current = byUrl.get(r.url);
      const rank = pinned(pkg) ? 1 : 0;
      const currentRank = current ? (pinned(current.pkg) ? 1 : 0) : -1;
      if (rank > currentRank || (rank === currentRank && compareVersions(r.version, current?.resource.version) >= 0))
        byUrl.set(r.url, entry);
      const versioned = r.version ? byUrl.get(`${r.url}|${r.version}`) : undefined;
      if (r.version && (!versioned || !pinned(versioned.pkg) || pinned(pkg))) byUrl.set(`${r.url}|${r.version}`, entry);
    }
  }
  const missing = missingDependencies(packages);
  // ImplementationGuide.global: every resource of that type must conform to the profile (no package we ship has one).
  const globals = new Map<string, string[]>();
  for (const pkg of packages)
    for (const r of pkg.resources) {
      if (r.resourceType !== 'ImplementationGuide' || !Array.isArray(r.global)) continue;
      for (const g of r.global as { type?: unknown; profile?: unknown }[]) {
        if (typeof g?.type !== 'string' || typeof g.profile !== 'string') continue;
        globals.set(g.type, [...(globals.get(g.type) ?? []), g.profile]);
      }
    }
  const compiled = new Map<string, CompiledProfile | null>();
  // Generated snapshots, per definition object (so per loaded package); null while generating or when impossible.
  const generated = new WeakMap<AnyResource, SnapshotElement[] | null>();
  const baseTypes = new Map<string, CompiledProfile>();

  // An explicit `|version` must match when the resource carries a version (several versions may be loaded).
  const lookup = (canonical: string) => {
    const exact = byUrl.get(canonical);
    if (exact) return exact;
    const plain = byUrl.get(stripVersion(canonical));
    return plain && (plain.resource.version === undefined || canonical === stripVersion(canonical)) ? plain : undefined;
  };

  /** The snapshot elements of a StructureDefinition: its own, or generated from its differential and base. */
  const snapshotOf = (sd: AnyResource): readonly SnapshotElement[] | undefined => {
    const own = (sd.snapshot as { element?: SnapshotElement[] } | undefined)?.element;
    if (own?.length) return own;
    if (generated.has(sd)) return generated.get(sd) ?? undefined;
    generated.set(sd, null); // a base chain that loops back ends here
    const result = generateSnapshot(sd, (url) => {
      const base = lookup(url)?.resource;
      return base?.resourceType === 'StructureDefinition' ? snapshotOf(base) : undefined;
    });
    generated.set(sd, result?.element ?? null);
    return result?.element;
  };

  const profile = (canonical: string): CompiledProfile | undefined => {
    const hit = compiled.get(canonical);
    if (hit !== undefined) return hit ?? undefined;
    const entry = lookup(canonical);
    // Misses are not remembered: canonicals come from requests too, and the memo must stay bounded.
    if (!entry) return undefined;
    let result: CompiledProfile | null = null;
    const elements = entry.resource.resourceType === 'StructureDefinition' ? snapshotOf(entry.resource) : undefined;
    if (elements) {
      const sd =
        elements === (entry.resource.snapshot as { element?: unknown } | undefined)?.element
          ? entry.resource
          : { ...entry.resource, snapshot: { element: elements } };
      result = compileProfile(sd, `${entry.pkg.id}#${entry.pkg.version}`);
    }
    compiled.set(canonical, result);
    return result ?? undefined;
  };

  return {
    resolve(canonical, resourceType) {
      const entry = lookup(canonical);
      if (!entry || (resourceType && entry.resource.resourceType !== resourceType)) return undefined;
      return entry.resource;
    },
    profile,
    baseType: (type) => {
      // Asked for every value walked: a memo by type code spares building and hashing the canonical each time.
      // Like `compiled`, it remembers hits only (type codes can come from request bodies).
      let hit = baseTypes.get(type);
      if (hit === undefined) {
        hit = profile(`http://hl7.org/fhir/StructureDefinition/${type}`);
        if (hit) baseTypes.set(type, hit);
      }
      return hit;
    },
    missingReason(canonical) {
      const url = stripVersion(canonical);
      const dep = missing.find((m) => m.base !== undefined && url.startsWith(m.base));
      if (dep) return `package ${dep.ref} (a dependency of ${dep.by}) is not loaded`;
      return 'no loaded package defines it';
    },
    globalProfiles: (resourceType) => globals.get(resourceType) ?? [],
    packageRefs: packages.map((p) => `${p.id}#${p.version}`),
  };
}
