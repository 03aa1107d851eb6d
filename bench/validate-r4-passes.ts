/**
 * `node bench/validate-r4-passes.ts [passes] [Type,Type…]`: our engine alone on bench:validate's R4 examples sample
 * (BENCH_R4_SAMPLE, default 800; optionally only the named resource types), whole passes after a warm-up, as the
 * bench times them. Prints one JSON line: wall ms of the best and median pass, CPU ms per pass of the whole process
 * (garbage-collector threads included) and of the main thread (best, median). The main thread's CPU holds better than
 * wall time on a shared machine; the gap between best and median passes is mostly garbage collection.
 * `BENCH_ALLOC=<top>`: also samples every allocation of the timed passes (objects collected since included) and prints
 * the top allocating functions, MB per pass (built-ins are named with their caller).
 * Use with `--cpu-prof` for where the time goes, per type with the second argument.
 */
import { Session } from 'node:inspector/promises';
import { loadPackages } from '../src/packages/load-packages.ts';
import { createValidator } from '../src/validation/validator.ts';
import { r4ExampleSample } from './r4-sample.ts';

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}

const passes = Number(process.argv[2] ?? 20);
const only = process.argv[3]?.split(',');
const set = await loadPackages({ dirs: ['../shared/fhir-packages'] });
const validator = createValidator(set);
const resources = r4ExampleSample().filter((r) => !only || only.includes(r.resourceType));
for (const r of resources) validator.validate(r);

const top = Number(process.env.BENCH_ALLOC ?? 0);
const session = top > 0 ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
const wall: number[] = [];
const thread: number[] = [];
const cpu0 = process.cpuUsage();
for (let p = 0; p < passes; p++) {
  const t = performance.now();
  const c = process.threadCpuUsage();
  for (const r of resources) validator.validate(r);
  const d = process.threadCpuUsage(c);
  thread.push((d.user + d.system) / 1000);
  wall.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpu0);

if (session) {
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SampleNode } };
  const self = new Map<string, number>();
  let total = 0;
  const walk = (n: SampleNode, caller: string): void => {
    const f = n.callFrame;
    const here = `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/(src|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    const key = f.url === '' ? `${here} < ${caller}` : here;
    self.set(key, (self.get(key) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c, here);
  };
  walk(profile.head, '');
  const mbPerPass = (bytes: number): string => (bytes / 1048576 / passes).toFixed(2);
  console.log(`allocated (sampled): ${mbPerPass(total)} MB per pass`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((v / total) * 100).toFixed(1).padStart(5)}% ${mbPerPass(v).padStart(7)} MB  ${k}`);
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const [w, th] = [sorted(wall), sorted(thread)];
const ms = (x: number): number => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    bench: 'validate-r4-passes',
    resources: resources.length,
    passes,
    wall_ms_best: ms(w[0]!),
    wall_ms_median: ms(w[w.length >> 1]!),
    process_cpu_ms_per_pass: ms((cpu.user + cpu.system) / 1000 / passes),
    main_thread_cpu_ms_best: ms(th[0]!),
    main_thread_cpu_ms_median: ms(th[th.length >> 1]!),
  }),
);
