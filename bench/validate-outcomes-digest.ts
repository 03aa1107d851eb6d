/**
 * `node bench/validate-outcomes-digest.ts <out.json> [before.json]`: the issues our engine reports on every official
 * R4 example (all but the multi-megabyte spec Bundles), every example of the shared packages (DDCC, IPS, …) and each
 * IPS Bundle example against Bundle-uv-ips, hashed one line per resource. Given a `before` digest, it lists every
 * resource whose issues changed and exits 1 when any did: speed work must leave every verdict and message as it was.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadPackages } from '../src/packages/load-packages.ts';
import { createValidator } from '../src/validation/validator.ts';

const [out, before] = process.argv.slice(2);
if (!out) throw new Error('usage: node bench/validate-outcomes-digest.ts <out.json> [before.json]');
const IPS_BUNDLE = 'http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips';
const set = await loadPackages({ dirs: ['../shared/fhir-packages'] });
const validator = createValidator(set);
const digest: Record<string, string> = {};
const hash = (issues: unknown): string => createHash('sha1').update(JSON.stringify(issues)).digest('hex');
const started = performance.now();

const R4_DIR = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
for (const f of readdirSync(R4_DIR).sort()) {
  if (!f.endsWith('.json') || f === 'package.json' || f.startsWith('.')) continue;
  if (f.startsWith('Bundle-') && statSync(join(R4_DIR, f)).size > 2_000_000) continue;
  digest[`r4/${f}`] = hash(validator.validate(JSON.parse(readFileSync(join(R4_DIR, f), 'utf8'))).issue);
}
for (const pkg of set.packages)
  for (const e of pkg.examples) {
    digest[`${pkg.id}/${e.file}`] = hash(validator.validate(e.resource).issue);
    if (pkg.id === 'hl7.fhir.uv.ips' && e.resource.resourceType === 'Bundle')
      digest[`${pkg.id}/${e.file}@Bundle-uv-ips`] = hash(validator.validate(e.resource, { profile: IPS_BUNDLE }).issue);
  }
writeFileSync(out, `${JSON.stringify(digest, null, 1)}\n`);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`${Object.keys(digest).length} outcomes hashed in ${seconds} s → ${out}`);
if (before) {
  const old = JSON.parse(readFileSync(before, 'utf8')) as Record<string, string>;
  const keys = new Set([...Object.keys(old), ...Object.keys(digest)]);
  const changed = [...keys].filter((k) => old[k] !== digest[k]);
  for (const k of changed) console.log(`changed: ${k}`);
  console.log(`${changed.length} of ${keys.size} outcomes differ from ${before}`);
  if (changed.length > 0) process.exitCode = 1;
}
