/**
 * Runs once before the workers start (jest globalSetup):
 * - gives the workers a file where test/helpers/no-network.ts records every outbound connection it blocked, which
 *   global-teardown.ts then asserts is empty;
 * - makes sure Debian's Chromium is at /usr/bin/chromium for the CLI's HTML report test (installed with apt-get when
 *   it is missing and this runs as root; otherwise one line says what to install).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
/** The flags every browser test starts Chromium with: headless, no network of its own, no first-run work. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const root = process.getuid?.() === 0;
  const apt = existsSync('/usr/bin/apt-get');
  if (root && apt) {
    process.stdout.write('\nInstalling Debian chromium for test/cli/report-html.test.ts (apt-get install chromium)…\n');
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
      execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch (err) {
      process.stdout.write(
        `apt-get install chromium failed (${(err as Error).message.split('\n')[0]}); the HTML report test will fail.\n`,
      );
    }
    if (existsSync(CHROMIUM)) return;
  }
  process.stdout.write(
    `\nChromium is missing: install Debian's chromium package (sudo apt-get install chromium) so ${CHROMIUM} exists; test/cli/report-html.test.ts needs it.\n`,
  );
}

export default function globalSetup(): void {
  const file = join(mkdtempSync(join(tmpdir(), 'gdhcn-no-network-')), 'attempts.log');
  writeFileSync(file, '');
  process.env.GDHCN_NO_NETWORK_LOG = file;
  ensureChromium();
}
