/**
 * $install-package: an IG package uploaded at run time becomes usable for validation at once, without a
 * restart. The archive is checked in memory (packages/install.ts) before a byte is written.
 */
import { createHash } from 'node:crypto';
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import { checkPackageUpload, PackageUploadError, savePackage, type PackageUploadCode } from '../../packages/install.ts';
import { fail, issue, outcome, OutcomeError, type OutcomeKind } from '../../fhir/outcome.ts';
import { isCorePackageId, takenCanonical } from '../../packages/integrity.ts';
import type { AuditFacts } from '../../audit/audit-event.ts';
import type { FhirResponse, RestContext } from '../fhir-request.ts';
import { statusOf } from '../status.ts';
import type { ValidationService } from '../../services-validation.ts';
import type { OperationRoute } from '../routes.ts';
import { defineOperation } from './define.ts';
import { publicName, withoutPaths } from '../hardening.ts';

const KIND: Record<PackageUploadCode, OutcomeKind> = {
  PACKAGE_NOT_GZIP: 'unsupported-media-type',
  PACKAGE_TOO_LARGE: 'too-large',
  PACKAGE_CORRUPT: 'invalid',
  PACKAGE_TOO_MANY_ENTRIES: 'too-large',
  PACKAGE_LINK: 'invalid',
  PACKAGE_PATH_UNSAFE: 'invalid',
  PACKAGE_MANIFEST_INVALID: 'invalid',
  PACKAGE_CLAIMS_CORE: 'invalid',
};

/** One install attempt, for the audit trail: an AuditEvent (subtype `package-install`) and a log line. */
export interface PackageInstallAudit {
  outcome: 'installed' | 'replaced' | 'unchanged' | 'refused';
  /** `id#version` when the archive could be read. */
  package?: string;
  sha256?: string;
  /** The message id of a refusal. */
  reason?: string;
  requester?: string;
}

export interface InstallPackageOptions {
  enabled: boolean;
  /** PACKAGE_OVERRIDE_LOCKED: an upload may redefine canonicals of pinned packages. */
  allowOverride?: boolean;
  /** Called for every attempt, installed or refused: the hook where an AuditEvent is recorded. */
  audit?: (event: PackageInstallAudit) => void;
}

export function installPackageOperation(validation: ValidationService, options: InstallPackageOptions): OperationRoute {
  return defineOperation('install-package', {
    scope: OPERATION_SCOPES.installPackage,
    // The body is the package archive itself, not Parameters.
    readInput: false,
    handle: async (ctx, req) => {
      const audit = (e: PackageInstallAudit, status: number) => {
        options.audit?.(e);
        // Beside the router's AuditEvent of the request: this one names the package and its digest.
        ctx.audit?.log.enqueue(packageAuditFacts(ctx, e, status));
      };
      try {
        const answer = await install(validation, options, req.body);
        audit({ ...answer.audit, requester: req.requester }, answer.response.status);
        return answer.response;
      } catch (err) {
        const id = err instanceof OutcomeError ? err.outcome.issue?.[0]?.details?.coding?.[0]?.code : 'INTERNAL_ERROR';
        audit(
          { outcome: 'refused', reason: id, requester: req.requester, ...describe(req.body) },
          err instanceof OutcomeError ? statusOf(err.kind) : 500,
        );
        throw err;
      }
    },
  });
}

/** The AuditEvent facts of one install attempt: who, the outcome, the package (`id#version`) and its sha256. */
function packageAuditFacts(ctx: RestContext, e: PackageInstallAudit, status: number): AuditFacts {
  const a = ctx.auth;
  const detail = [e.outcome, e.package, e.sha256 ? `sha256:${e.sha256}` : undefined, e.reason]
    .filter(Boolean)
    .join(' ');
  return {
    subtype: 'package-install',
    action: 'E',
    status,
    ...(a?.kind === 'client' ? { clientId: a.clientId } : {}),
    address: a?.address ?? 'internal',
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    detail,
    recorded: ctx.audit?.now() ?? new Date(),
  };
}

