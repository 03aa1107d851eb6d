/**
 * The official R4 examples sample the validation benches share (bench:validate, validate-r4-types, validate-r4-ab,
 * validate-r4-passes): every example of `hl7.fhir.r4.examples` but the multi-megabyte spec Bundles, in name order,
 * and BENCH_R4_SAMPLE (default 800) of them spread evenly, so each bench times the same distinct resources.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AnyResource } from '../src/packages/types.ts';

export const R4_EXAMPLES_DIR = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));

/** The example files the benches read (the spec's multi-megabyte Bundles left out), sorted by name. */
export function r4ExampleFiles(): string[] {
  return readdirSync(R4_EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'package.json' && !f.startsWith('.'))
    .filter((f) => !(f.startsWith('Bundle-') && statSync(join(R4_EXAMPLES_DIR, f)).size > 2_000_000))
    .sort();
}

/** BENCH_R4_SAMPLE (default 800) of those files, evenly spread, parsed. */
export function r4ExampleSample(): AnyResource[] {
  const files = r4ExampleFiles();
  const size = Math.min(Number(process.env.BENCH_R4_SAMPLE ?? 800), files.length);
  return Array.from(
    { length: size },
    (_, i) =>
      JSON.parse(
        readFileSync(join(R4_EXAMPLES_DIR, files[Math.floor((i * files.length) / size)]!), 'utf8'),
      ) as AnyResource,
  );
}
