/**
 * Installs IG packages from a FHIR package registry into the FHIR package cache that the HL7 tools share
 * (`<cache>/<id>#<version>/package/...`), with their dependencies. Every archive passes the same hostile-input
 * checks as an upload before a file is written; the network is an injected fetch.
 * https://confluence.hl7.org/display/FHIR/NPM+Package+Specification
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CORE_PACKAGE_ID } from './base-r4.ts';
import { checkPackageUpload, DEFAULT_UPLOAD_LIMITS } from './install.ts';
import type { PackageFallback } from './npm-source.ts';
import { scanTar } from './tar.ts';

export interface RegistryInstallOptions {
  registry: string;
  cacheDir: string;
  fetch: typeof fetch;
  /** Expected sha256 per `id#version` (from the lock list). */
  expectedSha256?: ReadonlyMap<string, string>;
  maxDownloadBytes?: number;
  log?: (line: string) => void;
  /** Asked when the FHIR package registry cannot give a package (e.g. the npm registry through `npm pack`). */
  fallback?: PackageFallback;
}

export interface InstallReport {
  installed: string[];
  alreadyCached: string[];
  /** Dependencies left out on purpose (the R4 core comes with the server). */
  skipped: string[];
  /** Packages installed at another version than asked (the nearest the fallback had): `asked → installed`. */
  substituted: string[];
  /**
   * Dependencies no source has at any version (hl7.fhir.uv.ipa on the npm registry): `id#version (needed by …)`.
   * Not fatal: the loader reports them as missing, as it does for any dependency it cannot find.
   */
  unavailable: string[];
}

export class RegistryInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryInstallError';
  }
}

/** No source has the package (404 from the registry and nothing from the fallback). */
export class PackageNotFoundError extends RegistryInstallError {
  constructor(message: string) {
    super(message);
    this.name = 'PackageNotFoundError';
  }
}

/**
 * Installs each `id#version` and, transitively, what it depends on. A package asked for by name must be found; a
 * dependency no source has is reported in `unavailable` and the install goes on (the IPS declares hl7.fhir.uv.ipa
 * 1.1.0, which the npm registry does not publish).
 */
export async function installFromRegistry(
  refs: readonly string[],
  options: RegistryInstallOptions,
): Promise<InstallReport> {
  const report: InstallReport = { installed: [], alreadyCached: [], skipped: [], substituted: [], unavailable: [] };
  const queue: { ref: string; neededBy?: string }[] = refs.map((ref) => ({ ref }));
  const seen = new Set<string>();
  // id → version installed by this run: a second dependent asking another version that is not in the cache gets the
  // same stand-in instead of a second download.
  const standIns = new Map<string, string>();
  while (queue.length > 0) {
    const { ref, neededBy } = queue.shift() as { ref: string; neededBy?: string };
    if (seen.has(ref)) continue;
    seen.add(ref);
    const [id, version] = ref.split('#');
    if (id === CORE_PACKAGE_ID) {
      report.skipped.push(ref);
      continue;
    }
    let manifestPath = join(options.cacheDir, `${id}#${version}`, 'package', 'package.json');
    if (existsSync(manifestPath)) report.alreadyCached.push(ref);
    else if (standIns.has(id)) {
      report.substituted.push(`${ref} → ${id}#${standIns.get(id)}`);
      continue;
    } else {
      let installed: string;
      try {
        installed = await installOne(id, version, options);
      } catch (err) {
        if (!(err instanceof PackageNotFoundError) || neededBy === undefined) throw err;
        options.log?.(err.message);
        report.unavailable.push(`${ref} (needed by ${neededBy})`);
        continue;
      }
      standIns.set(id, installed);
      manifestPath = join(options.cacheDir, `${id}#${installed}`, 'package', 'package.json');
      report.installed.push(`${id}#${installed}`);
      if (installed !== version) report.substituted.push(`${ref} → ${id}#${installed}`);
    }
    const deps =
      (JSON.parse(readFileSync(manifestPath, 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {};
    for (const [depId, depVersion] of Object.entries(deps))
      queue.push({ ref: `${depId}#${depVersion}`, neededBy: ref });
  }
  return report;
}

/** The archive of `id#version`: from the FHIR package registry, else from the fallback (maybe at a nearby version). */
async function fetchArchive(
  id: string,
  version: string,
  options: RegistryInstallOptions,
): Promise<{ bytes: Buffer; version: string; url: string }> {
  const url = `${options.registry.replace(/\/+$/, '')}/${encodeURIComponent(id)}/${encodeURIComponent(version)}`;
  options.log?.(`fetching ${id}#${version} from ${url}`);
  try {
    return { bytes: await download(url, options), version, url };
  } catch (err) {
    if (!(err instanceof RegistryInstallError) || !options.fallback) throw err;
    options.log?.(`${err.message}; asking ${options.fallback.name}`);
    const got = await options.fallback.fetch(id, version);
    if (!got) throw new PackageNotFoundError(`${err.message}; ${options.fallback.name} does not have ${id} either`);
    if (got.version !== version)
      options.log?.(
        `${options.fallback.name} has no ${id}#${version}; installing the nearest version it has, ${id}#${got.version}`,
      );
    return { ...got, url: `${options.fallback.name}: ${id}@${got.version}` };
  }
}

/** Installs one package into the cache; returns the version installed. */
async function installOne(id: string, asked: string, options: RegistryInstallOptions): Promise<string> {
  const { bytes, version, url } = await fetchArchive(id, asked, options);
  const folder = join(options.cacheDir, `${id}#${version}`);
  const ref = `${id}#${version}`;
  const sha = createHash('sha256').update(bytes).digest('hex');
  const expected = options.expectedSha256?.get(ref);
  if (expected && expected !== sha)
    throw new RegistryInstallError(`${ref}: the registry sent sha256 ${sha}, the lock list says ${expected}`);
  // Hostile-archive checks as for an upload; a registry package may share canonicals with the core (HL7 Terminology).
  const pkg = checkPackageUpload(bytes, DEFAULT_UPLOAD_LIMITS, { allowCoreCanonicals: true });
  if (`${pkg.id}#${pkg.version}` !== ref)
    throw new RegistryInstallError(`${url} holds ${pkg.id}#${pkg.version}, not ${ref}`);
  // Extract into a temporary folder, then rename, so a half-written package never looks installed.
  const temp = `${folder}.partial-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  for (const item of scanTar(bytes, { maxInflatedBytes: DEFAULT_UPLOAD_LIMITS.maxInflatedBytes })) {
    if (item.type !== '0' && item.type !== '7') continue;
    const target = join(temp, item.name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, item.data);
  }
  mkdirSync(dirname(folder), { recursive: true });
  if (existsSync(join(folder, 'package', 'package.json'))) rmSync(temp, { recursive: true, force: true });
  else renameSync(temp, folder);
  return version;
}

async function download(url: string, options: RegistryInstallOptions): Promise<Buffer> {
  let res: Response;
  try {
    res = await options.fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new RegistryInstallError(
      `cannot reach the FHIR package registry at ${options.registry} (${cause?.code ?? cause?.message ?? (err as Error).message})`,
    );
  }
  if (res.status === 404) throw new PackageNotFoundError(`${url} answered ${res.status} ${res.statusText}`);
  if (!res.ok) throw new RegistryInstallError(`${url} answered ${res.status} ${res.statusText}`);
  const max = options.maxDownloadBytes ?? 200 * 1024 * 1024;
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > max) throw new RegistryInstallError(`${url} is larger than ${max} bytes`);
  return buf;
}
