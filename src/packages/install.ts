/**
 * Checking an uploaded package before anything is written: an archive from the network is hostile until
 * shown otherwise. Refused: anything but gzip, a gzip bomb, too many or too large entries, links, paths that
 * leave `package/`, a manifest whose id or version could not be a file name, and resources that claim a
 * canonical of the FHIR core (an IG may not redefine Patient).
 */
import { createHash } from 'node:crypto';
import { renameSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readBaseR4 } from './base-r4.ts';
import { packageFromFiles } from './read-package.ts';
import { scanTar, type TarItem } from './tar.ts';
import type { FhirPackage } from './types.ts';

export type PackageUploadCode =
  | 'PACKAGE_NOT_GZIP'
  | 'PACKAGE_TOO_LARGE'
  | 'PACKAGE_CORRUPT'
  | 'PACKAGE_TOO_MANY_ENTRIES'
  | 'PACKAGE_LINK'
  | 'PACKAGE_PATH_UNSAFE'
  | 'PACKAGE_MANIFEST_INVALID'
  | 'PACKAGE_CLAIMS_CORE';

export class PackageUploadError extends Error {
  readonly code: PackageUploadCode;
  constructor(code: PackageUploadCode, message: string) {
    super(message);
    this.name = 'PackageUploadError';
    this.code = code;
  }
}

export interface UploadLimits {
  maxInflatedBytes: number;
  maxEntries: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxInflatedBytes: 256 * 1024 * 1024, maxEntries: 20_000 };

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/i;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/;
const ALLOWED_TYPES = new Set(['0', '7', '5']);

/**
 * Reads and checks an uploaded package.tgz entirely in memory; throws PackageUploadError on the first problem.
 * `allowCoreCanonicals` is for what the operator installs from a registry (`ig install`): HL7 Terminology
 * (hl7.terminology.r4, a dependency of the IPS) republishes the terminology.hl7.org code systems the R4 core also
 * carries, by design; an upload at run time may never do that.
 */
export function checkPackageUpload(
  bytes: Buffer,
  limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
  { allowCoreCanonicals = false }: { allowCoreCanonicals?: boolean } = {},
): FhirPackage {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b)
    throw new PackageUploadError('PACKAGE_NOT_GZIP', 'A package is a gzipped tar archive (package.tgz)');
  const items = readArchive(bytes, limits);
  if (items.length > limits.maxEntries)
    throw new PackageUploadError('PACKAGE_TOO_MANY_ENTRIES', `The archive has more than ${limits.maxEntries} entries`);
  for (const item of items) checkItem(item);
  const files = items.filter((i) => i.type !== '5');
  let pkg: FhirPackage;
  try {
    pkg = packageFromFiles(files, 'upload', createHash('sha256').update(bytes).digest('hex'));
  } catch (err) {
    throw new PackageUploadError('PACKAGE_MANIFEST_INVALID', (err as Error).message);
  }
  if (!NAME.test(pkg.id) || !VERSION.test(pkg.version)) {
    throw new PackageUploadError(
      'PACKAGE_MANIFEST_INVALID',
      `"${pkg.id}#${pkg.version}" is not a valid package id and version`,
    );
  }
  if (!allowCoreCanonicals) checkNoCoreCanonicals(pkg);
  return pkg;
}

function readArchive(bytes: Buffer, limits: UploadLimits): TarItem[] {
  try {
    return scanTar(bytes, { maxInflatedBytes: limits.maxInflatedBytes });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new PackageUploadError(
        'PACKAGE_TOO_LARGE',
        `The archive inflates to more than ${limits.maxInflatedBytes} bytes`,
      );
    }
    throw new PackageUploadError('PACKAGE_CORRUPT', `The archive cannot be read: ${(err as Error).message}`);
  }
}

function checkItem(item: TarItem): void {
  if (item.type === '1' || item.type === '2')
    throw new PackageUploadError('PACKAGE_LINK', `The archive holds a link (${item.name}); packages may not`);
  if (!ALLOWED_TYPES.has(item.type))
    throw new PackageUploadError('PACKAGE_LINK', `The archive holds a special file (${item.name}, type ${item.type})`);
  const segments = item.name.split('/');
  if (item.name.startsWith('/') || segments.includes('..') || segments[0] !== 'package' || item.name.includes('\0')) {
    throw new PackageUploadError('PACKAGE_PATH_UNSAFE', `The entry "${item.name}" is outside package/`);
  }
}

function checkNoCoreCanonicals(pkg: FhirPackage): void {
  const core = new Set(
    readBaseR4()
      .resources.map((r) => (r as { url?: string }).url)
      .filter(Boolean),
  );
  const claimed = pkg.resources.find((r) => {
    const url = (r as { url?: string }).url;
    return url !== undefined && core.has(url);
  });
  if (claimed) {
    throw new PackageUploadError(
      'PACKAGE_CLAIMS_CORE',
      `${claimed.resourceType} ${(claimed as { url?: string }).url} belongs to the FHIR core; a package may not redefine it`,
    );
  }
}

/** Writes the checked archive as `<dir>/<id>#<version>.tgz` (atomically: temp file, then rename). */
export function savePackage(bytes: Buffer, pkg: FhirPackage, dir: string): { path: string; replaced: boolean } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${pkg.id}#${pkg.version}.tgz`);
  const replaced = existsSync(path);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, bytes);
  renameSync(temp, path);
  return { path, replaced };
}
