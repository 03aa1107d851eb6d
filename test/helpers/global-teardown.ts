/** Runs once after every test file (jest globalTeardown): the run fails if any test tried an outbound connection. */
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

export default function globalTeardown(): void {
  const file = process.env.GDHCN_NO_NETWORK_LOG;
  if (!file) throw new Error('GDHCN_NO_NETWORK_LOG is not set: test/helpers/global-setup.ts did not run');
  const attempts = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  rmSync(dirname(file), { recursive: true, force: true });
  if (attempts.length > 0) {
    throw new Error(
      `Tests tried ${attempts.length} outbound network connection(s), all blocked:\n  ${[...new Set(attempts)].join('\n  ')}`,
    );
  }
}
