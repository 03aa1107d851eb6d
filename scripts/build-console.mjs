// Builds the implementer console (console/ → dist/console/) with Vite, then writes a brotli and a gzip twin of each
// text file for the server to send compressed (src/http/console-static.ts).
// Plain JavaScript on purpose: npm runs it as the `prepare` step of `npm install`/`npm ci`, before the project's
// pinned Node 24 may be on the PATH. A production-only install (no devDependencies, so no Vite) skips it and says so:
// the console is built where the dev toolchain is (the Docker build stage, `npm run build`).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'dist/console');

let build;
try {
  ({ build } = await import('vite'));
} catch {
  process.stdout.write('console: Vite is not installed (production install); the console is not built here.\n');
  process.exit(0);
}

await build({ configFile: join(root, 'console/vite.config.ts'), logLevel: 'warn' });

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
let raw = 0;
let br = 0;
for (const file of files(out)) {
  if (!/\.(html|js|css|svg|json)$/.test(file)) continue;
  const body = readFileSync(file);
  const brotli = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(`${file}.br`, brotli);
  writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
  raw += body.length;
  br += brotli.length;
}
process.stdout.write(`console: built into dist/console (${raw} bytes, ${br} brotli)\n`);
