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
import { scanTar } from './tar.ts';

export interface RegistryInstallOptions {
  registry: string;
  cacheDir: string;
  fetch: typeof fetch;
  /** Expected sha256 per `id#version` (from the lock list). */
  expectedSha256?: ReadonlyMap<string, string>;
  maxDownloadBytes?: number;
  log?: (line: string) => void;
}

export interface InstallReport {
  installed: string[];
  alreadyCached: string[];
  /** Dependencies left out on purpose (the R4 core comes with the server). */
  skipped: string[];
}

export class RegistryInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryInstallError';
  }
}

/** Installs each `id#version` and, transitively, what it depends on. */
export async function installFromRegistry(refs: readonly string[], options: RegistryInstallOptions): Promise<InstallReport> {
  const report: InstallReport = { installed: [], alreadyCached: [], skipped: [] };
  const queue = [...refs];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const ref = queue.shift() as string;
    if (seen.has(ref)) continue;
    seen.add(ref);
    const [id, version] = ref.split('#');
    if (id === CORE_PACKAGE_ID) {
      report.skipped.push(ref);
      continue;
    }
    const folder = join(options.cacheDir, `${id}#${version}`);
    const manifestPath = join(folder, 'package', 'package.json');
    if (existsSync(manifestPath)) report.alreadyCached.push(ref);
    else {
      await installOne(id, version, folder, options);
      report.installed.push(ref);
    }
    const deps = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {};
    for (const [depId, depVersion] of Object.entries(deps)) queue.push(`${depId}#${depVersion}`);
  }
  return report;
}

async function installOne(id: string, version: string, folder: string, options: RegistryInstallOptions): Promise<void> {
  const url = `${options.registry.replace(/\/+$/, '')}/${encodeURIComponent(id)}/${encodeURIComponent(version)}`;
  options.log?.(`fetching ${id}#${version} from ${url}`);
  const bytes = await download(url, options);
  const ref = `${id}#${version}`;
  const sha = createHash('sha256').update(bytes).digest('hex');
  const expected = options.expectedSha256?.get(ref);
  if (expected && expected !== sha) throw new RegistryInstallError(`${ref}: the registry sent sha256 ${sha}, the lock list says ${expected}`);
  const pkg = checkPackageUpload(bytes);
  if (`${pkg.id}#${pkg.version}` !== ref) throw new RegistryInstallError(`${url} holds ${pkg.id}#${pkg.version}, not ${ref}`);
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
  renameSync(temp, folder);
}

async function download(url: string, options: RegistryInstallOptions): Promise<Buffer> {
  let res: Response;
  try {
    res = await options.fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new RegistryInstallError(`cannot reach the FHIR package registry at ${options.registry} (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  if (!res.ok) throw new RegistryInstallError(`${url} answered ${res.status} ${res.statusText}`);
  const max = options.maxDownloadBytes ?? 200 * 1024 * 1024;
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > max) throw new RegistryInstallError(`${url} is larger than ${max} bytes`);
  return buf;
}
