/**
 * Which npm dependencies of the project are looked up as FHIR packages in node_modules. Runtime dependencies all are
 * (a deployment installs them); development dependencies only when the lock list `ig/packages.json` names them, so a
 * developer's `npm ci` brings the locked IG packages the npm registry publishes (hl7.fhir.uv.ips) while the large
 * test-only ones (hl7.fhir.r4.examples, 5,000 examples) are never loaded by the server. A production install
 * (`npm ci --omit=dev`) has no development dependencies, so nothing changes there. ADR 0064.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/**
 * @example npmFhirPackageNames('/app', new Set(['hl7.fhir.uv.ips'])) // { dir: '/app/node_modules', names: [...runtime deps, 'hl7.fhir.uv.ips'] }
 */
export function npmFhirPackageNames(root: string, lockedIds: ReadonlySet<string>): { dir: string; names: string[] } {
  const path = join(root, 'package.json');
  const manifest = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : {};
  const dev = Object.keys(manifest.devDependencies ?? {}).filter((name) => lockedIds.has(name));
  return { dir: join(root, 'node_modules'), names: [...Object.keys(manifest.dependencies ?? {}), ...dev] };
}

/** True when `<dir>/<name>` is one of our npm placeholders (ig/npm-placeholders): a declared dependency npm lacks. */
export function isNpmPlaceholder(dir: string, name: string): boolean {
  const manifest = join(dir, name, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (
      (JSON.parse(readFileSync(manifest, 'utf8')) as { fhirPackagePlaceholder?: unknown }).fhirPackagePlaceholder ===
      true
    );
  } catch {
    return false;
  }
}
