/**
 * `Bundle/{id}/$issue-shl` for a stored IPS document, or `Patient/{id}/$issue-shl` for the patient's IPS `$summary`
 * made at that moment: a SMART Health Link served by this server (`/shl`), and by default its Verifiable Health Link
 * (an HCERT carrying the link). The link's state is a DocumentReference: deleting it revokes the link.
 */
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { issueShl, issueVhl, type IssueShlInput } from '../../credentials/issue-shl.ts';
import { shlToParameters } from '../../credentials/operation-parameters.ts';
import { fail } from '../../fhir/outcome.ts';
import { LOOPBACK_HTTP_ORIGIN } from '../../formats/loopback.ts';
import type { CredentialServices } from '../../services-credentials.ts';
import type { OperationRoute } from '../routes.ts';
import { qrFormatsParam } from './credential-input.ts';
import { defineOperation } from './define.ts';
import { requireStored } from './records.ts';
import { summaryOfPatient } from './summary.ts';

/** https, or http on a loopback host (the rule of formats/loopback.ts, as for the link itself). */
const VIEWER_URL = new RegExp(String.raw`^(https:\/\/[^/?#\s]+|${LOOPBACK_HTTP_ORIGIN})([/?#]\S*)?$`);

export function issueShlOperation(credentials: CredentialServices, now: () => Date): OperationRoute {
  return defineOperation('issue-shl', {
    scope: OPERATION_SCOPES.issueShl,
    handle: async (ctx, req, target, input) => {
      const at = now();
      let bundle: Bundle;
      if (target.type === 'Patient') {
        const patient = await requireStored<Patient>(ctx.store, 'Patient', target.id as string, 'Patient');
        bundle = await summaryOfPatient(credentials, patient, { baseUrl: ctx.settings.baseUrl, now: at });
      } else {
        bundle = await requireStored<Bundle>(ctx.store, 'Bundle', target.id as string);
      }
      const exp = input.dateTime('exp');
      if (exp && exp.getTime() <= at.getTime())
        fail('invalid', { code: 'value', id: 'SHL_EXP_PAST', text: 'exp is in the past', expression: 'exp' });
      const passcode = input.string('passcode');
      const label = input.string('label');
      const flag = input.string('flag');
      if (flag !== undefined && !/^[LU]{0,2}$/.test(flag))
        fail('invalid', {
          code: 'value',
          id: 'SHL_FLAG_INVALID',
          text: 'flag holds the letters L and/or U (P follows from passcode)',
          expression: 'flag',
        });
      if (flag?.includes('U') && passcode !== undefined)
        fail('invalid', {
          code: 'business-rule',
          id: 'SHL_FLAG_U_WITH_PASSCODE',
          text: 'A link with flag U (direct file download) cannot have a passcode: U skips the manifest, where the passcode is checked',
          expression: 'flag',
        });
      if (label !== undefined && label.length > 80)
        fail('invalid', {
          code: 'value',
          id: 'SHL_LABEL_TOO_LONG',
          text: `label holds at most 80 characters; this one has ${label.length}`,
          expression: 'label',
        });
      const maxAttempts = input.integer('maxAttempts', { min: 1, max: 100 });
      const viewerUrl = input.string('viewerUrl');
      // The viewer URL ends up in front of the link in QR codes and pages: a web origin only (no javascript:, data:…).
      if (viewerUrl !== undefined && !VIEWER_URL.test(viewerUrl))
        fail('invalid', {
          code: 'value',
          id: 'SHL_VIEWER_URL_INVALID',
          text: 'viewerUrl must be an https URL (http only on localhost)',
          expression: 'viewerUrl',
        });
      const request: IssueShlInput = {
        bundle,
        now: at,
        requester: req.requester ?? 'unknown',
        qrFormats: qrFormatsParam(input),
        ...(passcode !== undefined ? { passcode } : {}),
        ...(exp ? { exp } : {}),
        ...(label !== undefined ? { label } : {}),
        ...(flag ? { flag } : {}),
        ...(maxAttempts !== undefined ? { maxAttempts } : {}),
        ...(viewerUrl ? { viewerUrl } : {}),
      };
      const issued =
        input.boolean('vhl') === false
          ? await issueShl(credentials.issuer(), credentials.shl, request)
          : await issueVhl(credentials.issuer(), credentials.shl, request);
      const out = shlToParameters(issued);
      out.parameter!.splice(2, 0, {
        name: 'linkRecord',
        valueReference: { reference: `DocumentReference/${issued.recordId}` },
      });
      return { status: 200, resource: out };
    },
  });
}
