/**
 * The validation engine's public entry point: `createValidator(packages)` compiles nothing up front;
 * each profile is compiled on first use and kept, so a long-lived validator never re-reads definitions.
 * https://hl7.org/fhir/R4/validation.html
 */
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FhirPackage, PackageSet } from '../packages/types.ts';
import { createCanonicalRegistry, type CanonicalRegistry } from './canonical-registry.ts';
import type { Engine, WalkContext } from './context.ts';
import { createDiscriminatorMemo } from './discriminator-path.ts';
import { createInvariantRunner } from './invariants.ts';
import { createIssueSink } from './issues.ts';
import { createTerminology } from './terminology.ts';
import { validateResource } from './walker.ts';

/** Version of this engine, reported in every OperationOutcome it produces. */
export const ENGINE_VERSION = '0.1.0';
/** Extension on the OperationOutcome naming the engine and the packages that judged the resource. */
export const VALIDATED_WITH_URL = 'https://gdhcn-gateway.org/fhir/StructureDefinition/validated-with';

export interface ValidatorOptions {
  /** Severity when a `meta.profile` claim or a requested profile is not loaded (default `warning`). */
  unknownProfileSeverity?: 'warning' | 'error';
  /** Severity of an unknown extension in an HL7 IG canonical space (default `error`, as the HL7 validator); other unknown ones are warnings, modifier ones errors. */
  unknownExtensionSeverity?: 'error' | 'warning' | 'information';
  /** Whether example URLs (example.org, example.com) may appear (default true; the HL7 validator's `-allow-example-urls`). */
  allowExampleUrls?: boolean;
  /** Whether markdown may hold what looks like an HTML tag (default true; false as the HL7 validator's no-HTML-in-markdown). */
  allowHtmlInMarkdown?: boolean;
  /** Whether contained resources are validated (default true; false as the HL7 validator's validateContains=IGNORE). */
  checkContained?: boolean;
  /** Whether a relative reference that resolves to nothing held (Bundle, contained, Parameters) is an error (default false; true as the HL7 validator's validateReference=CHECK_EXISTS). */
  checkReferencesExist?: boolean;
  /** Whether a resource marked `experimental: true` is an error (default false; true as the HL7 validator's no-experimental-content). */
  noExperimentalContent?: boolean;
  /** Name and version of the software reporting (default `gdhcn-gateway-validator/<ENGINE_VERSION>`). */
  engine?: string;
  /** Packages whose canonicals answer before uploaded ones (packages/integrity.ts); default: all equal. */
  pinned?: (pkg: FhirPackage) => boolean;
}

export interface ValidateOptions {
  /** Profile canonical(s) (`url` or `url|version`) to check in addition to `meta.profile`. */
  profile?: string | string[];
  /** The request's work budget: the walk ticks it and stops (throwing its OutcomeError) when it runs out. */
  budget?: { tick(): void };
}

export interface Validator {
  /** Validates one resource; never throws for invalid content (the problems are the outcome's issues). */
  validate(resource: unknown, options?: ValidateOptions): OperationOutcome;
  /** `id#version` of every package the validator judges with. */
  readonly packageRefs: readonly string[];
  /** The canonical registry (for `$validate` parameter checks and the CLI). */
  readonly registry: CanonicalRegistry;
}

/**
 * Builds a validator over a loaded package set.
 * @example
 * const validator = createValidator(await loadPackages({ dirs: ['../shared/fhir-packages'] }));
 * const outcome = validator.validate(immunization, { profile: 'http://smart.who.int/ddcc/StructureDefinition/DDCCImmunization' });
 */
export function createValidator(packages: PackageSet, options: ValidatorOptions = {}): Validator {
  const registry = createCanonicalRegistry(packages, options.pinned ? { pinned: options.pinned } : {});
  const engine: Engine = {
    registry,
    terminology: createTerminology(registry),
    invariants: createInvariantRunner(),
    unknownProfileSeverity: options.unknownProfileSeverity ?? 'warning',
    unknownExtensionSeverity: options.unknownExtensionSeverity ?? 'error',
    discriminators: createDiscriminatorMemo(),
    allowExampleUrls: options.allowExampleUrls ?? true,
    allowHtmlInMarkdown: options.allowHtmlInMarkdown ?? true,
    checkContained: options.checkContained ?? true,
    checkReferencesExist: options.checkReferencesExist ?? false,
    noExperimentalContent: options.noExperimentalContent ?? false,
  };
  const software = options.engine ?? `gdhcn-gateway-validator/${ENGINE_VERSION}`;
  const validatedWith = {
    url: VALIDATED_WITH_URL,
    extension: [
      { url: 'engine', valueString: software },
      ...registry.packageRefs.map((ref) => ({ url: 'package', valueString: ref })),
    ],
  };
  return {
    packageRefs: registry.packageRefs,
    registry,
    validate(resource, opts = {}) {
      const sink = createIssueSink();
      const root = (typeof resource === 'object' && resource !== null ? resource : {}) as WalkContext['resource'];
      const required = opts.profile === undefined ? [] : Array.isArray(opts.profile) ? opts.profile : [opts.profile];
      const path = typeof root.resourceType === 'string' ? root.resourceType : 'Resource';
      const ctx: WalkContext = {
        engine,
        sink,
        cache: new WeakMap(),
        invariantMemo: new WeakMap(),
        resource: root,
        rootResource: root,
        rootPath: path,
        budget: opts.budget,
      };
      validateResource(ctx, resource, path, required);
      if (sink.issues.length === 0) sink.add('VALIDATION_OK', path, 'All OK');
      return { resourceType: 'OperationOutcome', extension: [validatedWith], issue: sink.issues };
    },
  };
}
