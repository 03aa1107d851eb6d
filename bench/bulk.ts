/**
 * bench:bulk — `$issue-hcert-bulk` throughput (issue 18): credentials per CPU-second of the bulk job (no QR images),
 * over raw ES256 signatures per CPU-second on one thread, in the same run.
 *
 *  - The server's services on a file-backed SQLite store (synchronous=FULL, as in production), audit trail on; the
 *    job runs in this process, so process.cpuUsage counts everything it costs: reading the records, mapping,
 *    validating the DDCC document, CBOR, signing, deflate, base45, the Provenance, the NDJSON lines, the batch
 *    AuditEvents and the commits.
 *  - BULK_ITEMS (default 5,000) distinct Patients with one distinct Immunization each, stored before the run, so no
 *    cache keyed by the record or the credential can stand in for the work.
 *  - The reference: ES256 (P-256, IEEE P1363 signatures) over a message the size of one of the job's COSE_Sign1.
 * Last line: {"bench":"bulk","figures":{...},"ratios":{"bulk_issue_vs_es256_sign":…}}.
 */
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import type { Parameters, Resource } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { parseConfig } from '../src/config/schema.ts';
import { decodeHc1Transport } from '../src/formats/hcert/hc1.ts';
import { BULK_BATCH_SIZE } from '../src/credentials/bulk-issue.ts';
import { createServices } from '../src/services.ts';
import { covidImmunization, patient } from '../test/unit/credentials/fixtures.ts';
import { round } from './http-load.ts';
import { phaseBreakdown } from './profile-phases.ts';

const PACKAGES_DIR = new URL('../../shared/fhir-packages', import.meta.url).pathname;
const ITEMS = Number(process.env.BULK_ITEMS ?? 5000);
const WARMUP = 200;
const RAW_ROUNDS = 3;
const RAW_SLICE_MS = 1000;

const cpuSeconds = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1e6;

/** Raw ops on this thread for `ms`: ops per CPU-second of this process. */
function measureRaw(op: () => unknown, ms: number): number {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let n = 0;
  while (process.hrtime.bigint() - t0 < BigInt(ms * 1e6)) {
    for (let i = 0; i < 50; i++) op();
    n += 50;
  }
  return n / cpuSeconds(process.cpuUsage(cpu0));
}

/** 1234 → "BXM": names hold letters only (ICAO 9303 transliteration has no digits in names). */
const letters = (n: number): string =>
  (n < 26 ? '' : letters(Math.floor(n / 26) - 1)) + String.fromCharCode(65 + (n % 26));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dataDir = mkdtempSync(`${tmpdir()}/bench-bulk-`);
const config = parseConfig(
  {},
  {
    dataDir,
    logLevel: 'silent',
    auth: false,
    audit: true,
    publicRateLimit: 0,
    validationWorkers: 0,
    fhirPackages: [PACKAGES_DIR],
    issuerUrl: 'https://issuer.bench',
  },
);
const services = await createServices(config, { log: pino({ level: 'silent' }) });
try {
  // Distinct records: every patient has their own name, identifier and birth date, every dose its own date and lot.
  const total = WARMUP + ITEMS;
  for (let start = 0; start < total; start += 500) {
    await services.store.transaction(async (tx) => {
      for (let i = start; i < Math.min(total, start + 500); i++) {
        const day = new Date(Date.UTC(2021, 0, 1) + (i % 700) * 86_400_000).toISOString().slice(0, 10);
        const born = new Date(Date.UTC(1940, 0, 1) + ((i * 7919) % 25_000) * 86_400_000).toISOString().slice(0, 10);
        const records: Resource[] = [
          patient({
            id: `bp${i}`,
            identifier: [{ system: 'urn:oid:2.16.840.1.113883.2.4.6.3', value: `BULK-${i}` }],
            name: [{ use: 'official', family: `Family${letters(i)}`, given: [`Given${letters(i % 97)}`] }],
            birthDate: born,
          }),
          covidImmunization({
            id: `bi${i}`,
            patient: { reference: `Patient/bp${i}` },
            occurrenceDateTime: day,
            lotNumber: `LOT-${i}`,
          }),
        ];
        for (const r of records) await tx.create(r, { id: r.id as string });
      }
    });
  }
  const run = async (items: string[]) => {
    const job = await services.bulk.start({
      id: randomUUID(),
      owner: 'bench',
      items,
      validitySeconds: 365 * 86_400,
      requestedAt: new Date().toISOString(),
    });
    await services.bulk.idle();
    return (await services.bulk.get(job.id))!;
  };
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `bi${from + i}`);

  await run(ids(0, WARMUP)); // JIT of the issuance path, compiled profiles
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the measured job only (not the seeding, nor the raw signatures), for
  // `node bench/profile-summary.ts <file> 40 src/credentials/bulk-issue.ts`.
  const profiler = process.env.BENCH_CPU_PROF ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const job = await run(ids(WARMUP, ITEMS));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    const file = `${process.env.BENCH_CPU_PROF}/bulk-${Date.now()}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));
    profiler.disconnect();
    console.error(`CPU profile of the job: ${file}; per credential, by phase:`);
    for (const line of phaseBreakdown(profile, (cpu * 1e6) / ITEMS)) console.error(line);
  }
  const issued = job.files.filter((f) => f.kind === 'output').reduce((n, f) => n + f.count, 0);
  if (job.state !== 'completed' || issued !== ITEMS) {
    const err = job.files.find((f) => f.kind === 'error');
    const line = err ? (await services.bulk.file(job, err.name))?.split('\n')[0] : '';
    throw new Error(`the job ended ${job.state} with ${issued} of ${ITEMS} credentials; first error: ${line}`);
  }

  // The reference message: as long as one of the job's COSE_Sign1.
  const first = (await services.bulk.file(job, job.files[0]!.name))!.split('\n')[0]!;
  const hc1 = (JSON.parse(first) as Parameters).parameter!.find((p) => p.name === 'hc1')!.valueString!;
  const coseBytes = decodeHc1Transport(hc1).cose.length;
  const message = new Uint8Array(randomBytes(coseBytes));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rawSign = () => sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  measureRaw(rawSign, 200);
  const raw = median(Array.from({ length: RAW_ROUNDS }, () => measureRaw(rawSign, RAW_SLICE_MS)));

  const perCpu = ITEMS / cpu;
  console.log(
    JSON.stringify({
      bench: 'bulk',
      figures: {
        bulk_items: ITEMS,
        bulk_per_s: round(ITEMS / wall),
        bulk_per_cpu_s: round(perCpu),
        bulk_cpu_s: round(cpu),
        es256_sign_per_cpu_s: round(raw),
        es256_message_bytes: coseBytes,
        batch_size: BULK_BATCH_SIZE,
        audit: true,
        sqlite_synchronous: config.sqliteSynchronous,
        load_average_1m: round(loadavg()[0]!),
      },
      ratios: { bulk_issue_vs_es256_sign: Math.round((perCpu / raw) * 1000) / 1000 },
    }),
  );
} finally {
  await services.close();
  rmSync(dataDir, { recursive: true, force: true });
}
