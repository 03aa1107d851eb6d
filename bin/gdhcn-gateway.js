#!/usr/bin/env node
// The command-line entry. Runs the compiled CLI when built (Docker image, published package), else the sources
// (a checkout, where Node 24 runs TypeScript directly).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
const { runCli } = await import(existsSync(built) ? built.href : new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await runCli(process.argv.slice(2), process.env, (s) => process.stdout.write(s));
