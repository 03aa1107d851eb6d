/**
 * `Patient/{id}/$health-cards-issue`, the SMART Health Cards issuance operation, plus the `shc:/` QR content of
 * each card (`qrNumeric`). https://build.fhir.org/ig/HL7/smart-health-cards-and-links/OperationDefinition-patient-i-health-cards-issue.html
 */
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import type { Parameters } from '@medplum/fhirtypes';
import { issueShc } from '../../credentials/issue-shc.ts';
import { healthCardsIssueToParameters } from '../../credentials/operation-parameters.ts';
import { issue } from '../../fhir/outcome.ts';
import type { CredentialServices } from '../../services-credentials.ts';
import type { OperationRoute } from '../routes.ts';
import { defineOperation } from './define.ts';
import { readHealthCardsIssueRequest } from './verify-input.ts';
import { recordsOfPatient } from './records.ts';

export function healthCardsIssueOperation(credentials: CredentialServices, now: () => Date): OperationRoute {
  return defineOperation('health-cards-issue', {
    scope: OPERATION_SCOPES.healthCardsIssue,
    handle: async (ctx, req, target, input) => {
      const asked = readHealthCardsIssueRequest(input);
      const { patient, immunizations } = await recordsOfPatient(ctx.store, target.id as string);
      const issued = await issueShc(credentials.issuer(), {
        patient,
        immunizations,
        ...asked,
        now: now(),
        requester: req.requester ?? 'unknown',
      });
      const out: Parameters = healthCardsIssueToParameters(issued);
      for (const chunks of issued.qr)
        for (const chunk of chunks) out.parameter!.push({ name: 'qrNumeric', valueString: chunk });
      const warnings = [...issued.warnings];
      if (input.has('credentialValueSet')) {
        warnings.push(
          issue({
            severity: 'warning',
            code: 'not-supported',
            id: 'SHC_VALUE_SET_IGNORED',
            text: 'credentialValueSet is not supported: cards hold every completed immunization of the requested types',
          }),
        );
      }
      if (issued.verifiableCredential.length === 0) {
        warnings.push(
          issue({
            severity: 'information',
            code: 'informational',
            id: 'SHC_NOTHING_TO_ISSUE',
            text: 'No completed immunization matches the request: no card was issued',
          }),
        );
      }
      if (warnings.length > 0)
        out.parameter!.push({ name: 'warnings', resource: { resourceType: 'OperationOutcome', issue: warnings } });
      return { status: 200, resource: out };
    },
  });
}
