/**
 * Reads one FHIR NPM package (a `.tgz` or an unpacked folder) into memory.
 * https://confluence.hl7.org/display/FHIR/NPM+Package+Specification
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTar } from './tar.ts';
import type { AnyResource, FhirPackage, PackageExample } from './types.ts';

interface Manifest {
  name?: string;
  version?: string;
  canonical?: string;
  fhirVersions?: string[];
  dependencies?: Record<string, string>;
}

interface RawFile {
  readonly name: string;
  readonly data: Buffer;
}

function parseJson(file: RawFile, source: string): unknown {
  try {
    return JSON.parse(file.data.toString('utf8'));
  } catch (err) {
    throw new Error(`${source}: ${file.name} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

function isResource(v: unknown): v is AnyResource {
  return typeof v === 'object' && v !== null && typeof (v as AnyResource).resourceType === 'string';
}

/** Builds a package from its files, named relative to the archive root (`package/...`). */
export function packageFromFiles(files: readonly RawFile[], source: string, sha256?: string): FhirPackage {
  const manifestFile = files.find((f) => f.name === 'package/package.json');
  if (!manifestFile) throw new Error(`${source}: no package/package.json`);
  const manifest = parseJson(manifestFile, source) as Manifest;
  if (!manifest.name || !manifest.version) throw new Error(`${source}: package.json lacks name or version`);
  const resources: AnyResource[] = [];
  const examples: PackageExample[] = [];
  for (const f of files) {
    if (!f.name.endsWith('.json') || f.name.endsWith('/package.json') || /\/\.[^/]*$/.test(f.name)) continue;
    const rel = f.name.slice('package/'.length);
    if (!f.name.startsWith('package/')) continue;
    const inExample = rel.startsWith('example/') && !rel.slice(8).includes('/');
    if (!inExample && rel.includes('/')) continue;
    const json = parseJson(f, source);
    if (!isResource(json)) continue;
    if (inExample) examples.push({ file: rel.slice(8), resource: json });
    else resources.push(json);
  }
  examples.sort((a, b) => a.file.localeCompare(b.file));
  return {
    id: manifest.name,
    version: manifest.version,
    fhirVersion: manifest.fhirVersions?.[0] ?? '4.0.1',
    canonical: manifest.canonical,
    dependencies: manifest.dependencies ?? {},
    resources,
    examples,
    source,
    sha256,
  };
}

/** Reads a `package.tgz` entirely in memory (nothing is extracted to disk). */
export function readPackageTgz(path: string): FhirPackage {
  const bytes = readFileSync(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return packageFromFiles(readTar(bytes), path, sha256);
}

function listFiles(dir: string, prefix: string, depth: number): RawFile[] {
  const out: RawFile[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = statSync(full);
    if (st.isDirectory() && depth > 0) out.push(...listFiles(full, `${prefix}${name}/`, depth - 1));
    else if (st.isFile() && name.endsWith('.json')) out.push({ name: `${prefix}${name}`, data: readFileSync(full) });
  }
  return out;
}

/** Reads an unpacked package: either the folder holding `package/` or the `package/` folder itself. */
export function readPackageDir(path: string): FhirPackage {
  const root = existsSync(join(path, 'package', 'package.json')) ? join(path, 'package') : path;
  return packageFromFiles(listFiles(root, 'package/', 1), path);
}
