/**
 * `npx gdhcn-gateway validate` as a user runs it: the real bin script in a child process, with FHIR_PACKAGES
 * pointing at ../shared/fhir-packages. Pins the exit codes: 0 clean, 1 errors, 2 bad command line.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { loadPackages } from '../../src/packages/load-packages.ts';
import {
  BROKEN,
  brokenExpectations,
  REPO,
  SHARED_PACKAGES,
  spawnValidate,
  tempDir,
  writeExamples,
} from './validate-support.ts';

// Timeouts: each child process loads the packages itself (a few seconds on a busy 2-core machine).
const SLOW = 60_000;

describe('gdhcn-gateway validate (bin script)', () => {
  test(
    'when the who.ddcc examples are validated, then the exit code is 0 and every file succeeds',
    async () => {
      const set = await loadPackages({ dirs: [join(REPO, SHARED_PACKAGES)] });
      const ddcc = writeExamples(set, 'who.ddcc');
      const res = await spawnValidate([ddcc.dir]);
      expect(res.stdout).toMatch(new RegExp(`^Total: ${ddcc.files.length} files \\(0 with errors\\): 0 errors, `, 'm'));
      expect(res.code).toBe(0);
    },
    SLOW,
  );

  test(
    'when broken variants are validated, then the exit code is 1 and each file is a failure',
    async () => {
      const names = brokenExpectations()
        .slice(0, 5)
        .map((e) => join(BROKEN, `${e.name}.json`));
      const res = await spawnValidate(names);
      expect(res.code).toBe(1);
      expect(res.stdout.match(/^\*FAILURE\*: /gm)).toHaveLength(names.length);
      expect(res.stdout).toContain(`Total: ${names.length} files (${names.length} with errors)`);
    },
    SLOW,
  );

  test(
    'when the folder of broken variants is validated, then its expectations.json is reported as not a resource, and the exit code is 1',
    async () => {
      const res = await spawnValidate([BROKEN, '--format', 'json']);
      expect(res.code).toBe(1);
      const results = JSON.parse(res.stdout) as {
        file: string;
        outcome: { issue: { severity: string; details?: { coding?: { code?: string }[] } }[] };
      }[];
      const notResource = results.find((r) => r.file === join(BROKEN, 'expectations.json'));
      expect(notResource?.outcome.issue[0].details?.coding?.[0]?.code).toBe('CLI_NOT_A_RESOURCE');
      expect(results).toHaveLength(readdirSync(join(REPO, BROKEN)).filter((n) => n.endsWith('.json')).length);
      expect(
        results.filter((r) => r.outcome.issue.some((i) => i.severity === 'error' || i.severity === 'fatal')),
      ).toHaveLength(results.length);
    },
    SLOW,
  );

  test('when the command line is wrong, then the exit code is 2 with the usage', async () => {
    const res = await spawnValidate(['--format', 'pdf', 'x.json']);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain('--format must be one of text, json, html, got "pdf"');
    expect(res.stdout).toContain('usage: gdhcn-gateway validate');
  });

  test(
    'when --output names an HTML file, then the page is written and standard output gives the total',
    async () => {
      const out = join(tempDir('cli-html-'), 'report.html');
      const res = await spawnValidate([join(BROKEN, 'imm-bad-id.json'), '--format', 'html', '--output', out]);
      expect(res.code).toBe(1);
      expect(res.stdout).toMatch(/^Total: 1 file \(1 with errors\): 1 error, /);
      expect(readFileSync(out, 'utf8')).toContain('<code>Immunization.id</code>');
    },
    SLOW,
  );

  test('when the bin script is executed itself (as npm links it), then its shebang starts Node with its V8 flag', async () => {
    const bin = join(REPO, 'bin/gdhcn-gateway.js');
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env -S node --max-semi-space-size=16');
    const { stdout } = await promisify(execFile)(bin, ['validate', '--help'], {
      cwd: REPO,
      env: { PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
    });
    expect(stdout).toContain('usage: gdhcn-gateway validate');
  });
});
