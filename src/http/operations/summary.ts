/**
 * `Patient/{id}/$summary` and `Patient/$summary?identifier=system|value`: the IPS document of a stored patient,
 * checked against the IPS Bundle profile before it leaves (a 422 naming the errors rather than a non-conformant IPS).
 * https://hl7.org/fhir/uv/ips/STU2/OperationDefinition-summary.html
 */
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import { buildIpsSummary, IPS_BUNDLE_PROFILE } from '../../credentials/ips-summary.ts';
import { patientsWithIdentifier } from '../../credentials/patient-lookup.ts';
import { fail, issue, OutcomeError } from '../../fhir/outcome.ts';
import type { CredentialServices } from '../../services-credentials.ts';
import type { ResourceStore } from '../../storage/store.ts';
import type { OperationRoute } from '../routes.ts';
import { defineOperation } from './define.ts';
import { requireStored } from './records.ts';

/** The one stored Patient carrying `system|value` (or `value` in any system). */
async function patientByIdentifier(store: ResourceStore, token: string): Promise<Patient> {
  const bar = token.indexOf('|');
  const [system, code] = bar < 0 ? [undefined, token] : [token.slice(0, bar), token.slice(bar + 1)];
  if (code === '')
    fail('invalid', {
      code: 'value',
      id: 'SUMMARY_IDENTIFIER_INVALID',
      text: 'identifier is system|value or value, with a value',
      expression: 'identifier',
    });
  const found = await patientsWithIdentifier(store, system, code);
  if (found.length === 0)
    fail('not-found', {
      code: 'not-found',
      id: 'SUMMARY_PATIENT_NOT_FOUND',
      text: 'No stored Patient has this identifier',
      expression: 'identifier',
    });
  if (found.length > 1)
    fail('unprocessable', {
      code: 'multiple-matches',
      id: 'SUMMARY_IDENTIFIER_AMBIGUOUS',
      text: 'More than one stored Patient has this identifier',
      expression: 'identifier',
    });
  return found[0] as Patient;
}

/**
 * The IPS document of a stored patient, valid against the IPS Bundle profile when the IPS package is loaded
 * (422 SUMMARY_INVALID with the validator's errors otherwise). Shared by `$summary` and `Patient/{id}/$issue-shl`.
 */
export async function summaryOfPatient(
  credentials: CredentialServices,
  patient: Patient,
  options: { baseUrl: string; now: Date },
): Promise<Bundle> {
  const issuer = credentials.issuer();
  const bundle = await buildIpsSummary(issuer, { patient, baseUrl: options.baseUrl, now: options.now });
  const errors = (issuer.validate?.(bundle, IPS_BUNDLE_PROFILE).issue ?? []).filter(
    (i) => i.severity === 'error' || i.severity === 'fatal',
  );
  if (errors.length > 0) {
    throw new OutcomeError('unprocessable', [
      issue({
        code: 'invalid',
        id: 'SUMMARY_INVALID',
        text: `The summary of Patient/${patient.id} does not conform to ${IPS_BUNDLE_PROFILE}: the stored records need correcting`,
      }),
      ...errors,
    ]);
  }
  return bundle;
}

export function summaryOperation(credentials: CredentialServices, now: () => Date): OperationRoute {
  return defineOperation('summary', {
    scope: OPERATION_SCOPES.summary,
    handle: async (ctx, _req, target, input) => {
      const profile = input.string('profile');
      if (profile !== undefined && profile.split('|')[0] !== IPS_BUNDLE_PROFILE) {
        fail('invalid', {
          code: 'not-supported',
          id: 'SUMMARY_PROFILE_UNSUPPORTED',
          text: `Only ${IPS_BUNDLE_PROFILE} summaries are made`,
          expression: 'profile',
        });
      }
      const identifier = input.string('identifier');
      if (target.id !== undefined && identifier !== undefined) {
        fail('invalid', {
          code: 'invalid',
          id: 'SUMMARY_IDENTIFIER_WITH_ID',
          text: 'identifier is for Patient/$summary; Patient/{id}/$summary names the patient already',
          expression: 'identifier',
        });
      }
      if (target.id === undefined && identifier === undefined) {
        fail('invalid', {
          code: 'required',
          id: 'SUMMARY_IDENTIFIER_MISSING',
          text: 'Patient/$summary needs identifier=system|value',
          expression: 'identifier',
        });
      }
      const patient =
        target.id !== undefined
          ? await requireStored<Patient>(ctx.store, 'Patient', target.id, 'Patient')
          : await patientByIdentifier(ctx.store, identifier as string);
      return {
        status: 200,
        resource: await summaryOfPatient(credentials, patient, { baseUrl: ctx.settings.baseUrl, now: now() }),
      };
    },
  });
}
