/**
 * `gdhcn-gateway ig install [name@version ...]` (npm run ig:install): installs the packages of the lock list
 * ig/packages.json — or the ones named — with their dependencies from the FHIR package registry into the
 * shared FHIR package cache, where the server finds them at start-up. What that registry cannot give is asked of
 * the npm registry through the user's own npm (`npm view` / `npm pack`), at the nearest version npm has.
 */
import { fileURLToPath } from 'node:url';
import { readLock } from '../packages/lock.ts';
import { installFromRegistry, RegistryInstallError } from '../packages/registry-install.ts';
import { PackageUploadError } from '../packages/install.ts';
import { execNpm, npmPackageSource, type NpmRunner } from '../packages/npm-source.ts';

const LOCK = fileURLToPath(new URL('../../ig/packages.json', import.meta.url));
export const DEFAULT_REGISTRY = 'https://packages.fhir.org';

export interface IgInstallContext {
  env: Record<string, string | undefined>;
  out: (s: string) => void;
  fetch: typeof fetch;
  /** How `npm` is run (the npm registry source); tests pass a double. */
  npm?: NpmRunner;
}

export async function runIgInstall(args: string[], ctx: IgInstallContext): Promise<number> {
  const named = args.filter((a) => a !== '--');
  const bad = named.find((a) => !/^[^@#\s]+@[^@#\s]+$/.test(a));
  if (bad) {
    ctx.out(`"${bad}" is not name@version\n`);
    return 2;
  }
  const lock = readLock(LOCK);
  const refs = named.length > 0 ? named.map((a) => a.replace('@', '#')) : lock.packages.map((p) => p.package);
  const registry = ctx.env.FHIR_PACKAGE_REGISTRY ?? DEFAULT_REGISTRY;
  const cacheDir = ctx.env.FHIR_PACKAGE_CACHE ?? `${ctx.env.HOME ?? '.'}/.fhir/packages`;
  try {
    const report = await installFromRegistry(refs, {
      registry,
      cacheDir,
      fetch: ctx.fetch,
      expectedSha256: new Map(lock.packages.map((p) => [p.package, p.sha256])),
      log: (line) => ctx.out(`${line}\n`),
      fallback: npmPackageSource(ctx.npm ?? execNpm),
    });
    for (const r of report.installed) ctx.out(`installed ${r}\n`);
    for (const r of report.alreadyCached) ctx.out(`already in the cache: ${r}\n`);
    for (const r of report.skipped) ctx.out(`skipped ${r} (the server ships the R4 core definitions)\n`);
    for (const r of report.substituted) ctx.out(`substituted ${r} (the version asked is not published there)\n`);
    for (const r of report.unavailable)
      ctx.out(`unavailable ${r}: no registry has it; the server lists it as a missing dependency\n`);
    ctx.out(`Package cache: ${cacheDir}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof RegistryInstallError) && !(err instanceof PackageUploadError)) throw err;
    ctx.out(`ig install failed: ${err.message}\n`);
    ctx.out(
      'Without access to the registry, copy the package .tgz files into ig/packages/ or point FHIR_PACKAGES at them.\n',
    );
    return 1;
  }
}
