/** `$revoke-credential`: put an HCERT this server issued on its revocation list (idempotent). */
import { revokeCredential } from '../../credentials/revocation.ts';
import { fail } from '../../fhir/outcome.ts';
import type { OperationRoute } from '../routes.ts';
import { loadOperationDefinition, readOperationInput, stringParam } from './input.ts';

export function revokeCredentialOperation(now: () => Date): OperationRoute {
  const def = loadOperationDefinition('revoke-credential');
  return {
    code: 'revoke-credential',
    definition: def.url as string,
    levels: ['system'],
    methods: ['POST'],
    handle: async (ctx, req) => {
      const input = readOperationInput(def, req);
      const credentialId = stringParam(input, 'credentialId')?.trim();
      if (!credentialId || credentialId.length > 256) fail('invalid', { code: 'value', id: 'REVOKE_CREDENTIAL_ID_INVALID', text: 'credentialId must be the certificate id (1 to 256 characters)', expression: 'credentialId' });
      const reason = stringParam(input, 'reason');
      const { entry, alreadyRevoked } = await revokeCredential(ctx.store, { credentialId, requester: req.requester ?? 'unknown', now: now(), ...(reason ? { reason } : {}) });
      return {
        status: 200,
        resource: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'revoked', valueBoolean: true },
            { name: 'alreadyRevoked', valueBoolean: alreadyRevoked },
            { name: 'entry', valueReference: { reference: `Basic/${entry.id}` } },
          ],
        },
      };
    },
  };
}
