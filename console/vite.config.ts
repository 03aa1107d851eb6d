// The console is bundled by Vite into ../dist/console, served by the server under /console (src/http/console-static.ts).
// Asset names carry a content hash (served immutable); no inline script, so the strict CSP holds.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  logLevel: 'warn',
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
