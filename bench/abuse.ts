/**
 * Abuse bench (issue 19): for each hostile input family, time per request at size n and at 4n in one run, against a
 * server in a child process on 127.0.0.1 (strict validation, SQLite in a temp folder); linear work gives a ratio near 4
 * (goal ≤ 5). Meanwhile a poller calls /healthz every 20 ms: its p99 under abuse (goal < 100 ms).
 * Reference, same run: the former per-contained dom-3 scan (quadratic), timed in-process at n and 4n (400, 1600) beside
 * ours (at 4000 and 16000: at 400 ours takes under a millisecond, which is noise).
 * Bounded: a few requests per family and size (BENCH_REPS, default 5; median kept), about a minute in all.
 * Last line: {"bench":"abuse","figures":{...},"ratios":{...}}
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unreferencedContained } from '../src/validation/native-invariants.ts';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const FHIR_JSON = 'application/fhir+json';
const FORM = 'application/x-www-form-urlencoded';

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
let base = '';

function call(
  method: string,
  path: string,
  body?: string,
  type = FHIR_JSON,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> =
      body === undefined ? {} : { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) };
    const req = httpRequest(`${base}${path}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const patient = (extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  name: [{ family: 'Bench', given: ['Abuse'] }],
  birthDate: '1970-01-01',
  ...extra,
});

interface Family {
  name: string;
  n: number;
  /** A request of size k; `expect` is the status it must get (a refused request would time the refusal, not the work). */
  make(k: number, i: number): { method: string; path: string; body?: string; type?: string };
  expect: number;
}

