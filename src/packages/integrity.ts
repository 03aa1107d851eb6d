/**
 * Package integrity: which loaded packages are trusted to define canonicals, and what an upload may not do.
 * Trusted ("pinned") = the FHIR core, the packages the lock list `ig/packages.json` names (`id#version`), and the
 * packages the operator configured (ig/packages, FHIR_PACKAGES, the package cache: everything not uploaded at run
 * time). A plain canonical (no `|version`) resolves to a pinned package's resource before an uploaded one, whatever
 * the versions say; an upload may not define a canonical a pinned package defines (unless the operator allows it),
 * and no upload may claim a core package id.
 */
import { existsSync } from 'node:fs';
import { CORE_PACKAGE_ID } from './base-r4.ts';
import { readLock } from './lock.ts';
import type { FhirPackage, PackageSet } from './types.ts';

/** Package ids of the FHIR core specification (any release): never uploadable. */
const CORE_IDS = /^hl7\.fhir\.(r[0-9]b?|core)(\.(core|expansions|elements|search))?$/i;

/** True for a core package id (`hl7.fhir.r4.core`, `hl7.fhir.r5.core`, …). */
export function isCorePackageId(id: string): boolean {
  return id === CORE_PACKAGE_ID || CORE_IDS.test(id);
}

/** `id#version` of the packages the lock file names (empty when there is none). */
export function lockedRefs(lockPath: string): Set<string> {
  if (!existsSync(lockPath)) return new Set();
  return new Set(readLock(lockPath).packages.map((e) => e.package));
}

/**
 * Whether a loaded package is pinned: core, locked, or not from the upload folder.
 * @example const pinned = pinnedBy(lockedRefs('ig/packages.json'), '/data/packages')
 */
export function pinnedBy(locked: ReadonlySet<string>, uploadDir: string): (pkg: FhirPackage) => boolean {
  return (pkg) =>
    pkg.id === CORE_PACKAGE_ID || locked.has(`${pkg.id}#${pkg.version}`) || !pkg.source.startsWith(uploadDir);
}

/** A canonical of the upload that a pinned package already defines, with who defines it (undefined when none). */
export function takenCanonical(
  upload: FhirPackage,
  set: PackageSet,
  pinned: (pkg: FhirPackage) => boolean,
): { url: string; resourceType: string; owner: string } | undefined {
  const owners = new Map<string, string>();
  for (const pkg of set.packages) {
    if (!pinned(pkg) || (pkg.id === upload.id && pkg.version === upload.version)) continue;
    for (const r of pkg.resources)
      if (typeof r.url === 'string' && !owners.has(r.url)) owners.set(r.url, `${pkg.id}#${pkg.version}`);
  }
  for (const r of upload.resources) {
    const owner = typeof r.url === 'string' ? owners.get(r.url) : undefined;
    if (owner) return { url: r.url as string, resourceType: r.resourceType, owner };
  }
  return undefined;
}
