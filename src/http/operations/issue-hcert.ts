/**
 * `$issue-hcert` on `Immunization/{id}` (that dose) and `Patient/{id}` (their latest completed dose): an HCERT with
 * the DDCC:VS, EU DCC and ICVP payloads, its QR images and the DDCC document. 422 when a code does not map.
 */
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import { hcertToParameters } from '../../credentials/operation-parameters.ts';
import { issueHcert } from '../../credentials/issue-hcert.ts';
import type { CredentialServices } from '../../services-credentials.ts';
import type { OperationRoute } from '../routes.ts';
import { qrFormatsParam } from './credential-input.ts';
import { defineOperation } from './define.ts';
import { recordsOfImmunization, recordsOfPatient } from './records.ts';

export function issueHcertOperation(credentials: CredentialServices, now: () => Date): OperationRoute {
  const maxDays = Math.max(1, Math.floor(credentials.hcertValiditySeconds / 86_400));
  return defineOperation('issue-hcert', {
    scope: OPERATION_SCOPES.issueHcert,
    handle: async (ctx, req, target, input) => {
      const days = input.integer('validityDays', { min: 1, max: maxDays });
      const qrFormats = qrFormatsParam(input);
      const id = target.id as string;
      const records =
        target.type === 'Patient'
          ? await recordsOfPatient(ctx.store, id)
          : await recordsOfImmunization(ctx.store, id, ctx.settings.baseUrl);
      const issued = await issueHcert(credentials.issuer(), {
        ...records,
        now: now(),
        validitySeconds: days === undefined ? credentials.hcertValiditySeconds : days * 86_400,
        requester: req.requester ?? 'unknown',
        qrFormats,
      });
      return { status: 200, resource: hcertToParameters(issued) };
    },
  });
}
