/** `gdhcn-gateway keys init`, run as a user would: the real bin script in a child process. */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = new URL('../../bin/gdhcn-gateway.js', import.meta.url).pathname;

async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, DATA_DIR: join(cwd, 'data') },
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

test('when keys init runs, then a CSCA, a DSC of the country signed by it and an SHC key are written; a second run refuses', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cli-'));
  const first = await cli(['keys', 'init', '--country', 'ke'], cwd);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain('Development keys for KE written to');
  const dir = join(cwd, 'data', 'keys');
  const files = readdirSync(dir);
  const pem = (name: string) =>
    readFileSync(join(dir, files.find((f) => f.includes(name) && f.endsWith('.pem') && !f.includes('key')) as string));
  const csca = new X509Certificate(pem('csca'));
  const dsc = new X509Certificate(pem('dsc'));
  expect(dsc.subject).toContain('C=KE');
  expect(dsc.verify(csca.publicKey)).toBe(true);

  const second = await cli(['keys', 'init', '--country', 'KE'], cwd);
  expect(second.code).toBe(1);
  expect(second.stdout).toMatch(/^DEV_KEYS_EXIST: Keys already exist in .*; refusing to overwrite them/);
});

test('when the command is unknown, then usage and exit code 2', async () => {
  const res = await cli(['frobnicate'], mkdtempSync(join(tmpdir(), 'cli-')));
  expect(res.code).toBe(2);
  expect(res.stdout).toContain('unknown command: frobnicate');
  expect(res.stdout).toContain('usage: gdhcn-gateway');
});
