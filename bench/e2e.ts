/**
 * npm run bench:e2e — the credential round trip over HTTP on 127.0.0.1: `$verify` of an HC1 and `$issue-hcert`
 * (default request: PNG + SVG QR; and `qrFormat=none`), next to raw node:crypto ES256 verify and sign (P-256,
 * ieee-p1363, a message the size of the HCERT's COSE Sig_structure) measured in the same run, alternating rounds.
 *
 * The server is the real app (createServices + createApp via bench/rest-server.ts) in a child process: embedded
 * SQLite (default synchronous=FULL), the shared WHO IG packages, default (strict) validation, development keys.
 * The load generator runs in this process, so on a 2-core machine it gets one core and the server the other.
 *
 * `$verify` goes through BENCH_HC1S (default 10,000) distinct HC1s signed before the run by four DSCs of a bench
 * CSCA (bench/hc1-set.ts; the server loads them as its issuer keys, so its trust list holds all four), each request
 * the next one of the set, at concurrency 32; issuance runs at concurrency 8.
 *
 * "Per core": the server's JavaScript runs on one thread, so one server process is compared with one thread of raw
 * ES256. Two figures are reported:
 *  - wall: server requests/s (one process) over raw ops/s (one thread);
 *  - CPU:  requests per server CPU-second (process.cpuUsage of the server, user + system, all its threads: GC,
 *          libuv) over raw ops per CPU-second of the thread running them.
 * The ratio keys use the CPU definition: it charges the server for every cycle it burns and nothing else, so the
 * figure does not depend on how much CPU the load generator leaves it on this machine.
 *
 * Ratios are medians over rounds of (ours in round r) / (reference in round r), as bench/codecs.ts does.
 * BENCH_CPU_SPLIT=1 prints, per load, the server's user and system µs per request and its main thread's share (the
 * rest is GC helper threads and libuv): to tell JavaScript work from the kernel's and the heap's.
 * Last line: {"bench":"e2e","figures":{...},"ratios":{...}}.
 */
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPackageTgz } from '../src/packages/read-package.ts';
import { decodeHc1Transport } from '../src/formats/hcert/hc1.ts';
import { askChild, type Cpu, forkServer, serverCpu } from './child-server.ts';
import { createClient, round, type LoadRequest, type LoadResult } from './http-load.ts';
import { distinctHc1s, tamperHc1, writeBenchKeys } from './hc1-set.ts';

