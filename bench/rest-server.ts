/**
 * The server under test for bench/rest.ts, bench/ingest.ts and bench/e2e.ts: a file-backed SQLite store in a temp
 * folder, on 127.0.0.1, port sent by IPC. IPC 'cpu' answers this process's CPU time (process.cpuUsage: user +
 * system of all its threads; `mainThread`: the event loop's thread alone), so a bench can count requests per server
 * CPU-second. IPC 'commits' answers the SQLite store's group-commit totals (commits, writes). IPC `{ load: { from, to } }`
 * bulk-loads bench/rest-data.ts's Immunizations [from, to) through the store (bench/rest.ts's million records).
 */
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApp } from '../src/app.ts';
import { onClientError } from '../src/http/hardening.ts';
import type { Config } from '../src/config/schema.ts';
import { groupCommitTotals } from '../src/storage/sqlite/store-queue.ts';
import { immunization } from './rest-data.ts';
import { benchConfig, benchServices } from './bench-config.ts';

const dataDir = process.argv[2];
// Optional third argument: JSON config overrides (bench/ingest.ts runs one server per validation mode).
const overrides = process.argv[3] ? (JSON.parse(process.argv[3]) as Partial<Config>) : {};
// STORAGE and MONGODB_URL pass through, so `STORAGE=mongodb MONGODB_URL=… npm run bench:rest` measures MongoDB.
// Access control and the audit trail are off unless a bench asks for them (bench/auth.ts measures their cost).
const config = benchConfig(
  dataDir,
  { searchMaxCount: 1000, ...overrides },
  { STORAGE: process.env.STORAGE, MONGODB_URL: process.env.MONGODB_URL },
);
const services = await benchServices(config);
await services.validationPool?.ready(); // started means its validation threads too
const server = createApp(services).listen(0, '127.0.0.1', () => {
  process.send?.({
    port: (server.address() as AddressInfo).port,
    store: services.store.describe(),
    synchronous: config.sqliteSynchronous,
  });
});
server.keepAliveTimeout = 60_000;
server.on('clientError', onClientError);
/** Bulk load for bench/rest.ts: records [from, to) through the store's own write path, 5,000 per transaction. */
async function load(from: number, to: number): Promise<void> {
  const started = process.hrtime.bigint();
  for (let start = from; start < to; start += 5000) {
    const end = Math.min(to, start + 5000);
    await services.store.transaction(async (tx) => {
      for (let n = start; n < end; n++) await tx.create(immunization(n));
    });
  }
  process.send?.({ loaded: to - from, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
}

// IPC 'eld' answers the event loop's delay since the last 'eld' (max and p99, ms) and its longest CPU hold, and
// starts a new window:
// bench/abuse.ts asks after each input family, to show which one holds the loop.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
// The event loop's delay is wall time: on a shared machine it also counts the time the OS did not run us. The main
// thread's own CPU time between two ticks 5 ms apart is what one stretch of synchronous work held the loop for,
// whatever the load; its maximum since the last 'eld' is reported as `hold`.
let holdMax = 0;
let lastCpu = process.threadCpuUsage();
setInterval(() => {
  const cpu = process.threadCpuUsage();
  holdMax = Math.max(holdMax, (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000);
  lastCpu = cpu;
}, 5).unref();
process.on('message', (m) => {
  const bulk = (m as { load?: { from: number; to: number } }).load;
  if (bulk) void load(bulk.from, bulk.to).catch((err: unknown) => process.send?.({ loadError: String(err) }));
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage(), mainThread: process.threadCpuUsage() });
  // Group-commit totals of the SQLite store so far (bench/rest.ts: writes per commit at c8 and c64).
  if (m === 'commits') process.send?.({ commits: groupCommitTotals() });
  if (m === 'eld') {
    process.send?.({ eld: { max: loopDelay.max / 1e6, p99: loopDelay.percentile(99) / 1e6, hold: holdMax } });
    loopDelay.reset();
    holdMax = 0;
  }
  if (m === 'flush') void services.audit.flush().then(() => process.send?.({ flushed: true }));
  if (m === 'stop') server.close(() => void services.close().then(() => process.exit(0)));
});
