/**
 * Child process of bench:validate: runs the CLI's `validate` on one folder in this process (as
 * `gdhcn-gateway validate <dir> --format json --output <file>` does) and prints its peak resident memory, so the
 * figure is that of a fresh CLI process and not of the bench. Last line: {"peak_rss_mb":…,"files":…,"seconds":…}
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runValidate } from '../src/cli/validate.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/validate-cli-memory.ts <folder>');
const t0 = performance.now();
let printed = '';
const output = join(tmpdir(), `gdhcn-bench-cli-${process.pid}.json`);
const code = await runValidate([dir, '--format', 'json', '--output', output], {
  env: process.env,
  cwd: process.cwd(),
  out: (s) => {
    printed += s;
  },
});
rmSync(output, { force: true });
const files = /(\d+) files?/.exec(printed)?.[1];
console.log(
  JSON.stringify({
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    files: files === undefined ? null : Number(files),
    exit_code: code,
    seconds: Math.round((performance.now() - t0) / 1000),
  }),
);