const PACKAGES_DIR = new URL('../../shared/fhir-packages', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 8;
/** `$verify` runs at the concurrency of a border with many e-gates (issue 18: p99 under 20 ms at 32). */
const VERIFY_CONCURRENCY = 32;
/** Each load is bounded by a count and a time: whichever comes first. */
const LOAD = {
  verify: { count: Number(process.env.BENCH_VERIFY ?? 3000), seconds: 6 },
  issue: { count: Number(process.env.BENCH_ISSUE ?? 2000), seconds: 6 },
  issueNoQr: { count: Number(process.env.BENCH_ISSUE ?? 2000), seconds: 6 },
  /** DDCC `$generateHealthCertificate`: check, map, sign, QR image, store and register (answers 201). */
  generate: { count: Number(process.env.BENCH_ISSUE ?? 2000), seconds: 6 },
};
const RAW_SLICE_MS = 1000;
/**
 * Distinct HC1s the `$verify` rounds go through, one after another across warm-up and rounds: signed before the run
 * by DSC_COUNT DSCs, so no two requests carry the same credential until the set wraps (it does not at the defaults).
 */
const HC1_COUNT = Number(process.env.BENCH_HC1S ?? 10_000);
const DSC_COUNT = 4;
/**
 * BENCH_ONLY=verify|issue|issueNoQr|generate runs only that load and the raw references (with BENCH_CPU_PROF, to
 * profile one path); its JSON line then holds only the figures and ratios of that load (the others are left out).
 */
const ONLY = process.env.BENCH_ONLY;

type Kind = keyof typeof LOAD;

function example(file: string): Record<string, unknown> {
  const pkg = readPackageTgz(join(PACKAGES_DIR, 'who.ddcc#1.0.0.tgz'));
  const found = pkg.examples.find((e) => e.file === file)?.resource;
  if (!found) throw new Error(`${file} is not an example of who.ddcc`);
  return structuredClone(found) as Record<string, unknown>;
}

function startServer(dir: string, keys: Record<string, unknown>): Promise<{ child: ChildProcess; port: number }> {
  return forkServer('./rest-server.ts', [dir, JSON.stringify({ fhirPackages: [PACKAGES_DIR], ...keys })], true);
}

const cpuSeconds = (a: Cpu, b: Cpu): number => (b.user - a.user + b.system - a.system) / 1e6;

interface Measured {
  perSecond: number;
  perCpuSecond: number;
  p50ms: number;
  p99ms: number;
  count: number;
  /** Writes per SQLite commit over the load (group commit): issuance's Provenance writes share commits. */
  writesPerCommit: number;
}

type CommitTotals = { commits: number; writes: number };

/** One load against the server, with the server's CPU time over it. */
async function measureHttp(child: ChildProcess, run: () => Promise<LoadResult>): Promise<Measured> {
  const main0 = process.env.BENCH_CPU_SPLIT ? await askChild<Cpu>(child, 'cpu', 'mainThread') : undefined;
  const commits0 = await askChild<CommitTotals>(child, 'commits', 'commits');
  const before = await serverCpu(child);
  const r = await run();
  const after = await serverCpu(child);
  const commits1 = await askChild<CommitTotals>(child, 'commits', 'commits');
  const commits = commits1.commits - commits0.commits;
  const main1 = process.env.BENCH_CPU_SPLIT ? await askChild<Cpu>(child, 'cpu', 'mainThread') : undefined;
  if (main0 && main1)
    console.log(
      `  main thread µs per request: ${round((main1.user - main0.user + main1.system - main0.system) / r.count)}`,
    );
  if (r.failures > 0) throw new Error(`${r.failures} of ${r.count} requests failed`);
  if (process.env.BENCH_CPU_SPLIT)
    console.log(
      `  server µs per request: user ${round(((after.user - before.user) / r.count) * 1)}, system ${round((after.system - before.system) / r.count)}`,
    );
  return {
    perSecond: r.perSecond,
    perCpuSecond: round(r.count / cpuSeconds(before, after)),
    p50ms: r.p50ms,
    p99ms: r.p99ms,
    count: r.count,
    writesPerCommit: commits > 0 ? round((commits1.writes - commits0.writes) / commits, 2) : 0,
  };
}

/** Raw ops on this thread for `ms`: ops per wall second and per CPU-second of this process. */
function measureRaw(op: () => unknown, ms: number): { perSecond: number; perCpuSecond: number } {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const budget = BigInt(ms * 1e6);
  let n = 0;
  while (process.hrtime.bigint() - t0 < budget) {
    for (let i = 0; i < 50; i++) op();
    n += 50;
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: round(n / wall), perCpuSecond: round(n / ((cpu.user + cpu.system) / 1e6)) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function seed(client: ReturnType<typeof createClient>): Promise<void> {
  const put = async (path: string, resource: Record<string, unknown>) => {
    const r = await client.send({ method: 'PUT', path: `/fhir/${path}`, body: JSON.stringify(resource) });
    if (r.status !== 200 && r.status !== 201) throw new Error(`PUT ${path}: ${r.status} ${r.body.slice(0, 2000)}`);
  };
  const imm = example('Immunization-DDCCImmunizationEnglish.json');
  // The example holds its name as text only, which issuance never splits: give it the structured parts.
  const patient: Record<string, unknown> = {
    ...example('Patient-DDCCPatientEnglish.json'),
    name: [{ use: 'official', text: 'Aulus Agerius', family: 'Agerius', given: ['Aulus'] }],
  };
  const org = example('Organization-DDCCOrganizationEnglish.json');
  await put(`Organization/${org.id as string}`, org);
  await put(`Patient/${patient.id as string}`, patient);
  await put(`Immunization/${imm.id as string}`, imm);
}

function parameter(body: string, name: string): string | undefined {
  const p = (
    JSON.parse(body) as { parameter?: { name: string; valueString?: string; valueBoolean?: boolean }[] }
  ).parameter?.find((x) => x.name === name);
  return p?.valueString ?? (p?.valueBoolean === undefined ? undefined : String(p.valueBoolean));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  const keys = await writeBenchKeys(dir, DSC_COUNT);
  const server = await startServer(dir, keys.config);
  const client = createClient(server.port, CONCURRENCY);
  const verifyClient = createClient(server.port, VERIFY_CONCURRENCY);
  try {
    await seed(client);
    const immPath = `/fhir/Immunization/${example('Immunization-DDCCImmunizationEnglish.json').id as string}/$issue-hcert`;
    const issueDefault: LoadRequest = {
      method: 'POST',
      path: immPath,
      body: JSON.stringify({ resourceType: 'Parameters' }),
    };
    const issueNoQr: LoadRequest = {
      method: 'POST',
      path: immPath,
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'qrFormat', valueCode: 'none' }] }),
    };

    // Distinct DDCC responses: each request a paper certificate (HCID) and lot of its own.
    const { text: _text, ...igResponse } = example('QuestionnaireResponse-DDCCVSQuestionnaireResponseExample.json') as {
      text?: unknown;
      item: { linkId: string; answer: unknown[] }[];
    };
    const generateReq = (i: number): LoadRequest => {
      const item = igResponse.item.map((it) =>
        it.linkId === 'hcid'
          ? { linkId: 'hcid', answer: [{ valueString: `BENCH-${process.pid}-${i}-${Math.random()}` }] }
          : it.linkId === 'lot'
            ? { linkId: 'lot', answer: [{ valueString: `LOT-${i}` }] }
            : it,
      );
      return {
        method: 'POST',
        path: '/fhir/QuestionnaireResponse/$generateHealthCertificate',
        body: JSON.stringify({
          resourceType: 'Parameters',
          parameter: [{ name: 'response', resource: { ...igResponse, item } }],
        }),
      };
    };
    const first = await client.send(generateReq(0));
    if (first.status !== 201)
      throw new Error(`$generateHealthCertificate: ${first.status} ${first.body.slice(0, 2000)}`);

    // The template: an HC1 this server issued (its newest DSC signed it); the set varies it, over every DSC.
    const issued = await client.send(issueNoQr);
    const template = issued.status === 200 ? parameter(issued.body, 'hc1') : undefined;
    if (!template) throw new Error(`$issue-hcert: ${issued.status} ${issued.body.slice(0, 2000)}`);
    const hc1s = distinctHc1s(template, keys.dscs, HC1_COUNT);
    const verifyBodies = hc1s.map((hc1) =>
      JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'credential', valueString: hc1 }] }),
    );
    // One running position over warm-up and rounds: each request takes the next credential of the set.
    let nextHc1 = 0;
    const verifyReq = (): LoadRequest => ({
      method: 'POST',
      path: '/fhir/$verify',
      body: verifyBodies[nextHc1++ % verifyBodies.length],
    });
    const check = await client.send(verifyReq());
    if (check.status !== 200 || parameter(check.body, 'valid') !== 'true')
      throw new Error(`$verify did not accept our own HC1: ${check.status} ${check.body.slice(0, 3000)}`);
    // The same checks run on every request: one of the set with its content changed under its signature is refused.
    const tampered = await client.send({
      method: 'POST',
      path: '/fhir/$verify',
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [{ name: 'credential', valueString: tamperHc1(hc1s[1]!) }],
      }),
    });
    const signatureCheck = (
      JSON.parse(tampered.body) as {
        parameter: { name: string; part?: { name: string; valueCode?: string; valueCoding?: { code: string } }[] }[];
      }
    ).parameter.find(
      (p) => p.name === 'check' && p.part?.some((x) => x.name === 'name' && x.valueCode === 'signature'),
    );
    if (signatureCheck?.part?.find((x) => x.name === 'failure')?.valueCoding?.code !== 'signature-invalid')
      throw new Error(`$verify did not refuse a tampered HC1 of the set: ${tampered.body.slice(0, 3000)}`);

    // The reference: ES256 over a message the size of the Sig_structure (≈ the COSE_Sign1 minus its signature).
    const coseBytes = decodeHc1Transport(hc1s[0]!).cose.length;
    const message = new Uint8Array(randomBytes(coseBytes));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rawSig = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const derSig = sign('sha256', message, privateKey);
    const raw = {
      sign: () => sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
      verify: () => verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, rawSig),
      // The same operations with the KeyObject passed alone (DER signatures): Node's options-object path costs
      // ~30-45 µs more per call, and src/formats/es256.ts takes this path. Reported as figures, not in the ratios.
      signDer: () => sign('sha256', message, privateKey),
      verifyDer: () => verify('sha256', message, publicKey, derSig),
    };

    // Warm-up: JIT of the server's hot paths and of the reference.
    if (!ONLY || ONLY === 'verify') await verifyClient.load(300, verifyReq);
    if (!ONLY || ONLY === 'issue') await client.load(30, () => issueDefault);
    if (!ONLY || ONLY === 'issueNoQr') await client.load(100, () => issueNoQr);
    if (!ONLY || ONLY === 'generate') await client.load(30, generateReq, (s) => s === 201);
    for (const op of Object.values(raw)) measureRaw(op, 200);

    const rounds: Record<
      Kind | 'rawSign' | 'rawVerify' | 'rawSignDer' | 'rawVerifyDer',
      { perSecond: number; perCpuSecond: number; p50ms?: number; p99ms?: number; writesPerCommit?: number }[]
    > = {
      verify: [],
      issue: [],
      issueNoQr: [],
      generate: [],
      rawSign: [],
      rawVerify: [],
      rawSignDer: [],
      rawVerifyDer: [],
    };
    const requests: Record<Kind, (i: number) => LoadRequest> = {
      verify: verifyReq,
      issue: () => issueDefault,
      issueNoQr: () => issueNoQr,
      generate: generateReq,
    };
    for (let r = 0; r < ROUNDS; r++) {
      rounds.rawVerify.push(measureRaw(raw.verify, RAW_SLICE_MS));
      rounds.rawSign.push(measureRaw(raw.sign, RAW_SLICE_MS));
      rounds.rawVerifyDer.push(measureRaw(raw.verifyDer, RAW_SLICE_MS / 2));
      rounds.rawSignDer.push(measureRaw(raw.signDer, RAW_SLICE_MS / 2));
      for (const kind of ['verify', 'issue', 'issueNoQr', 'generate'] as const) {
        if (ONLY && kind !== ONLY) continue;
        const loader = kind === 'verify' ? verifyClient : client;
        const ok = kind === 'generate' ? 201 : 200;
        const m = await measureHttp(server.child, () =>
          loader.load(LOAD[kind].count, requests[kind], (s) => s === ok, LOAD[kind].seconds),
        );
        rounds[kind].push(m);
        console.log(
          `round ${r + 1} ${kind.padEnd(10)} ${m.perSecond}/s wall, ${m.perCpuSecond}/server-CPU-s, p50 ${m.p50ms} ms, p99 ${m.p99ms} ms (${m.count} requests, ${m.writesPerCommit} writes/commit)`,
        );
      }
      if (ONLY) continue;
      console.log(
        `round ${r + 1} raw ES256 verify ${rounds.rawVerify[r]!.perSecond}/s, sign ${rounds.rawSign[r]!.perSecond}/s (one thread)`,
      );
    }

    const med = (k: keyof typeof rounds, f: 'perSecond' | 'perCpuSecond' | 'p99ms' | 'p50ms' | 'writesPerCommit') =>
      round(median(rounds[k].map((x) => x[f] as number)), 1);
    const ratio = (ours: Kind, ref: 'rawSign' | 'rawVerify', f: 'perSecond' | 'perCpuSecond') =>
      round(median(rounds[ours].map((x, i) => x[f] / rounds[ref][i]![f])));
    const figures = {
      verify_http_per_s: med('verify', 'perSecond'),
      verify_http_per_cpu_s: med('verify', 'perCpuSecond'),
      verify_http_p50_ms: med('verify', 'p50ms'),
      verify_http_p99_ms: med('verify', 'p99ms'),
      issue_http_per_s: med('issue', 'perSecond'),
      issue_http_per_cpu_s: med('issue', 'perCpuSecond'),
      issue_http_p99_ms: med('issue', 'p99ms'),
      issue_http_writes_per_commit: med('issue', 'writesPerCommit'),
      issue_http_noqr_per_s: med('issueNoQr', 'perSecond'),
      issue_http_noqr_per_cpu_s: med('issueNoQr', 'perCpuSecond'),
      issue_http_noqr_p99_ms: med('issueNoQr', 'p99ms'),
      issue_http_noqr_writes_per_commit: med('issueNoQr', 'writesPerCommit'),
      generate_health_certificate_per_s: med('generate', 'perSecond'),
      generate_health_certificate_per_cpu_s: med('generate', 'perCpuSecond'),
      generate_health_certificate_p99_ms: med('generate', 'p99ms'),
      es256_verify_per_s: med('rawVerify', 'perSecond'),
      es256_verify_per_cpu_s: med('rawVerify', 'perCpuSecond'),
      es256_sign_per_s: med('rawSign', 'perSecond'),
      es256_sign_per_cpu_s: med('rawSign', 'perCpuSecond'),
      es256_verify_der_per_cpu_s: med('rawVerifyDer', 'perCpuSecond'),
      es256_sign_der_per_cpu_s: med('rawSignDer', 'perCpuSecond'),
      es256_message_bytes: coseBytes,
      verify_http_wall_vs_es256_verify: ratio('verify', 'rawVerify', 'perSecond'),
      issue_http_wall_vs_es256_sign: ratio('issue', 'rawSign', 'perSecond'),
      issue_http_noqr_wall_vs_es256_sign: ratio('issueNoQr', 'rawSign', 'perSecond'),
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      verify_concurrency: VERIFY_CONCURRENCY,
      verify_distinct_hc1s: HC1_COUNT,
      verify_dscs: DSC_COUNT,
      verify_requests: nextHc1,
      sqlite_synchronous: 'FULL',
      validation: 'strict',
      per_core: 'requests per server CPU-second over raw ES256 ops per CPU-second, one thread',
    };
    const ratios = {
      verify_http_vs_es256_verify: ratio('verify', 'rawVerify', 'perCpuSecond'),
      issue_http_vs_es256_sign: ratio('issue', 'rawSign', 'perCpuSecond'),
      issue_http_noqr_vs_es256_sign: ratio('issueNoQr', 'rawSign', 'perCpuSecond'),
      generate_health_certificate_vs_es256_sign: ratio('generate', 'rawSign', 'perCpuSecond'),
    };
    // Under BENCH_ONLY the loads not run have no rounds: their medians are NaN, left out rather than printed as null.
    const measured = (o: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => !(typeof v === 'number' && Number.isNaN(v))));
    console.log(
      JSON.stringify({
        bench: 'e2e',
        ...(ONLY ? { only: ONLY } : {}),
        figures: measured(figures),
        ratios: measured(ratios),
      }),
    );
  } finally {
    client.close();
    verifyClient.close();
    server.child.send('stop');
    await new Promise((resolve) => server.child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
