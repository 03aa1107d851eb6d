/**
 * `$revoke-credential`: put an HCERT or SMART Health Card this server issued on its revocation list (idempotent).
 * Ids it never issued are 404, so a typo is caught rather than recorded. SMART Health Links (and VHLs) are revoked
 * by their record id: the record is removed, so the link is no longer served.
 * `$unrevoke-credential` takes an HCERT or SMART Health Card off the list again (a revocation made in error), under
 * a scope of its own; both leave the router's AuditEvent naming the revocation entry.
 */
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import { findIssuance } from '../../credentials/provenance.ts';
import { revocationEntryId, revokeCredential, unrevokeCredential } from '../../credentials/revocation.ts';
import { revokeShlRecord } from '../../credentials/shl-links.ts';
import { retireFolder } from '../../credentials/vhl-folder-record.ts';
import { fail } from '../../fhir/outcome.ts';
import type { ResourceStore } from '../../storage/store.ts';
import type { FhirResponse } from '../fhir-request.ts';
import type { OperationRoute } from '../routes.ts';
import { defineOperation } from './define.ts';

/** The credential a revoke or un-revoke names: 400 for a bad id, 404 for one this server never issued. */
async function issuedCredential(
  store: ResourceStore,
  given: string | undefined,
): Promise<{ credentialId: string; issued: NonNullable<Awaited<ReturnType<typeof findIssuance>>> }> {
  const credentialId = given?.trim();
  if (!credentialId || credentialId.length > 256)
    fail('invalid', {
      code: 'value',
      id: 'REVOKE_CREDENTIAL_ID_INVALID',
      text: 'credentialId must be the certificate id (1 to 256 characters)',
      expression: 'credentialId',
    });
  const issued = await findIssuance(store, credentialId);
  if (!issued)
    fail('not-found', {
      code: 'not-found',
      id: 'CREDENTIAL_NOT_ISSUED_HERE',
      text: `No credential with id ${credentialId} was issued by this server`,
      expression: 'credentialId',
    });
  return { credentialId, issued };
}

export function revokeCredentialOperation(now: () => Date): OperationRoute {
  return defineOperation('revoke-credential', {
    scope: OPERATION_SCOPES.revokeCredential,
    handle: async (ctx, req, _target, input) => {
      const { credentialId, issued } = await issuedCredential(ctx.store, input.string('credentialId'));
      if (issued.format === 'shl' || issued.format === 'vhl') {
        // A link is revoked by removing its record: the manifest URL then answers 404, and $verify says revoked.
        const removed = await revokeShlRecord(ctx.store, credentialId);
        // A VHL folder's List is retired too: the operator's view says so, and ITI-YY5 answers 403.
        if (issued.format === 'vhl') await retireFolder(ctx.store, credentialId);
        return revoked(!removed, `DocumentReference/${credentialId}`);
      }
      const reason = input.string('reason');
      const { entry, alreadyRevoked } = await revokeCredential(ctx.store, {
        credentialId,
        requester: req.requester ?? 'unknown',
        now: now(),
        ...(reason ? { reason } : {}),
      });
      return revoked(alreadyRevoked, `Basic/${entry.id}`);
    },
  });
}

export function unrevokeCredentialOperation(): OperationRoute {
  return defineOperation('unrevoke-credential', {
    scope: OPERATION_SCOPES.unrevokeCredential,
    handle: async (ctx, _req, _target, input) => {
      const { credentialId, issued } = await issuedCredential(ctx.store, input.string('credentialId'));
      if (issued.format === 'shl' || issued.format === 'vhl')
        fail('unprocessable', {
          code: 'business-rule',
          id: 'UNREVOKE_LINK_UNSUPPORTED',
          text: 'A revoked health link cannot be brought back (its record is removed); issue a new link instead',
          expression: 'credentialId',
        });
      const wasRevoked = await unrevokeCredential(ctx.store, credentialId);
      return {
        status: 200,
        resource: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'revoked', valueBoolean: false },
            { name: 'wasRevoked', valueBoolean: wasRevoked },
          ],
        },
        auditEntities: [`Basic/${revocationEntryId(credentialId)}`],
      };
    },
  });
}

/** The operation's answer: revoked, whether it already was, and the record that now says so. */
function revoked(alreadyRevoked: boolean, entry: string): FhirResponse {
  return {
    status: 200,
    resource: {
      resourceType: 'Parameters',
      parameter: [
        { name: 'revoked', valueBoolean: true },
        { name: 'alreadyRevoked', valueBoolean: alreadyRevoked },
        { name: 'entry', valueReference: { reference: entry } },
      ],
    },
  };
}
