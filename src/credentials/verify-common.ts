/** Checks shared by every format: the FHIR profile of the content and revocation. */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { ValidateFn } from './issuer-context.ts';
import type { VerifyCheck } from './verdict.ts';
import type { RevocationCheck, VerifyOptions } from './verify-options.ts';

/**
 * Validate `resource` against `profile`: errors fail the check; warnings are passed on to the outcome.
 * @example profileCheck(bundle, DDCC_PROFILE.vsDocument, validate, warnings).status // 'pass'
 */
export function profileCheck(
  resource: unknown,
  profile: string,
  validate: ValidateFn | undefined,
  warnings: OperationOutcomeIssue[],
): VerifyCheck {
  if (!validate) return { name: 'fhir-profile', status: 'skipped', message: 'No validator configured' };
  const issues = validate(resource, profile).issue ?? [];
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  warnings.push(
    ...issues
      .filter((i) => i.severity === 'warning' && !/dom-6/.test(i.details?.text ?? ''))
      .map((i) => ({ ...i, diagnostics: `fhir-profile: ${profile}` })),
  );
  const notChecked = profileNotChecked(issues, profile);
  // An unloaded profile was never applied: say so rather than claim conformance to it.
  if (errors.length === 0 && notChecked) {
    return {
      name: 'fhir-profile',
      status: 'skipped',
      message: `Not checked against ${profile}: ${notChecked}; the content has no errors against the base definitions and the profiles it claims`,
    };
  }
  if (errors.length === 0) return { name: 'fhir-profile', status: 'pass', message: `Conforms to ${profile}` };
  const first = errors.slice(0, 3).map((i) => `${i.expression?.[0] ?? ''}: ${i.details?.text ?? i.diagnostics ?? ''}`);
  return {
    name: 'fhir-profile',
    status: 'fail',
    failure: 'profile-invalid',
    message: `${errors.length} error(s) against ${profile}: ${first.join('; ')}`,
  };
}

/**
 * Why the validator could not apply `profile` (e.g. its package is not loaded), from its PROFILE_NOT_CHECKED issue.
 * @example profileNotChecked(outcome.issue, IPS_BUNDLE_PROFILE) // 'package hl7.fhir.uv.ips#… is not loaded'
 */
export function profileNotChecked(issues: readonly OperationOutcomeIssue[], profile: string): string | undefined {
  const prefix = `Cannot check against ${profile}: `;
  const found = issues.find(
    (i) => i.details?.coding?.[0]?.code === 'PROFILE_NOT_CHECKED' && i.details.text?.startsWith(prefix),
  );
  return found?.details?.text?.slice(prefix.length);
}

/**
 * Ask the revocation source, when one is configured.
 * @example await revocationCheck(options, { format: 'hcert', credentialId: uvci })
 */
export async function revocationCheck(
  options: VerifyOptions,
  query: Parameters<RevocationCheck>[0],
): Promise<VerifyCheck> {
  if (!options.isRevoked) return { name: 'revocation', status: 'skipped', message: 'No revocation list is configured' };
  const revoked = await options.isRevoked(query);
  if (typeof revoked === 'string') return { name: 'revocation', status: 'skipped', message: revoked };
  if (revoked === undefined)
    return {
      name: 'revocation',
      status: 'skipped',
      message: `No revocation list is known for issuer ${query.issuer ?? '(unknown)'}`,
    };
  if (revoked)
    return {
      name: 'revocation',
      status: 'fail',
      failure: 'revoked',
      message: `The credential ${query.credentialId ?? query.kid ?? ''} is revoked`,
    };
  return { name: 'revocation', status: 'pass', message: `Not on the revocation list of issuer ${query.issuer ?? ''}` };
}