/** The sha256 of a refused upload, for the audit (the archive itself is not read again). */
function describe(body: unknown): { sha256?: string } {
  return Buffer.isBuffer(body) ? { sha256: createHash('sha256').update(body).digest('hex') } : {};
}

async function install(
  validation: ValidationService,
  options: InstallPackageOptions,
  body: unknown,
): Promise<{ response: FhirResponse; audit: PackageInstallAudit }> {
  if (!options.enabled) {
    fail('forbidden', {
      code: 'forbidden',
      id: 'PACKAGE_INSTALL_DISABLED',
      text: 'Installing packages at run time is disabled on this server (PACKAGE_INSTALL=false)',
    });
  }
  if (!Buffer.isBuffer(body)) {
    fail('unsupported-media-type', {
      code: 'not-supported',
      id: 'PACKAGE_BODY_REQUIRED',
      text: 'Send the package.tgz as the body with Content-Type application/gzip',
    });
  }
  const pkg = checked(body);
  const ref = `${pkg.id}#${pkg.version}`;
  if (isCorePackageId(pkg.id)) {
    fail('forbidden', {
      code: 'security',
      id: 'PACKAGE_CORE_REFUSED',
      text: `${pkg.id} is a FHIR core package; the core comes with the server and cannot be uploaded`,
    });
  }
  const taken = options.allowOverride
    ? undefined
    : takenCanonical(pkg, validation.current().packages, validation.pinned);
  if (taken) {
    fail('conflict', {
      code: 'security',
      id: 'PACKAGE_CANONICAL_TAKEN',
      text: `${taken.resourceType} ${taken.url} is defined by ${taken.owner}, a core, locked or configured package; an upload may not replace it (PACKAGE_OVERRIDE_LOCKED=true allows it)`,
    });
  }
  const loaded = validation.current().packages.packages.find((p) => p.id === pkg.id && p.version === pkg.version);
  if (loaded && loaded.sha256 === pkg.sha256) {
    return {
      response: {
        status: 200,
        resource: outcome([
          issue({
            severity: 'information',
            code: 'informational',
            id: 'PACKAGE_UNCHANGED',
            text: `${ref} is already installed`,
          }),
        ]),
      },
      audit: { outcome: 'unchanged', package: ref, sha256: pkg.sha256 },
    };
  }
  if (loaded && !loaded.source.startsWith(validation.packageStoreDir)) {
    fail('conflict', {
      code: 'duplicate',
      id: 'PACKAGE_ALREADY_LOADED',
      text: `${ref} is already loaded from ${publicName(loaded.source)} (not an uploaded package); remove it there first`,
    });
  }
  const { replaced } = savePackage(body, pkg, validation.packageStoreDir);
  const state = await validation.reload();
  const warnings = state.packages.warnings.filter((w) => w.includes(pkg.id));
  const response: FhirResponse = {
    status: replaced ? 200 : 201,
    resource: outcome([
      issue({
        severity: 'information',
        code: 'informational',
        id: 'PACKAGE_INSTALLED',
        text: `Installed ${ref}: ${pkg.resources.length} resources, usable for validation now`,
      }),
      ...warnings.map((w) =>
        issue({ severity: 'warning', code: 'not-found', id: 'PACKAGE_WARNING', text: withoutPaths(w) }),
      ),
    ]),
  };
  return { response, audit: { outcome: replaced ? 'replaced' : 'installed', package: ref, sha256: pkg.sha256 } };
}

function checked(bytes: Buffer) {
  try {
    return checkPackageUpload(bytes);
  } catch (err) {
    if (!(err instanceof PackageUploadError)) throw err;
    return fail(KIND[err.code], {
      code: err.code === 'PACKAGE_TOO_LARGE' ? 'too-costly' : 'security',
      id: err.code,
      text: err.message,
    });
  }
}
