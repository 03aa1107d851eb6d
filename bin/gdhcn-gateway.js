#!/usr/bin/env -S node --max-semi-space-size=16
// The young generation is capped at V8's former default (16 MB per semi-space): on a machine with many GB V8 lets it
// grow to 64 MB, 128 MB of resident memory for `validate`, whose parses keep trees alive (ADR 0067). Run as
// `node bin/gdhcn-gateway.js`, the flag is not applied and only memory differs.
// The command-line entry. Runs the compiled CLI when built (Docker image, published package), else the sources
// (a checkout, where Node 24 runs TypeScript directly).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
const { runCli } = await import(existsSync(built) ? built.href : new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await runCli(process.argv.slice(2), process.env, (s) => process.stdout.write(s));
