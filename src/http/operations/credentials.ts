/** `Patient/{id}/$credentials`: what was issued for a patient, newest first, from the issuance Provenance records. */
import type { ParametersParameter } from '@medplum/fhirtypes';
import { listCredentials } from '../../credentials/provenance.ts';
import type { OperationRoute } from '../routes.ts';
import { defineOperation } from './define.ts';
import { requireStored } from './records.ts';

export function credentialsOperation(): OperationRoute {
  return defineOperation('credentials', {
    scope: 'system/Provenance.rs',
    handle: async (ctx, _req, target) => {
      const id = target.id as string;
      await requireStored(ctx.store, 'Patient', id, 'Patient');
      const parameter: ParametersParameter[] = (await listCredentials(ctx.store, id)).map((c) => ({
        name: 'credential',
        part: [
          { name: 'format', valueCode: c.format },
          { name: 'credentialId', valueString: c.credentialId },
          ...(c.kid ? [{ name: 'kid', valueString: c.kid }] : []),
          { name: 'issuedAt', valueInstant: c.issuedAt.toISOString() },
          ...(c.expiresAt ? [{ name: 'expiresAt', valueInstant: c.expiresAt.toISOString() }] : []),
          { name: 'requester', valueString: c.requester },
          ...c.sources.map((s) => ({ name: 'source', valueReference: { reference: s } })),
          { name: 'provenance', valueReference: { reference: `Provenance/${c.provenanceId}` } },
        ],
      }));
      return { status: 200, resource: { resourceType: 'Parameters', parameter } };
    },
  });
}
