/**
 * Issuer-side onboarding check: is the DSC we are about to sign with in the trust list verifiers use? The most
 * common failure in the EU network was QR codes signed with a key missing from the verifiers' list, so issuance
 * still works but carries a warning saying so (issue 7, "Before minting").
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcome.ts';
import type { TrustLookups } from './trust-lookups.ts';

/**
 * Warnings (empty when the DSC is listed and good at `now`).
 * @example issuerTrustWarnings(trust, { kidBytes, country: 'XX' }, now) // [] or [ISSUER_DSC_NOT_IN_TRUST_LIST]
 */
export function issuerTrustWarnings(
  trust: TrustLookups | undefined,
  signer: { kidBytes: Uint8Array; kid: string; country: string },
  now: Date,
): OperationOutcomeIssue[] {
  if (!trust) {
    return [
      issue({
        severity: 'warning',
        code: 'informational',
        id: 'ISSUER_TRUST_NOT_CHECKED',
        text: 'No trust list is configured: whether verifiers trust the signing DSC was not checked',
      }),
    ];
  }
  const { candidates, warnings } = trust.lookupByKid(signer.kidBytes, { country: signer.country, asOf: now });
  const notices = warnings.map((w) =>
    issue({ severity: 'warning', code: 'informational', id: w.code, text: w.message }),
  );
  if (candidates.length === 0) {
    return [
      ...notices,
      issue({
        severity: 'warning',
        code: 'security',
        id: 'ISSUER_DSC_NOT_IN_TRUST_LIST',
        text: `The signing DSC (kid ${signer.kid}) is not in the configured trust list: verifiers using it will reject this credential`,
      }),
    ];
  }
  if (!candidates.some((c) => c.verdict.ok)) {
    const reasons = candidates.flatMap((c) => c.verdict.reasons.map((r) => r.message)).join('; ');
    return [
      ...notices,
      issue({
        severity: 'warning',
        code: 'security',
        id: 'ISSUER_DSC_NOT_TRUSTED',
        text: `The signing DSC (kid ${signer.kid}) is in the trust list but not trusted: ${reasons}`,
      }),
    ];
  }
  return notices;
}
