/**
 * `node bench/profile-summary.ts <file.cpuprofile> [top]`: a text flame summary of a V8 CPU profile (as written by
 * `BENCH_CPU_PROF=<dir> npm run bench:e2e`): self time by function and by area of the code, and the inclusive time
 * of the project's own functions, as percentages of the sampled time. Used for ADR 0053's before/after profiles.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, fromArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/profile-summary.ts <file.cpuprofile> [top] [from-file]');
const top = Number(topArg ?? 25);
/** Samples before the first one whose stack holds a frame of this src/ file are left out (start-up, seeding). */
const from = fromArg ?? 'src/http/operations/verify.ts';
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const inFrom = (id: number): boolean => {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
    if (byId.get(at)!.callFrame.url.endsWith(from)) return true;
  return false;
};
const first = profile.samples.findIndex(inFrom);
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  if (i >= first) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self.entries()]
  .filter(([id]) => ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName))
  .reduce((a, [, t]) => a + t, 0);

/** Where a frame's code lives: our src/ file, a package, node internals, or V8 itself (GC, idle). */
function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const src = /\/src\/(.+)$/.exec(url);
  if (src && !url.includes('node_modules')) return `src/${src[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  return url.replace(/^.*\//, '');
}

const label = (n: Node) =>
  `${n.callFrame.functionName || '(anonymous)'} ${area(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

const selfByFn = new Map<string, number>();
const selfByArea = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  add(selfByFn, label(n), t);
  add(selfByArea, area(n.callFrame.url, n.callFrame.functionName), t);
  // Inclusive time of our own functions: each distinct src/ frame on the stack once.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const f = byId.get(at)!;
    if (!area(f.callFrame.url, '').startsWith('src/')) continue;
    const l = label(f);
    if (!seen.has(l)) add(inclusive, l, t);
    seen.add(l);
  }
}

const busy = total - idle;
const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
};
console.log(
  `${file}: ${(busy / 1e6).toFixed(2)} s busy of ${(total / 1e6).toFixed(2)} s sampled (percentages of busy)`,
);
print('self time by area', selfByArea);
print('self time by function', selfByFn);
print('inclusive time of src/ functions', inclusive);
