/**
 * Builds small test profiles by deriving from the R4 base snapshots (as the IG Publisher would
 * produce them), and a package set that holds them next to the shared packages.
 */
import type { AnyResource, FhirPackage, PackageSet } from '../../../src/packages/types.ts';

export type El = Record<string, unknown> & { id: string; path: string };

export function baseDefinition(set: PackageSet, type: string): AnyResource {
  const core = set.packages[0];
  const sd = core.resources.find(
    (r) => r.resourceType === 'StructureDefinition' && r.url === `http://hl7.org/fhir/StructureDefinition/${type}`,
  );
  if (!sd) throw new Error(`no base ${type}`);
  return sd;
}

/** The snapshot elements of a data type, re-rooted under `id`/`path` (how snapshots expand sliced children). */
export function expandType(set: PackageSet, type: string, id: string, path: string): El[] {
  const elements = (baseDefinition(set, type).snapshot as { element: El[] }).element.slice(1);
  return elements.map((e) => ({
    ...structuredClone(e),
    id: id + e.id.slice(type.length),
    path: path + e.path.slice(type.length),
  }));
}

/** A profile on `type` whose snapshot is the base snapshot edited by `edit`. */
export function deriveProfile(
  set: PackageSet,
  type: string,
  url: string,
  edit: (elements: El[]) => El[],
  version = '0.0.1',
): AnyResource {
  const base = structuredClone(baseDefinition(set, type));
  const elements = edit((base.snapshot as { element: El[] }).element);
  return {
    ...base,
    id: url.split('/').pop(),
    url,
    version,
    derivation: 'constraint',
    baseDefinition: base.url,
    snapshot: { element: elements },
  };
}

/** Inserts `added` right after the element with id `afterId` and its descendants. */
export function insertAfter(elements: El[], afterId: string, added: El[]): El[] {
  const i = elements.findIndex((e) => e.id === afterId);
  let j = i + 1;
  while (j < elements.length && (elements[j].id.startsWith(`${afterId}.`) || elements[j].id.startsWith(`${afterId}:`)))
    j++;
  return [...elements.slice(0, j), ...added, ...elements.slice(j)];
}

export function edit(elements: El[], id: string, patch: Record<string, unknown>): El[] {
  return elements.map((e) => (e.id === id ? { ...e, ...patch } : e));
}

export function withResources(set: PackageSet, resources: AnyResource[]): PackageSet {
  const pkg: FhirPackage = {
    id: 'test.local',
    version: '0.0.1',
    fhirVersion: '4.0.1',
    dependencies: {},
    resources,
    examples: [],
    source: 'test',
  };
  return { packages: [...set.packages, pkg], summaries: set.summaries, warnings: set.warnings };
}
