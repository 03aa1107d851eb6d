/**
 * Shared by the `validate` CLI tests: runs the command in-process with a memoised package loader (the real
 * packages of ../shared/fhir-packages load once per test file), or as the real bin script in a child process.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadPackages, type LoadPackagesOptions } from '../../src/packages/load-packages.ts';
import type { PackageSet } from '../../src/packages/types.ts';
import { runValidate } from '../../src/cli/validate.ts';

export const REPO = join(import.meta.dirname, '../..');
/** Relative to the repository root, as a developer or CI sets it. */
export const SHARED_PACKAGES = '../shared/fhir-packages';
export const DDCC_TGZ = join(SHARED_PACKAGES, 'who.ddcc#1.0.0.tgz');
export const BROKEN = 'test/fixtures/broken';
const BIN = join(REPO, 'bin/gdhcn-gateway.js');

export interface Expectation {
  name: string;
  errors: [string, string][];
  warnings: [string, string][];
}

export function brokenExpectations(): Expectation[] {
  return JSON.parse(readFileSync(join(REPO, BROKEN, 'expectations.json'), 'utf8')) as Expectation[];
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** One per test file, so that the memoised loader sees the same package sources from test to test. */
const EMPTY_HOME = tempDir('cli-home-');

/** An environment that finds the shared packages and nothing from the user's own package cache. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    FHIR_PACKAGES: SHARED_PACKAGES,
    FHIR_PACKAGE_CACHE: join(EMPTY_HOME, 'no-cache'),
    HOME: EMPTY_HOME,
    ...extra,
  };
}

/** A loader that reads each distinct set of package sources once per test file. */
export function memoisedLoader(): (options: LoadPackagesOptions) => Promise<PackageSet> {
  const cache = new Map<string, Promise<PackageSet>>();
  return (options) => {
    const key = JSON.stringify(options);
    if (!cache.has(key)) cache.set(key, loadPackages(options));
    return cache.get(key) as Promise<PackageSet>;
  };
}

export interface CliRun {
  code: number;
  stdout: string;
}

export function inProcess(load: (options: LoadPackagesOptions) => Promise<PackageSet>) {
  return async (args: string[], env = testEnv(), cwd = REPO): Promise<CliRun> => {
    let stdout = '';
    const code = await runValidate(args, { env, cwd, out: (s) => (stdout += s), load });
    return { code, stdout };
  };
}

/** `gdhcn-gateway validate ...` through the real bin script, run by this Node (24). */
export async function spawnValidate(args: string[], env = testEnv(), cwd = REPO): Promise<CliRun> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'validate', ...args], {
      cwd,
      env: { PATH: process.env.PATH, ...env },
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout };
  }
}

/** Writes the examples of one loaded package into a fresh folder, one file each; returns the folder. */
export function writeExamples(set: PackageSet, packageId: string): { dir: string; files: string[] } {
  const pkg = set.packages.find((p) => p.id === packageId);
  if (pkg === undefined) throw new Error(`package ${packageId} is not loaded`);
  const dir = join(tempDir('cli-examples-'), packageId);
  mkdirSync(dir);
  for (const ex of pkg.examples) writeFileSync(join(dir, ex.file), JSON.stringify(ex.resource, null, 2));
  return { dir, files: pkg.examples.map((e) => e.file).sort() };
}
