/**
 * The npm registry as a source of FHIR packages (HL7 publishes many there under their FHIR ids, e.g.
 * `hl7.fhir.uv.ips`): asked through the user's own `npm` (`npm view`, `npm pack`), so the registry, mirrors,
 * proxies and credentials of their npm configuration apply. A version npm does not have is replaced by the nearest
 * one it has, and the caller is told which.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { nearestVersion } from './nearest-version.ts';

export interface NpmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm <args>` (no shell); injected so tests never reach a registry. */
export type NpmRunner = (args: readonly string[]) => Promise<NpmResult>;

export interface FetchedPackage {
  bytes: Buffer;
  /** The version fetched: the one asked for, or the nearest npm has. */
  version: string;
}

/** A place to get a package archive from when the FHIR package registry cannot give it. */
export interface PackageFallback {
  readonly name: string;
  fetch(id: string, version: string): Promise<FetchedPackage | undefined>;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/i;

export const execNpm: NpmRunner = (args) =>
  new Promise((resolve) => {
    execFile('npm', [...args], { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({
        code: err ? ((err as { code?: unknown }).code as number) || 1 : 0,
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });

function parseVersions(stdout: string): string[] {
  try {
    const v = JSON.parse(stdout) as unknown;
    return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
  } catch {
    return [];
  }
}

/**
 * @example const npm = npmPackageSource(execNpm); await npm.fetch('hl7.fhir.uv.ips', '2.0.0') // { bytes, version: '2.0.0' }
 */
export function npmPackageSource(run: NpmRunner): PackageFallback {
  return {
    name: 'the npm registry (npm pack)',
    async fetch(id, version) {
      if (!NAME.test(id)) return undefined;
      const view = await run(['view', id, 'versions', '--json']);
      if (view.code !== 0) return undefined;
      const picked = nearestVersion(version, parseVersions(view.stdout));
      if (picked === undefined) return undefined;
      const dir = mkdtempSync(join(tmpdir(), 'gdhcn-npm-pack-'));
      try {
        const pack = await run(['pack', `${id}@${picked}`, '--pack-destination', dir, '--json']);
        if (pack.code !== 0) return undefined;
        const [first] = JSON.parse(pack.stdout) as { filename?: string }[];
        if (!first?.filename) return undefined;
        return { bytes: readFileSync(join(dir, basename(first.filename))), version: picked };
      } catch {
        return undefined;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
