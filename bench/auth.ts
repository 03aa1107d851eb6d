/**
 * npm run bench:auth — what access control and the audit trail cost, in one run on 127.0.0.1. Three servers on
 * file-backed SQLite: A (AUTH on, AUDIT on), B (AUTH=off, AUDIT on) and C (AUTH on, AUDIT off). Each gets the same
 * distinct reads (Patient/<id> of resources made first) and distinct Immunization creates, validated on ingest as
 * every write is (VALIDATION_MODE=lenient, so the synthetic records are stored), in alternating rounds so that load
 * on the machine hits all three alike; each round starts with a different server (the first to run after a pause was
 * measured slower whichever it was), and the best round of each counts. Queued read AuditEvents are flushed after each
 * phase, so a create phase is not charged the read phase's backlog (read_audited_vs_unaudited counts only what is
 * written during the reads).
 * Ratios: read_auth_vs_noauth = A read / B read, create_audited_vs_unaudited = A create / C create (goal ≥ 0.9);
 * also create_auth_vs_noauth (A / B) and read_audited_vs_unaudited (A / C: what the queued read audits cost).
 * Figures cpu_read_auth_vs_noauth and cpu_create_audited_vs_unaudited are the two goals' comparisons in server CPU
 * per request, which the machine's other load disturbs less than the rates.
 * A's token comes the real way: the development client's key signs an assertion sent to POST /auth/token.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, SignJWT, type JWK } from 'jose';
import { askChild, serverCpu } from './child-server.ts';
import { createClient, round, type LoadResult } from './http-load.ts';
import { VACCINE_CODES } from './rest-data.ts';

const CONCURRENCY = 8;
const PATIENTS = 400;
// 3,000 reads made sub-second windows on a quiet machine (~4,000 reads/s), as noisy as 600 creates were; ~2 s windows.
const READS = 8000;
// 600 creates made windows under a second on a quiet machine, whose ratio swung 0.79–1.24 between runs; ~2 s windows.
const CREATES = 2400;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MAX_SECONDS = 6;
const PHASES = (process.env.BENCH_PHASES ?? 'read,create').split(',');

interface Server {
  name: string;
  dir: string;
  child: ChildProcess;
  client: ReturnType<typeof createClient>;
  headers: Record<string, string>;
  ids: string[];
}

function immunization(n: number, patientId: string): string {
  return JSON.stringify({
    resourceType: 'Immunization',
    identifier: [{ system: 'urn:bench:auth', value: `imm-${n}` }],
    status: 'completed',
    vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: VACCINE_CODES[n % 50] as string }] },
    patient: { reference: `Patient/${patientId}` },
    occurrenceDateTime: `20${10 + (n % 12)}-0${1 + (n % 9)}-1${n % 10}`,
    lotNumber: `LOT-${n % 997}`,
  });
}

async function start(name: string, overrides: Record<string, unknown>): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), `bench-auth-${name}-`));
  const child = fork(
    new URL('./rest-server.ts', import.meta.url).pathname,
    // One token serves the whole run: an hour, so a slow run on a busy machine does not outlive it (default 5 min).
    [
      dir,
      JSON.stringify({
        sqliteSynchronous: 'NORMAL',
        validationMode: 'lenient',
        authTokenLifetimeMs: 3_600_000,
        ...overrides,
      }),
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // BENCH_CPU_PROF=<dir> writes each server's CPU profile there (node --cpu-prof), to see where the time goes.
      ...(process.env.BENCH_CPU_PROF
        ? {
            execArgv: [
              ...process.execArgv,
              '--cpu-prof',
              '--cpu-prof-dir',
              process.env.BENCH_CPU_PROF,
              '--cpu-prof-name',
              `${name}.cpuprofile`,
            ],
          }
        : {}),
    },
  );
  const { port } = await new Promise<{ port: number }>((resolve) =>
    child.once('message', (m) => resolve(m as { port: number })),
  );
  const client = createClient(port, CONCURRENCY);
  const headers: Record<string, string> = {};
  if (overrides.auth !== false) headers.Authorization = `Bearer ${await devToken(client, dir, port)}`;
  return { name, dir, child, client, headers, ids: [] };
}

/** The development client's private key (DATA_DIR/auth) signs an assertion; POST /auth/token answers a token. */
async function devToken(client: ReturnType<typeof createClient>, dir: string, port: number): Promise<string> {
  const { clientId, privateJwk } = JSON.parse(readFileSync(join(dir, 'auth', 'dev-client.private.json'), 'utf8')) as {
    clientId: string;
    privateJwk: JWK;
  };
  const key = await importJWK(privateJwk, 'ES384');
  const assertion = await new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES384', kid: privateJwk.kid as string })
    // rest-server.ts starts with PORT=0, so its default public URL (the token URL's origin) is http://localhost:0.
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience('http://localhost:0/auth/token')
    .setExpirationTime('4m')
    .sign(key);
  void port;
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
    scope: 'system/*.cruds',
  }).toString();
  const res = await client.send({
    method: 'POST',
    path: '/auth/token',
    body,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  if (res.status !== 200) throw new Error(`token refused: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { access_token: string }).access_token;
}

async function seed(s: Server): Promise<void> {
  for (let i = 0; i < PATIENTS; i++) {
    const res = await s.client.send({
      method: 'POST',
      path: '/fhir/Patient',
      body: JSON.stringify({
        resourceType: 'Patient',
        name: [{ family: `Bench${i}`, given: ['Auth'] }],
        birthDate: '1970-01-01',
      }),
      headers: s.headers,
    });
    if (res.status !== 201) throw new Error(`${s.name}: seed answered ${res.status} ${res.body}`);
    s.ids.push((JSON.parse(res.body) as { id: string }).id);
  }
}

const reads = (s: Server): Promise<LoadResult> =>
  s.client.load(
    READS,
    (i) => ({ method: 'GET', path: `/fhir/Patient/${s.ids[(i * 7919) % s.ids.length]}`, headers: s.headers }),
    (st) => st === 200,
    MAX_SECONDS,
  );

let created = 0;
const creates = (s: Server): Promise<LoadResult> => {
  const base = (created += CREATES);
  return s.client.load(
    CREATES,
    (i) => ({
      method: 'POST',
      path: '/fhir/Immunization',
      body: immunization(base + i, s.ids[i % s.ids.length]!),
      headers: s.headers,
    }),
    (st) => st === 201,
    MAX_SECONDS,
  );
};

/** The server process's CPU time so far (user + system, all its threads), in microseconds. */
async function cpuOf(s: Server): Promise<number> {
  const cpu = await serverCpu(s.child);
  return cpu.user + cpu.system;
}

/** Waits until the server has written its queued AuditEvents, so one phase is not charged another's backlog. */
async function drained(s: Server): Promise<void> {
  await askChild<boolean>(s.child, 'flush', 'flushed');
}

/** One measured phase: its requests, then the flush of the AuditEvents they queued; CPU counted over both. */
async function phase(s: Server, run: (s: Server) => Promise<LoadResult>): Promise<LoadResult & { cpuUs: number }> {
  const cpu0 = await cpuOf(s);
  const r = await run(s);
  await drained(s);
  return { ...r, cpuUs: (await cpuOf(s)) - cpu0 };
}

async function main(): Promise<void> {
  const servers = [
    await start('A-auth-audit', { auth: true, audit: true }),
    await start('B-noauth-audit', { auth: false, audit: true }),
    await start('C-auth-noaudit', { auth: true, audit: false }),
  ];
  const best = new Map<string, number>();
  // Server CPU per request (least of the rounds): what auth and audit cost the server, whatever else the machine
  // is doing; the wall-clock rates above it also carry the load generator and the machine's other work.
  const cpuPerReq = new Map<string, number>();
  const keep = (key: string, r: LoadResult & { cpuUs: number }) => {
    if (r.failures > 0) throw new Error(`${key}: ${r.failures} failed requests`);
    best.set(key, Math.max(best.get(key) ?? 0, r.perSecond));
    const us = r.cpuUs / r.count;
    cpuPerReq.set(key, Math.min(cpuPerReq.get(key) ?? Infinity, us));
    console.log(
      key.padEnd(26),
      `${r.perSecond}/s  p50 ${r.p50ms} ms  p99 ${r.p99ms} ms  (${r.count} in ${r.seconds} s)  server CPU ${round(us, 1)} µs/req`,
    );
  };
  try {
    for (const s of servers) await seed(s);
    for (let round = 0; round < ROUNDS; round++) {
      const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
      // BENCH_PHASES=read (or create) runs one kind only, e.g. to profile it.
      if (PHASES.includes('read')) for (const s of order) keep(`${s.name} read`, await phase(s, reads));
      if (PHASES.includes('create')) for (const s of order) keep(`${s.name} create`, await phase(s, creates));
    }
  } finally {
    for (const s of servers) {
      s.client.close();
      s.child.send('stop');
      await new Promise((r) => s.child.once('exit', r));
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
  const f = (k: string) => best.get(k) ?? 0;
  const figures = {
    read_auth_per_s: f('A-auth-audit read'),
    read_noauth_per_s: f('B-noauth-audit read'),
    read_auth_unaudited_per_s: f('C-auth-noaudit read'),
    create_auth_audited_per_s: f('A-auth-audit create'),
    create_noauth_audited_per_s: f('B-noauth-audit create'),
    create_auth_unaudited_per_s: f('C-auth-noaudit create'),
    ...Object.fromEntries(
      [...cpuPerReq].map(([k, us]) => [
        `${k.replace(/^[A-C]-/, '').replace(/[- ]/g, '_')}_cpu_us_per_req`,
        round(us, 1),
      ]),
    ),
  };
  // The same comparisons in server CPU per request (least of the rounds; B or C over A, so above 1 would mean
  // auth or audit made it cheaper): what the goals measure, less the machine's other load. Figures, not ratios.
  const cpu = (k: string) => cpuPerReq.get(k) ?? Number.NaN;
  Object.assign(figures, {
    cpu_read_auth_vs_noauth: round(cpu('B-noauth-audit read') / cpu('A-auth-audit read')),
    cpu_create_audited_vs_unaudited: round(cpu('C-auth-noaudit create') / cpu('A-auth-audit create')),
  });
  const ratios = {
    read_auth_vs_noauth: round(figures.read_auth_per_s / figures.read_noauth_per_s),
    create_auth_vs_noauth: round(figures.create_auth_audited_per_s / figures.create_noauth_audited_per_s),
    read_audited_vs_unaudited: round(figures.read_auth_per_s / figures.read_auth_unaudited_per_s),
    create_audited_vs_unaudited: round(figures.create_auth_audited_per_s / figures.create_auth_unaudited_per_s),
  };
  console.log(JSON.stringify({ bench: 'auth', figures, ratios }));
}

await main();
