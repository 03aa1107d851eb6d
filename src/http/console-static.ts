/**
 * The implementer console (issue 17): static files that `npm run build:console` (Vite) bundles into
 * `dist/console/`, served under `/console` with
 * - `Cache-Control: no-cache` on the page itself (a new build is picked up at once) and
 *   `public, max-age=31536000, immutable` on the content-hashed files under `/console/assets/`;
 * - a strict Content-Security-Policy: only this origin's scripts and styles, no inline script, no CDN, API calls to
 *   this origin only, pictures from this origin or `data:`/`blob:` (QR codes, camera frames);
 * - the `.br`/`.gz` twins the build writes beside each file when the browser accepts them.
 * The page is public (PUBLIC_PATHS); the FHIR calls it makes carry the token the user gives it.
 * `/` sends browsers to the console. Without a build, `/console` answers 503 and says how to make it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { Express, Request, Response } from 'express';

/** Where the build puts the console: `<project>/dist/console`, both from `src/http/` and from `dist/http/`. */
export const CONSOLE_DIR = resolve(import.meta.dirname, '../../dist/console');

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

const ASSET_NAME = /^[A-Za-z0-9._-]{1,128}$/;

interface StaticFile {
  type: string;
  raw: Buffer;
  br?: Buffer;
  gz?: Buffer;
}

/** Files are read once, on first request: the bundle does not change under a running server. */
function loader(dir: string) {
  const cache = new Map<string, StaticFile | null>();
  return (name: string): StaticFile | undefined => {
    if (!cache.has(name)) {
      const path = join(dir, name);
      const type = TYPES[extname(name)];
      const read = (p: string) => (existsSync(p) ? readFileSync(p) : undefined);
      const raw = type ? read(path) : undefined;
      cache.set(name, raw && type ? { type, raw, br: read(`${path}.br`), gz: read(`${path}.gz`) } : null);
    }
    return cache.get(name) ?? undefined;
  };
}

function send(req: Request, res: Response, file: StaticFile, cacheControl: string): void {
  const accepts = String(req.headers['accept-encoding'] ?? '');
  res.setHeader('Content-Type', file.type);
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Permissions-Policy', 'camera=(self), microphone=(), geolocation=()');
  res.vary('Accept-Encoding');
  let body = file.raw;
  if (file.br && /\bbr\b/.test(accepts)) {
    res.setHeader('Content-Encoding', 'br');
    body = file.br;
  } else if (file.gz && /\bgzip\b/.test(accepts)) {
    res.setHeader('Content-Encoding', 'gzip');
    body = file.gz;
  }
  res.status(200).end(req.method === 'HEAD' ? undefined : body);
}

export function mountConsole(app: Express, dir: string = CONSOLE_DIR): void {
  const file = loader(dir);
  const page = (req: Request, res: Response) => {
    const index = file('index.html');
    if (!index) {
      res.status(503).type('text/plain').send('The console is not built: run `npm run build:console`.\n');
      return;
    }
    send(req, res, index, 'no-cache');
  };
  app.get('/', (_req: Request, res: Response) => res.redirect(302, '/console/'));
  app.get('/console', page);
  app.get('/console/', page);
  app.get('/console/assets/:name', (req: Request, res: Response) => {
    const name = String(req.params.name);
    const found = ASSET_NAME.test(name) && !name.endsWith('.br') && !name.endsWith('.gz') && file(`assets/${name}`);
    if (!found) {
      res.status(404).type('text/plain').send('Not found\n');
      return;
    }
    send(req, res, found, 'public, max-age=31536000, immutable');
  });
  app.get('/console/:name', (req: Request, res: Response) => {
    // Unhashed files at the root of the build (favicon, manifest): revalidated like the page.
    const name = String(req.params.name);
    const found = ASSET_NAME.test(name) && name !== 'index.html' && !/\.(br|gz)$/.test(name) && file(name);
    if (!found) {
      res.status(404).type('text/plain').send('Not found\n');
      return;
    }
    send(req, res, found, 'no-cache');
  });
}
