/**
 * Reading our PDFs as a person's tools would: Debian poppler-utils' `pdftoppm` (a page to PNG), `pdftotext` and
 * `pdfinfo`, run on a temporary file. The test set-up (global-setup.ts) and .ci/run install poppler-utils; without
 * it these throw, saying so.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readQrImage } from '../../src/formats/qr/read-image.ts';

function withPdf<T>(pdf: Uint8Array, run: (file: string, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'gdhcn-pdf-'));
  try {
    const file = join(dir, 'in.pdf');
    writeFileSync(file, pdf);
    return run(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tool(name: string, args: string[]): string {
  try {
    return execFileSync(name, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`${name} is not installed: apt-get install poppler-utils (as .ci/run does)`);
    throw e;
  }
}

/** Page 1 rendered at `dpi` as PNG bytes. */
export function pdfPageToPng(pdf: Uint8Array, dpi = 150): Buffer {
  return withPdf(pdf, (file, dir) => {
    tool('pdftoppm', ['-r', String(dpi), '-png', '-f', '1', '-l', '1', '-singlefile', file, join(dir, 'page')]);
    return readFileSync(join(dir, 'page.png'));
  });
}

/** The text poppler extracts (Unicode, through the fonts' ToUnicode maps). */
export function pdfText(pdf: Uint8Array): string {
  return withPdf(pdf, (file) => tool('pdftotext', ['-enc', 'UTF-8', file, '-']));
}

/** pdfinfo's key/value lines (`Pages`, `Page size`, `Title`…). */
export function pdfInfo(pdf: Uint8Array): Record<string, string> {
  const out = withPdf(pdf, (file) => tool('pdfinfo', [file]));
  return Object.fromEntries(
    out
      .split('\n')
      .map((line) => /^([^:]+):\s*(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!.trim(), m[2]!.trim()]),
  );
}

/** pdffonts' table rows: embedded fonts with their `emb` and `sub` flags. */
export function pdfFonts(pdf: Uint8Array): { name: string; embedded: boolean; subset: boolean }[] {
  const out = withPdf(pdf, (file) => tool('pdffonts', [file]));
  return out
    .split('\n')
    .slice(2)
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      const cols = l.trim().split(/\s+/);
      // name type… encoding emb sub uni object ID: emb/sub/uni are the 5th–3rd columns from the end.
      return { name: cols[0]!, embedded: cols[cols.length - 5] === 'yes', subset: cols[cols.length - 4] === 'yes' };
    });
}

/**
 * The QR of page 1 as a scanner reads it: rendered at 100, 150, then 200 dpi until one reads, as a person moves a
 * phone closer. jsQR alone misses some symbols at one resolution and reads them at another (a 0.5 mm module is under
 * 2 pixels at 100 dpi; the largest symbols' alignment grid is missed at 150), so one fixed resolution made the tests
 * depend on the random certificate id. Throws the last QR_NOT_FOUND when none reads.
 */
export function scanPageQr(pdf: Uint8Array): string {
  let last: unknown;
  for (const dpi of [100, 150, 200]) {
    try {
      return readQrImage(pdfPageToPng(pdf, dpi), 'image/png');
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