let patientId = '';
const families: Family[] = [
  {
    name: 'contained',
    n: 1000,
    expect: 200,
    make: (k) => ({
      method: 'POST',
      path: '/fhir/Patient/$validate',
      body: JSON.stringify(
        patient({
          contained: Array.from({ length: k }, (_, i) => ({ resourceType: 'Organization', id: `o${i}`, name: 'x' })),
          generalPractitioner: Array.from({ length: k }, (_, i) => ({ reference: `#o${i}` })),
        }),
      ),
    }),
  },
  {
    name: 'bundle_entries',
    n: 500,
    expect: 200,
    make: (k, r) => ({
      method: 'POST',
      path: '/fhir/Bundle/$validate',
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'collection',
        entry: Array.from({ length: k }, (_, i) => ({
          fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(r * 100000 + i).padStart(12, '0')}`,
          resource: patient(),
        })),
      }),
    }),
  },
  {
    name: 'transaction',
    n: 100,
    expect: 200,
    make: (k) => ({
      method: 'POST',
      path: '/fhir',
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: Array.from({ length: k }, () => ({ resource: patient(), request: { method: 'POST', url: 'Patient' } })),
      }),
    }),
  },
  {
    name: 'nested_extensions',
    n: 100,
    expect: 200,
    make: (k) => {
      const chain = (depth: number): Record<string, unknown> =>
        depth === 0
          ? { url: 'http://example.org/e', valueString: 'v' }
          : { url: 'http://example.org/e', extension: [chain(depth - 1)] };
      return {
        method: 'POST',
        path: '/fhir/Patient/$validate',
        body: JSON.stringify(patient({ extension: Array.from({ length: k }, () => chain(20)) })),
      };
    },
  },
  {
    name: 'long_string',
    n: 2 * 1024 * 1024,
    expect: 200,
    make: (k) => ({
      method: 'POST',
      path: '/fhir/Patient/$validate',
      body: JSON.stringify(patient({ name: [{ family: 'x'.repeat(k) }] })),
    }),
  },
  {
    name: 'revinclude',
    n: 50,
    expect: 200,
    make: (k) => ({
      method: 'GET',
      path: `/fhir/Patient?_id=${patientId}&_revinclude=Observation:subject&_count=${k}`,
    }),
  },
  {
    name: 'include',
    n: 50,
    expect: 200,
    make: (k) => ({
      method: 'GET',
      path: `/fhir/Observation?subject=Patient/${patientId}&_include=Observation:subject&_count=${k}`,
    }),
  },
  {
    name: 'many_params',
    n: 100,
    expect: 200,
    make: (k) => ({
      method: 'POST',
      path: '/fhir/Patient/_search',
      body: `name=${Array.from({ length: Math.min(k, 500) }, (_, i) => `n${i}`).join(',')}&${Array.from({ length: k * 10 }, (_, i) => `unknown${i}=x`).join('&')}`,
      type: FORM,
    }),
  },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function timeOne(f: Family, k: number, rep: number): Promise<number> {
  const r = f.make(k, rep);
  const started = performance.now();
  const res = await call(r.method, r.path, r.body, r.type);
  const ms = performance.now() - started;
  if (res.status !== f.expect) throw new Error(`${f.name} at ${k}: status ${res.status} ${res.text.slice(0, 300)}`);
  return ms;
}

/** The former dom-3 scan (every string of the resource collected once per contained resource): the reference. */
function quadraticDom3(resource: Record<string, unknown>): number {
  const strings = (v: unknown, skip: unknown, out: Set<string>): void => {
    if (v === skip) return;
    if (typeof v === 'string') out.add(v);
    else if (Array.isArray(v)) for (const x of v) strings(x, skip, out);
    else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) strings(x, skip, out);
  };
  let bad = 0;
  for (const c of resource.contained as Array<{ id: string }>) {
    const refs = new Set<string>();
    strings(resource, c, refs);
    if (!refs.has(`#${c.id}`)) bad++;
  }
  return bad;
}

/** Ours at 10n and 40n (fast enough that small sizes are noise), the former scan at n and 4n; medians of three. */
function dom3Reference(n: number): Record<string, number> {
  const make = (k: number) =>
    patient({
      contained: Array.from({ length: k }, (_, i) => ({ resourceType: 'Organization', id: `o${i}`, name: 'x' })),
      generalPractitioner: Array.from({ length: k }, (_, i) => ({ reference: `#o${i}` })),
    });
  const time = (fn: () => unknown, reps = 3): number => {
    const runs: number[] = [];
    for (let r = 0; r < reps; r++) {
      const s = performance.now();
      fn();
      runs.push(performance.now() - s);
    }
    return median(runs);
  };
  const [small, large, big, bigger] = [make(n), make(4 * n), make(10 * n), make(40 * n)];
  time(() => unreferencedContained(small));
  return {
    ours_10n: time(() => unreferencedContained(big)),
    ours_40n: time(() => unreferencedContained(bigger)),
    reference_n: time(() => quadraticDom3(small), 1),
    reference_4n: time(() => quadraticDom3(large), 1),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-abuse-'));
  // MAX_CONTAINED raised so that 4n contained resources are validated, not refused (the bench times the work).
  const overrides = {
    validationMode: 'strict',
    maxBodyBytes: 32 * 1024 * 1024,
    searchMaxCount: 1000,
    maxContained: 10_000,
    validationWorkers: 1,
  };
  const server = fork(new URL('./rest-server.ts', import.meta.url).pathname, [dir, JSON.stringify(overrides)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // BENCH_CPU_PROF=<dir> writes the server's CPU profile there (node --cpu-prof), to see what holds the event loop.
    ...(process.env.BENCH_CPU_PROF
      ? { execArgv: [...process.execArgv, '--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] }
      : {}),
  });
  const { port } = await new Promise<{ port: number }>((resolve) =>
    server.once('message', (m) => resolve(m as { port: number })),
  );
  base = `http://127.0.0.1:${port}`;
  const figures: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  try {
    patientId = (JSON.parse((await call('POST', '/fhir/Patient', JSON.stringify(patient()))).text) as { id: string })
      .id;
    const fanOut = Array.from({ length: 400 }, (_, i) => ({
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { text: `o${i}` },
        subject: { reference: `Patient/${patientId}` },
      },
      request: { method: 'POST', url: 'Observation' },
    }));
    const seeded = await call(
      'POST',
      '/fhir',
      JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: fanOut }),
    );
    if (seeded.status !== 200) throw new Error(`seeding failed: ${seeded.status}`);

    // /healthz poller, running while the families are measured.
    const health: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const s = performance.now();
        const res = await call('GET', '/healthz');
        if (res.status === 200) health.push(performance.now() - s);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    // The server's event-loop delay per family (max over the family's requests): which input holds the loop.
    const loopDelay = () =>
      new Promise<{ max: number; p99: number; hold: number }>((resolve) => {
        const on = (m: unknown) => {
          if (typeof m !== 'object' || m === null || !('eld' in m)) return;
          server.off('message', on);
          resolve((m as { eld: { max: number; p99: number; hold: number } }).eld);
        };
        server.on('message', on);
        server.send('eld');
      });
    await loopDelay();
    for (const f of families) {
      await timeOne(f, f.n, 0); // warm-up
      const atN: number[] = [];
      const at4N: number[] = [];
      for (let rep = 1; rep <= REPS; rep++) {
        atN.push(await timeOne(f, f.n, rep));
        at4N.push(await timeOne(f, 4 * f.n, rep));
      }
      figures[`${f.name}_ms_at_n`] = round(median(atN));
      figures[`${f.name}_ms_at_4n`] = round(median(at4N));
      figures[`${f.name}_n`] = f.n;
      ratios[`${f.name}_4n_vs_n`] = round(median(at4N) / median(atN));
      const loop = await loopDelay();
      figures[`${f.name}_loop_delay_max_ms`] = round(loop.max);
      figures[`${f.name}_loop_cpu_hold_max_ms`] = round(loop.hold);
      figures.loop_cpu_hold_max_ms = Math.max(figures.loop_cpu_hold_max_ms ?? 0, round(loop.hold));
      console.log(
        `${f.name.padEnd(20)} n=${f.n}: ${figures[`${f.name}_ms_at_n`]} ms   4n: ${figures[`${f.name}_ms_at_4n`]} ms   ratio ${ratios[`${f.name}_4n_vs_n`]}   event-loop delay max ${figures[`${f.name}_loop_delay_max_ms`]} ms, longest CPU hold ${figures[`${f.name}_loop_cpu_hold_max_ms`]} ms`,
      );
    }
    polling = false;
    await poller;
    const sorted = [...health].sort((a, b) => a - b);
    figures.healthz_samples = sorted.length;
    figures.healthz_p50_ms = round(sorted[Math.floor(sorted.length * 0.5)] ?? NaN);
    figures.healthz_p99_ms_under_abuse = round(
      sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? NaN,
    );
    ratios.healthz_p99_ms_under_abuse = figures.healthz_p99_ms_under_abuse;
    console.log(
      `/healthz under abuse: p50 ${figures.healthz_p50_ms} ms, p99 ${figures.healthz_p99_ms_under_abuse} ms over ${sorted.length} calls`,
    );

    const ref = dom3Reference(400);
    for (const [k, v] of Object.entries(ref)) figures[`dom3_${k}_ms`] = round(v);
    ratios.dom3_ours_4n_vs_n = round(ref.ours_40n / ref.ours_10n);
    ratios.dom3_reference_4n_vs_n = round(ref.reference_4n / ref.reference_n);
    console.log(
      `dom-3 in-process: ours at 4000/16000 contained ${round(ref.ours_10n)}/${round(ref.ours_40n)} ms; former scan at 400/1600 ${round(ref.reference_n)}/${round(ref.reference_4n)} ms`,
    );
  } finally {
    agent.destroy();
    server.send('stop');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bench: 'abuse', figures, ratios }));
}

await main();
