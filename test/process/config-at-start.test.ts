/** The real process refuses a bad configuration before doing anything, with one line per problem, all of them. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

test('when several variables are bad, then the process exits 2 and names every problem on its own line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdhcn-config-'));
  const run = spawnSync(process.execPath, [resolve(import.meta.dirname, '../../src/main.ts')], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      DATA_DIR: dir,
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      ISSUER_DSC_CERTS: 'a.pem',
      READYZ_KEY_MIN_VALIDITY: 'soon',
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.trim().split('\n')).toEqual([
    'Invalid configuration:',
    '  - PORT must be a whole number, got "eighty"',
    '  - LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    '  - READYZ_KEY_MIN_VALIDITY must be a duration like 30m, 6h or 1d, got "soon"',
    '  - ISSUER_DSC_CERTS names 1 file(s) but ISSUER_DSC_KEYS names 0',
    '  - ISSUER_CSCA_CERT is required with ISSUER_DSC_CERTS',
  ]);
}, 60_000);
