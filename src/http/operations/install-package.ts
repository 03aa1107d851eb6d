/**
 * $install-package: an IG package uploaded at run time becomes usable for validation at once, without a
 * restart. The archive is checked in memory (packages/install.ts) before a byte is written.
 */
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import { checkPackageUpload, PackageUploadError, savePackage, type PackageUploadCode } from '../../packages/install.ts';
import { fail, issue, outcome, type OutcomeKind } from '../../fhir/outcome.ts';
import type { ValidationService } from '../../services-validation.ts';
import type { OperationRoute } from '../routes.ts';
import { loadOperationDefinition } from './input.ts';

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

export function installPackageOperation(validation: ValidationService, options: { enabled: boolean }): OperationRoute {
  const def = loadOperationDefinition('install-package');
  return {
    code: 'install-package',
    definition: def.url as string,
    levels: ['system'],
    methods: ['POST'],
    scope: OPERATION_SCOPES.installPackage,
    handle: async (_ctx, req) => {
      if (!options.enabled) {
        fail('forbidden', { code: 'forbidden', id: 'PACKAGE_INSTALL_DISABLED', text: 'Installing packages at run time is disabled on this server (PACKAGE_INSTALL=false)' });
      }
      if (!Buffer.isBuffer(req.body)) {
        fail('unsupported-media-type', { code: 'not-supported', id: 'PACKAGE_BODY_REQUIRED', text: 'Send the package.tgz as the body with Content-Type application/gzip' });
      }
      const pkg = checked(req.body);
      const ref = `${pkg.id}#${pkg.version}`;
      const loaded = validation.current().packages.packages.find((p) => p.id === pkg.id && p.version === pkg.version);
      if (loaded && loaded.sha256 === pkg.sha256) {
        return { status: 200, resource: outcome([issue({ severity: 'information', code: 'informational', id: 'PACKAGE_UNCHANGED', text: `${ref} is already installed` })]) };
      }
      if (loaded && !loaded.source.startsWith(validation.packageStoreDir)) {
        fail('conflict', { code: 'duplicate', id: 'PACKAGE_ALREADY_LOADED', text: `${ref} is already loaded from ${loaded.source}; remove it there first` });
      }
      const { replaced } = savePackage(req.body, pkg, validation.packageStoreDir);
      const state = await validation.reload();
      const warnings = state.packages.warnings.filter((w) => w.includes(pkg.id));
      return {
        status: replaced ? 200 : 201,
        resource: outcome([
          issue({ severity: 'information', code: 'informational', id: 'PACKAGE_INSTALLED', text: `Installed ${ref}: ${pkg.resources.length} resources, usable for validation now` }),
          ...warnings.map((w) => issue({ severity: 'warning', code: 'not-found', id: 'PACKAGE_WARNING', text: w })),
        ]),
      };
    },
  };
}

function checked(bytes: Buffer) {
  try {
    return checkPackageUpload(bytes);
  } catch (err) {
    if (!(err instanceof PackageUploadError)) throw err;
    return fail(KIND[err.code], { code: err.code === 'PACKAGE_TOO_LARGE' ? 'too-costly' : 'security', id: err.code, text: err.message });
  }
}
