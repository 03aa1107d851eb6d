/**
 * npm run bench:http-stack — what the HTTP stack costs per request, in server CPU (process.cpuUsage of the server
 * process, user + system, all threads), at concurrency 32 on 127.0.0.1 (issue 18, ADR 0072):
 *  - `verify_fail`: `POST /fhir/$verify` of `HC1:XX`, a credential that fails at once (decode-error verdict, 200):
 *    the whole stack plus the cheapest operation;
 *  - `healthz`: `GET /healthz`, the common middleware and a tiny answer;
 *  - `bare`: a bare node:http server (bench/bare-server.ts) reading the same body and answering a small JSON: the
 *    floor no stack can go under.
 * The real server is bench/rest-server.ts (the app of bench:e2e: AUTH and AUDIT off, file-backed SQLite, the shared
 * WHO packages); BENCH_AUTH=1 runs it with AUTH and AUDIT on (an anonymous $verify then also takes the public
 * per-address budget). Rounds alternate the three loads; figures are medians over rounds.
 * Then the same two requests and a bare listener are injected in process (bench/inject.ts: no kernel, no load
 * generator), into an app built here with the same config: the stack's own CPU, much less disturbed by the machine's
 * other load (`*_inproc_cpu_us_per_req`).
 * BENCH_CPU_PROF=<dir> writes the real server's CPU profile (node --cpu-prof; read it with bench/profile-summary.ts).
 * Last line: {"bench":"http-stack","figures":{...},"ratios":{...}}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.ts';
import type { Config } from '../src/config/schema.ts';
import { forkServer, serverCpu } from './child-server.ts';
import { createClient, round, type LoadRequest } from './http-load.ts';
import { cpuPerRequest, type Injected, type Listener } from './inject.ts';
import { benchConfig, benchServices } from './bench-config.ts';

const PACKAGES_DIR = new URL('../../shared/fhir-packages', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 6000);
const CONCURRENCY = 32;
const AUTH = process.env.BENCH_AUTH === '1';
/** BENCH_ONLY=verify_fail|healthz|bare runs only that load (with BENCH_CPU_PROF, to profile one path). */
const ONLY = process.env.BENCH_ONLY;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const VERIFY_FAIL: LoadRequest = {
  method: 'POST',
  path: '/fhir/$verify',
  body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'credential', valueString: 'HC1:XX' }] }),
};
const HEALTHZ: LoadRequest = { method: 'GET', path: '/healthz' };

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-http-stack-'));
  const overrides: Partial<Config> = {
    fhirPackages: [PACKAGES_DIR],
    ...(AUTH ? { auth: true, audit: true, publicRateLimit: 0 } : {}),
  };
  const app = await forkServer('./rest-server.ts', [dir, JSON.stringify(overrides)], true);
  const bare = await forkServer('./bare-server.ts', [], false);
  const appClient = createClient(app.port, CONCURRENCY);
  const bareClient = createClient(bare.port, CONCURRENCY);
  const loads = {
    verify_fail: { child: app.child, client: appClient, req: VERIFY_FAIL },
    healthz: { child: app.child, client: appClient, req: HEALTHZ },
    bare: { child: bare.child, client: bareClient, req: VERIFY_FAIL },
  };
  type Kind = keyof typeof loads;
  const usPerReq: Record<Kind, number[]> = { verify_fail: [], healthz: [], bare: [] };
  const p99: Record<Kind, number[]> = { verify_fail: [], healthz: [], bare: [] };
  const loadAverage = [loadavg()[0]!];
  try {
    const first = await appClient.send(VERIFY_FAIL);
    if (first.status !== 200 || !first.body.includes('"valid"'))
      throw new Error(`$verify of HC1:XX: ${first.status} ${first.body.slice(0, 600)}`);
    for (const [kind, l] of Object.entries(loads)) if (!ONLY || kind === ONLY) await l.client.load(1000, () => l.req); // warm-up (JIT)
    for (let r = 0; r < ROUNDS; r++) {
      for (const [kind, l] of Object.entries(loads) as Array<[Kind, (typeof loads)[Kind]]>) {
        if (ONLY && kind !== ONLY) continue;
        const before = await serverCpu(l.child);
        const res = await l.client.load(
          REQUESTS,
          () => l.req,
          (s) => s === 200,
          10,
        );
        const after = await serverCpu(l.child);
        if (res.failures > 0) throw new Error(`${kind}: ${res.failures} failed, first: ${res.firstFailure}`);
        const us = (after.user - before.user + after.system - before.system) / res.count;
        usPerReq[kind].push(us);
        p99[kind].push(res.p99ms);
        console.log(
          `round ${r + 1} ${kind.padEnd(12)} ${round(us, 1)} µs server CPU/request, ${res.perSecond}/s, p99 ${res.p99ms} ms`,
        );
      }
      loadAverage.push(loadavg()[0]!);
    }
  } finally {
    appClient.close();
    bareClient.close();
    for (const s of [app, bare]) {
      s.child.send('stop');
      await new Promise((resolve) => s.child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  }
  if (ONLY) return;
  const inproc = await inProcess(overrides);
  const med = (k: Kind) => round(median(usPerReq[k]), 1);
  const figures = {
    verify_fail_cpu_us_per_req: med('verify_fail'),
    healthz_cpu_us_per_req: med('healthz'),
    bare_cpu_us_per_req: med('bare'),
    verify_fail_p99_ms: round(median(p99.verify_fail), 2),
    healthz_p99_ms: round(median(p99.healthz), 2),
    verify_fail_above_bare_us: round(med('verify_fail') - med('bare'), 1),
    healthz_above_bare_us: round(med('healthz') - med('bare'), 1),
    verify_fail_inproc_cpu_us_per_req: inproc.verify_fail,
    healthz_inproc_cpu_us_per_req: inproc.healthz,
    bare_inproc_cpu_us_per_req: inproc.bare,
    auth_and_audit: AUTH,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    load_average_1m: round(median(loadAverage), 2),
  };
  const ratios = {
    verify_fail_vs_bare_cpu: round(med('verify_fail') / med('bare'), 2),
    healthz_vs_bare_cpu: round(med('healthz') / med('bare'), 2),
  };
  console.log(JSON.stringify({ bench: 'http-stack', figures, ratios }));
}

/** The same requests injected into an app built in this process (same config as rest-server.ts), median of rounds. */
async function inProcess(overrides: Partial<Config>): Promise<Record<'verify_fail' | 'healthz' | 'bare', number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-http-stack-inproc-'));
  const services = await benchServices(benchConfig(dir, overrides));
  const app = createApp(services) as unknown as Listener;
  const answer = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'valid', valueBoolean: false }] });
  const bare: Listener = (req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json; charset=utf-8' });
      res.end(answer);
    });
  };
  const verify: Injected = {
    method: 'POST',
    url: VERIFY_FAIL.path,
    headers: { 'content-type': 'application/fhir+json' },
    body: VERIFY_FAIL.body ?? '',
  };
  const loads: Array<['verify_fail' | 'healthz' | 'bare', Listener, Injected]> = [
    ['verify_fail', app, verify],
    ['healthz', app, { method: 'GET', url: '/healthz' }],
    ['bare', bare, verify],
  ];
  const us: Record<string, number[]> = { verify_fail: [], healthz: [], bare: [] };
  try {
    for (const [, listener, req] of loads) await cpuPerRequest(listener, () => req, 4000, CONCURRENCY);
    for (let r = 0; r < ROUNDS * 2; r++)
      for (const [kind, listener, req] of loads) {
        const m = await cpuPerRequest(listener, () => req, REQUESTS, CONCURRENCY);
        if (m.statuses.size !== 1 || !m.statuses.has(200)) throw new Error(`${kind} in process: ${[...m.statuses]}`);
        us[kind]!.push(m.us);
      }
  } finally {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const figure = (k: string) => round(median(us[k]!), 1);
  console.log(
    `in process: verify_fail ${figure('verify_fail')} µs, healthz ${figure('healthz')} µs, bare ${figure('bare')} µs`,
  );
  return { verify_fail: figure('verify_fail'), healthz: figure('healthz'), bare: figure('bare') };
}

await main();
