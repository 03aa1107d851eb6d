/**
 * The state of one `validate()` call, passed down the walk. Nothing here outlives the call except
 * the shared `engine` (registry, compiled profiles, terminology, parsed FHIRPath, discriminator answers), whose
 * memos hold only what follows from the loaded profiles.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { AnyResource } from '../packages/types.ts';
import type { CanonicalRegistry } from './canonical-registry.ts';
import type { DiscriminatorMemo } from './discriminator-path.ts';
import type { InvariantRunner } from './invariants.ts';
import type { IssueSink } from './issues.ts';
import type { TypeRef } from './model.ts';
import type { Terminology } from './terminology.ts';

export interface BundleEntryRef {
  readonly resource: AnyResource;
  /** FHIRPath of the entry's resource, e.g. `Bundle.entry[2].resource`. */
  readonly path: string;
  readonly fullUrl?: string;
}

export interface BundleIndex {
  readonly type?: string;
  readonly entries: readonly BundleEntryRef[];
  /** Entry resource path (`Bundle.entry[2].resource`) → entry: the entry a walked resource sits in. */
  readonly byPath: ReadonlyMap<string, BundleEntryRef>;
  readonly byFullUrl: ReadonlyMap<string, BundleEntryRef>;
  /** `Type/id` → entry, for relative references. */
  readonly byTypeId: ReadonlyMap<string, BundleEntryRef>;
  /** `Type/id` held by more than one entry (versions of one resource) → all of them, in entry order. */
  readonly sameTypeId: ReadonlyMap<string, readonly BundleEntryRef[]>;
}

export interface Engine {
  readonly registry: CanonicalRegistry;
  readonly terminology: Terminology;
  readonly invariants: InvariantRunner;
  /** Severity for a `meta.profile` / requested profile that is not loaded. */
  readonly unknownProfileSeverity: 'warning' | 'error';
  /** Severity for an extension that no loaded package defines. */
  readonly unknownExtensionSeverity: 'error' | 'warning' | 'information';
  /** false: URLs in example domains are errors, and so are unknown extensions there. */
  readonly allowExampleUrls: boolean;
  /** false: markdown that holds what looks like an HTML tag is an error. */
  readonly allowHtmlInMarkdown: boolean;
  /** true: a relative reference that resolves to nothing held is an error (the HL7 validator's validateReference=CHECK_EXISTS). */
  readonly checkReferencesExist: boolean;
  /** false: contained resources are not validated, nor dom-3 (the HL7 validator's validateContains=IGNORE). */
  readonly checkContained: boolean;
  /** true: a resource marked `experimental: true` is an error (the HL7 validator's no-experimental-content). */
  readonly noExperimentalContent: boolean;
  /** Static answers about slicing discriminators of the loaded profiles. */
  readonly discriminators: DiscriminatorMemo;
}

/** Validation results of one resource object against one profile, reused within a call. */
export type ProfileCache = WeakMap<object, Map<string, readonly OperationOutcomeIssue[]>>;

export interface WalkContext {
  readonly engine: Engine;
  readonly sink: IssueSink;
  readonly cache: ProfileCache;
  /** The resource being walked (`%resource`) and the outermost one (`%rootResource`). */
  readonly resource: AnyResource;
  readonly rootResource: AnyResource;
  /** FHIRPath of `rootResource` (e.g. `Bundle.entry[3].resource`), for contained targets. */
  readonly rootPath: string;
  readonly bundle?: BundleIndex;
  /** The resources of the Parameters being walked (`Type/id` → entry), where a parameter's resource may point to another's. */
  readonly parameters?: ReadonlyMap<string, BundleEntryRef>;
  /**
   * FHIRPath invariant verdicts of this call, per object and expression: a resource tried against several profiles
   * (slices told apart by profile) meets the same base invariants in each. Only expressions that do not read
   * %resource / %rootResource are kept, so the verdict depends on the object alone.
   */
  readonly invariantMemo?: WeakMap<object, Map<string, boolean>>;
  /** The request's work budget (see fhir/work-budget.ts), ticked once per object walked. */
  readonly budget?: { tick(): void };
}

/** One value of an element as found in JSON, with its primitive extension part (`_name`). */
export interface Item {
  readonly value: unknown;
  readonly ext?: Record<string, unknown>;
  readonly type: TypeRef;
  /** Its FHIRPath (`Patient.name[0].given[1]`); the walk's items build it on first read only. */
  readonly path: string;
}

/**
 * Where a value sits: its FHIRPath, or what makes it on first read (the item whose path it is, a discriminator step
 * below one). The walk hands items down as the parent path of their children, so a path is made into a string only
 * for an issue or a path-keyed lookup.
 */
export type PathSource = string | { readonly path: string };

export function pathText(at: PathSource): string {
  return typeof at === 'string' ? at : at.path;
}
