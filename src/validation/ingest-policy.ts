/**
 * Validation on write: which profile each resource type must meet, and whether a failure rejects the write
 * (strict) or only travels back with it (lenient). A configured profile that is not loaded never passes
 * silently: the resource is still checked against its base definition, and every write says so in a warning.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcome.ts';
import type { Validator } from './validator.ts';

export type IngestMode = 'strict' | 'lenient' | 'off';

export interface IngestVerdict {
  /** Errors, warnings and notes to return with the write (no "All OK" filler). */
  issues: OperationOutcomeIssue[];
  /** True when the write must be refused (strict mode and an error). */
  reject: boolean;
}

export interface IngestPolicy {
  readonly mode: IngestMode;
  /** Type → profile canonical, as configured. */
  readonly profiles: Readonly<Record<string, string>>;
  /** Configured profiles that no loaded package defines. */
  readonly missingProfiles: readonly string[];
  check(resource: { resourceType: string; type?: string }, budget?: { tick(): void }): IngestVerdict;
}

const NOT_REPORTED = new Set(['VALIDATION_OK']);

export function createIngestPolicy(
  validator: Validator,
  profiles: Readonly<Record<string, string>>,
  mode: IngestMode,
): IngestPolicy {
  const missingProfiles = Object.values(profiles).filter((url) => !validator.registry.profile(url));
  const check = (resource: { resourceType: string; type?: string }, budget?: { tick(): void }): IngestVerdict => {
    if (mode === 'off') return { issues: [], reject: false };
    const profile = profileFor(resource, profiles);
    const missing = profile !== undefined && missingProfiles.includes(profile);
    const outcome = validator.validate(resource, missing || profile === undefined ? { budget } : { profile, budget });
    const issues = (outcome.issue ?? []).filter((i) => !NOT_REPORTED.has(i.details?.coding?.[0]?.code ?? ''));
    if (missing)
      issues.unshift(missingProfileIssue(resource.resourceType, profile, validator.registry.missingReason(profile)));
    const reject = mode === 'strict' && issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
    return { issues, reject };
  };
  return { mode, profiles, missingProfiles, check };
}

/** `Bundle` profiles apply to document Bundles only: transaction and batch Bundles are not stored. */
function profileFor(
  resource: { resourceType: string; type?: string },
  profiles: Readonly<Record<string, string>>,
): string | undefined {
  if (resource.resourceType === 'Bundle' && resource.type !== 'document') return undefined;
  return profiles[resource.resourceType];
}

function missingProfileIssue(type: string, profile: string, reason: string): OperationOutcomeIssue {
  return issue({
    severity: 'warning',
    code: 'not-found',
    id: 'INGEST_PROFILE_NOT_LOADED',
    text: `The ingest profile ${profile} for ${type} is not loaded (${reason}); the resource was checked against the base ${type} definition only`,
    expression: type,
  });
}
