/**
 * Runs once before the workers start (jest globalSetup):
 * - gives the workers a file where test/helpers/no-network.ts records every outbound connection it blocked, which
 *   global-teardown.ts then asserts is empty;
 * - makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests, and poppler-utils for the printable
 *   certificate tests (installed with apt-get when missing and this runs as root; otherwise one line says what to
 *   install).
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

/**
 * Makes sure a Debian package's program exists: installed with apt-get when it is missing and this runs as root (a
 * fresh machine runs the README's `npm test` with nothing else installed), else one line says what to install.
 */
function ensureDebianProgram(program: string, pkg: string, neededBy: string): void {
  if (existsSync(program)) return;
  const root = process.getuid?.() === 0;
  const apt = existsSync('/usr/bin/apt-get');
  if (root && apt) {
    process.stdout.write(`\nInstalling Debian ${pkg} for ${neededBy} (apt-get install ${pkg})…\n`);
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
      execFileSync('apt-get', ['install', '-y', '-qq', pkg], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch (err) {
      process.stdout.write(
        `apt-get install ${pkg} failed (${(err as Error).message.split('\n')[0]}); ${neededBy} will fail.\n`,
      );
    }
    if (existsSync(program)) return;
  }
  process.stdout.write(
    `\n${program} is missing: install Debian's ${pkg} package (sudo apt-get install ${pkg}); ${neededBy} needs it.\n`,
  );
}

export default function globalSetup(): void {
  const file = join(mkdtempSync(join(tmpdir(), 'gdhcn-no-network-')), 'attempts.log');
  writeFileSync(file, '');
  process.env.GDHCN_NO_NETWORK_LOG = file;
  ensureDebianProgram(CHROMIUM, 'chromium', 'test/cli/report-html.test.ts and the console tests');
  // The printable-certificate tests read our PDFs back: pdftoppm renders the page the QR is read from, pdftotext and
  // pdfinfo give its text and metadata (test/helpers/pdf-tools.ts).
  ensureDebianProgram('/usr/bin/pdftoppm', 'poppler-utils', 'test/unit/credentials/printable');
  // test/readme.test.ts runs the README's examples with curl, as a reader would.
  ensureDebianProgram('/usr/bin/curl', 'curl', 'test/readme.test.ts');
}
