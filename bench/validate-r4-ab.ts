/**
 * `node bench/validate-r4-ab.ts <base-checkout> [passes]`: our engine as in another checkout (e.g. main's tree from
 * `git archive main | tar -x -C /tmp/base`, with a node_modules link) against this one, in ONE process, on
 * bench:validate's R4 examples sample. Each pass runs both engines over the sample, the first alternating, and keeps
 * each resource's fastest time per engine and each engine's main-thread CPU per pass. On a shared machine whose load
 * swings ±20 % from one run to the next, two engines timed in the same moment compare where two runs cannot.
 * Prints per resource type the base and this checkout's ms (sum of per-resource minima), then the totals.
 */
import { join, resolve } from 'node:path';
import { r4ExampleSample } from './r4-sample.ts';

interface Engine {
  validate(resource: unknown): unknown;
}

const [baseDir, passesArg] = process.argv.slice(2);
if (!baseDir) throw new Error('usage: node bench/validate-r4-ab.ts <base-checkout> [passes]');
const passes = Number(passesArg ?? 10);
const here = resolve(import.meta.dirname, '..');
const engineOf = async (root: string): Promise<Engine> => {
  const { createValidator } = await import(join(resolve(root), 'src/validation/validator.ts'));
  const { loadPackages } = await import(join(resolve(root), 'src/packages/load-packages.ts'));
  return createValidator(await loadPackages({ dirs: [join(here, '../shared/fhir-packages')] }));
};
const engines: Engine[] = [await engineOf(baseDir), await engineOf(here)];

const resources = r4ExampleSample();
const SAMPLE = resources.length;
const fastest = engines.map(() => new Float64Array(SAMPLE).fill(Number.POSITIVE_INFINITY));
const passCpu: number[][] = engines.map(() => []);
for (let p = -1; p < passes; p++) {
  for (const e of p % 2 === 0 ? [0, 1] : [1, 0]) {
    const c0 = process.threadCpuUsage();
    resources.forEach((r, i) => {
      const t = performance.now();
      engines[e]!.validate(r);
      const d = performance.now() - t;
      if (p >= 0) fastest[e]![i] = Math.min(fastest[e]![i]!, d);
    });
    const c = process.threadCpuUsage(c0);
    if (p >= 0) passCpu[e]!.push((c.user + c.system) / 1000);
  }
}
const byType = new Map<string, [number, number]>();
resources.forEach((r, i) => {
  const row = byType.get(r.resourceType) ?? [0, 0];
  row[0] += fastest[0]![i]!;
  row[1] += fastest[1]![i]!;
  byType.set(r.resourceType, row);
});
const pct = (a: number, b: number): string => `${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)} %`;
for (const [type, [a, b]] of [...byType].sort((x, y) => y[1][0] - x[1][0]).slice(0, 12))
  console.log(`${type.padEnd(28)}${a.toFixed(1).padStart(8)} →${b.toFixed(1).padStart(8)} ms  ${pct(a, b)}`);
const total = fastest.map((t) => t.reduce((x, y) => x + y, 0));
const cpu = passCpu.map((xs) => [...xs].sort((x, y) => x - y));
const best = cpu.map((xs) => xs[0]!);
const median = cpu.map((xs) => xs[xs.length >> 1]!);
const ms = (x: number): number => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    bench: 'validate-r4-ab',
    passes,
    minima_ms: { base: ms(total[0]!), this: ms(total[1]!) },
    pass_main_thread_cpu_ms_best: { base: ms(best[0]!), this: ms(best[1]!) },
    pass_main_thread_cpu_ms_median: { base: ms(median[0]!), this: ms(median[1]!) },
  }),
);
