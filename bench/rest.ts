/**
 * npm run bench:rest — the FHIR REST layer on its embedded store, over HTTP on 127.0.0.1, next to a raw
 * node:sqlite insert of the same JSON with the same durability settings (WAL, synchronous=FULL, one
 * transaction per insert, as a naive server committing each request would). Ratios: create_http_vs_raw_insert
 * (creates at concurrency 8), create_http_c64_vs_raw_insert (creates at concurrency 64: the server's group commit
 * shares one fsync among the writes waiting together, ADR 0070), create_http_c64_vs_c8, search_100k_vs_10k (time per search at 100k
 * stored Immunizations over at 10k: near 1 means the search is indexed), conditional_update_vs_create
 * (`PUT Immunization?identifier=…` re-pushes of stored Immunizations per second over plain creates per second,
 * both measured at the full size; the issue's goal is >= 0.7 at 100k stored).
 * BENCH_LARGE sets the full size (default 100,000), BENCH_CREATES the count of creates and of conditional updates.
 *
 * Searches by patient, by date range and by identifier (bench/rest-million.ts) are timed at the top size —
 * BENCH_LARGE, or REST_BENCH_RECORDS when set (e.g. 1000000; not run in CI: the store is bulk-loaded up to it
 * through the server's own store, in 5,000-create transactions) — and, side by side, on a second server holding
 * the same first 10k records. `search_1m_vs_10k` (or
 * `search_p50_<size>_vs_10k` at another size) is the WORST of the three searches' p50 at the top size over its p50
 * at 10k; the goal is <= 2. Each search's p50/p99, the load time and the store's size on disk are in the figures.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { askChild } from './child-server.ts';
import { createClient, round, type LoadResult } from './http-load.ts';
import { immunization, SEARCH_KINDS, transaction } from './rest-data.ts';
import { bulkLoad, storeBytes, timeSearches } from './rest-million.ts';
import type { SearchTimes } from './rest-million.ts';

const CONCURRENCY = 8;
/** Clients of the second create phase: enough waiting writes to show what one shared commit carries. */
const WIDE = 64;
const SINGLE_CREATES = Number(process.env.BENCH_CREATES ?? 2000);
const READS = 5000;
const SEARCHES = 2000;
const SMALL = 10_000;
const LARGE = Number(process.env.BENCH_LARGE ?? 100_000);
const RECORDS = process.env.REST_BENCH_RECORDS ? Number(process.env.REST_BENCH_RECORDS) : undefined;
/** Timed searches of each kind (patient, date range, identifier) at 10k and at the top size. */
const SEARCHES_PER_KIND = Number(process.env.BENCH_SEARCHES_PER_KIND ?? 1000);

function rawInsertsPerSecond(dir: string, count: number): number {
  const db = new DatabaseSync(join(dir, 'raw.db'));
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE r (id TEXT PRIMARY KEY, json TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO r (id, json) VALUES (?, ?)');
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) insert.run(crypto.randomUUID(), JSON.stringify(immunization(i)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return round(count / seconds);
}

/** The MongoDB reference: insertOne of the same JSON, majority write concern, into a scratch database. */
async function rawMongoInsertsPerSecond(count: number): Promise<number> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(process.env.MONGODB_URL as string);
  const db = client.db(`bench_raw_${process.pid}`);
  try {
    const col = db.collection('r');
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++)
      await col.insertOne(
        { _id: crypto.randomUUID() as never, json: JSON.stringify(immunization(i)) },
        { writeConcern: { w: 'majority' } },
      );
    return round(count / (Number(process.hrtime.bigint() - started) / 1e9));
  } finally {
    await db.dropDatabase();
    await client.close();
  }
}

/**
 * The work budget is wall time: at load 15-18 on 2 cores, 8 fill Bundles of 100 entries at once outlived the
 * default 10 s and were refused (422 WORK_BUDGET_EXCEEDED). The budget is a refusal ceiling, not a speed, so the
 * bench's servers get a wide one; everything else is the production default (synchronous=FULL included).
 */
const SERVER_OVERRIDES = { requestBudgetMs: 300_000 };

/** Forks bench/rest-server.ts on a fresh folder under the OS temp folder. */
async function startServer(): Promise<{
  dir: string;
  server: ChildProcess;
  port: number;
  store: string;
  synchronous: string;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rest-'));
  const server = fork(new URL('./rest-server.ts', import.meta.url).pathname, [dir, JSON.stringify(SERVER_OVERRIDES)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port, store, synchronous } = await new Promise<{ port: number; store: string; synchronous: string }>(
    (resolve) => server.once('message', (m) => resolve(m as { port: number; store: string; synchronous: string })),
  );
  return { dir, server, port, store, synchronous };
}

interface CommitTotals {
  commits: number;
  writes: number;
  largest: number;
}

/** The server's group-commit totals so far (SQLite only; zeros on MongoDB). */
function commitTotals(server: ChildProcess): Promise<CommitTotals> {
  return askChild<CommitTotals>(server, 'commits', 'commits');
}

/** Single writes per commit between two readings of the totals. */
function perCommit(before: CommitTotals, after: CommitTotals): number {
  const commits = after.commits - before.commits;
  return commits > 0 ? round((after.writes - before.writes) / commits, 2) : 0;
}

async function stopServer(s: { dir: string; server: ChildProcess }): Promise<void> {
  s.server.send('stop');
  await new Promise((resolve) => s.server.once('exit', resolve));
  rmSync(s.dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const big = await startServer();
  const { dir, server, port, store, synchronous } = big;
  let small: Awaited<ReturnType<typeof startServer>> | undefined;
  let oneSmall: ReturnType<typeof createClient> | undefined;
  console.log(`store under test: ${store}`);
  const client = createClient(port, CONCURRENCY);
  const wide = createClient(port, WIDE);
  const one = createClient(port, 1);
  console.log(`load average at start ${loadAverage()}`);
  const log = (what: string, r: LoadResult | number) =>
    console.log(
      what.padEnd(34),
      typeof r === 'number' ? r : `${r.perSecond}/s  p50 ${r.p50ms} ms  p99 ${r.p99ms} ms  failures ${r.failures}`,
    );
  try {
    const commits0 = await commitTotals(server);
    const single = await client.load(SINGLE_CREATES, (i) => ({
      method: 'POST',
      path: '/fhir/Immunization',
      body: JSON.stringify(immunization(i)),
    }));
    const commits8 = await commitTotals(server);
    log(`create, one per request, c${CONCURRENCY}`, single);
    const single64 = await wide.load(SINGLE_CREATES, (i) => ({
      method: 'POST',
      path: '/fhir/Immunization',
      body: JSON.stringify(immunization(SINGLE_CREATES + i)),
    }));
    const commits64 = await commitTotals(server);
    log(`create, one per request, c${WIDE}`, single64);
    log(`writes per commit c${CONCURRENCY} / c${WIDE}`, perCommit(commits0, commits8));
    log(`writes per commit c${WIDE}`, perCommit(commits8, commits64));
    // The reference right after, in the same stretch of machine load.
    const mongo = process.env.STORAGE === 'mongodb';
    const raw = mongo ? await rawMongoInsertsPerSecond(SINGLE_CREATES) : rawInsertsPerSecond(dir, SINGLE_CREATES);
    log(`raw ${mongo ? 'MongoDB driver' : 'node:sqlite'} insert (reference)`, raw);
    let stored = 2 * SINGLE_CREATES;
    const tx = await client.load(20, (i) => ({
      method: 'POST',
      path: '/fhir',
      body: transaction(stored + i * 100, 100),
    }));
    stored += 2000;
    const txPerSecond = round(tx.perSecond * 100);
    log('create in 100-entry transactions', txPerSecond);

    const first = JSON.parse((await client.send({ method: 'GET', path: '/fhir/Immunization?_count=1' })).body).entry[0]
      .resource.id as string;
    const reads = await client.load(READS, () => ({ method: 'GET', path: `/fhir/Immunization/${first}` }));
    log('read by id', reads);

    stored = await fill(client, stored, SMALL);
    const search10k = await searchLoad(client, stored);
    log(`token search at ${stored}`, search10k);
    stored = await fill(client, stored, LARGE);
    const search100k = await searchLoad(client, stored);
    log(`token search at ${stored}`, search100k);

    const atSize = await client.load(SINGLE_CREATES, (i) => ({
      method: 'POST',
      path: '/fhir/Immunization',
      body: JSON.stringify(immunization(stored + i)),
    }));
    log(`create at ${stored}`, atSize);
    stored += SINGLE_CREATES;
    const conditional = await client.load(SINGLE_CREATES, (i) => {
      const n = (i * 7919) % stored; // spread over everything stored: each one matches exactly one resource
      return {
        method: 'PUT',
        path: `/fhir/Immunization?identifier=${encodeURIComponent(`urn:bench:his|imm-${n}`)}`,
        body: JSON.stringify({ ...immunization(n), lotNumber: `RE-${i}` }),
      };
    });
    log(`conditional update at ${stored}`, conditional);

    let loadSeconds: number | undefined;
    let loaded = 0;
    if (RECORDS !== undefined && RECORDS > stored) {
      console.log(`bulk-loading ${RECORDS - stored} Immunizations through the store (load average ${loadAverage()})`);
      loadSeconds = await bulkLoad(server, stored, RECORDS);
      loaded = RECORDS - stored;
      stored = RECORDS;
      log(`bulk load to ${stored}, records/s`, round(loaded / loadSeconds));
    }
    const threeFigures: Record<string, number> = {};
    const threeRatios: Record<string, number> = {};
    let threeFailures = 0;
    if (mongo) {
      // Its 10k reference server would write into the same MongoDB database as the server under test.
      console.log('searches by patient, date range and identifier vs 10k: SQLite only');
    } else {
      // The 10k reference: a second server, loaded the same way with the same first 10k records, timed side by side.
      small = await startServer();
      oneSmall = createClient(small.port, 1);
      log(`bulk load of the 10k reference, s`, round(await bulkLoad(small.server, 0, SMALL)));
      const [three10k, threeTop] = (await timeSearches(
        [
          { send: oneSmall.send, server: small.server, stored: SMALL },
          { send: one.send, server, stored },
        ],
        SEARCHES_PER_KIND,
      )) as [SearchTimes, SearchTimes];
      logThree(SMALL, three10k);
      logThree(stored, threeTop);
      const sizeLabel = stored >= 1_000_000 ? `${stored / 1_000_000}m` : `${Math.round(stored / 1000)}k`;
      for (const k of SEARCH_KINDS) {
        threeFigures[`search_${k}_10k_p50_ms`] = three10k[k].p50ms;
        threeFigures[`search_${k}_10k_p99_ms`] = three10k[k].p99ms;
        threeFigures[`search_${k}_${sizeLabel}_p50_ms`] = threeTop[k].p50ms;
        threeFigures[`search_${k}_${sizeLabel}_p99_ms`] = threeTop[k].p99ms;
        threeFigures[`search_${k}_10k_server_cpu_ms`] = three10k[k].serverCpuMs;
        threeFigures[`search_${k}_${sizeLabel}_server_cpu_ms`] = threeTop[k].serverCpuMs;
      }
      Object.assign(threeFigures, {
        searches_per_kind: SEARCHES_PER_KIND,
        search_concurrency: 1,
        search_small_stored: SMALL,
      });
      const worst = Math.max(...SEARCH_KINDS.map((k) => threeTop[k].p50ms / three10k[k].p50ms));
      threeRatios[stored === 1_000_000 ? 'search_1m_vs_10k' : `search_p50_${sizeLabel}_vs_10k`] = round(worst);
      threeFailures = three10k.failures + threeTop.failures;
    }
    const bytes = mongo ? undefined : storeBytes(dir);

    const figures = {
      create_http_per_s: single.perSecond,
      create_http_p99_ms: single.p99ms,
      create_http_c8_per_s: single.perSecond,
      create_http_c64_per_s: single64.perSecond,
      create_http_c64_p50_ms: single64.p50ms,
      create_http_c64_p99_ms: single64.p99ms,
      create_c8_writes_per_commit: perCommit(commits0, commits8),
      create_c64_writes_per_commit: perCommit(commits8, commits64),
      create_largest_commit_writes: commits64.largest,
      sqlite_synchronous: mongo ? undefined : synchronous,
      raw_insert: mongo
        ? 'MongoDB insertOne, w: majority, one at a time'
        : 'node:sqlite, same JSON, WAL, synchronous=FULL, one commit per insert, one at a time',
      create_tx100_resources_per_s: txPerSecond,
      read_per_s: reads.perSecond,
      search_10k_per_s: search10k.perSecond,
      search_100k_per_s: search100k.perSecond,
      search_10k_p99_ms: search10k.p99ms,
      search_100k_p99_ms: search100k.p99ms,
      create_at_size_per_s: atSize.perSecond,
      conditional_update_at_size_per_s: conditional.perSecond,
      conditional_update_p99_ms: conditional.p99ms,
      [mongo ? 'raw_mongodb_insert_per_s' : 'raw_sqlite_insert_per_s']: raw,
      ...threeFigures,
      ...(loadSeconds !== undefined
        ? { bulk_load_records: loaded, bulk_load_s: round(loadSeconds), bulk_load_per_s: round(loaded / loadSeconds) }
        : {}),
      ...(bytes ? { store_db_mb: round(bytes.db / 2 ** 20), store_wal_shm_mb: round(bytes.wal / 2 ** 20) } : {}),
      ...(bytes ? { store_bytes_per_record: Math.round((bytes.db + bytes.wal) / stored) } : {}),
      load_average_1m_end: loadAverage(),
      store,
      stored_immunizations: stored,
      concurrency: CONCURRENCY,
      failures:
        single.failures +
        single64.failures +
        tx.failures +
        reads.failures +
        search10k.failures +
        search100k.failures +
        atSize.failures +
        conditional.failures +
        threeFailures,
    };
    const ratios = {
      create_http_vs_raw_insert: round(single.perSecond / raw),
      create_http_c64_vs_raw_insert: round(single64.perSecond / raw),
      create_http_c64_vs_c8: round(single64.perSecond / single.perSecond),
      search_100k_vs_10k: round(search10k.perSecond / search100k.perSecond),
      conditional_update_vs_create: round(conditional.perSecond / atSize.perSecond),
      ...threeRatios,
    };
    console.log(JSON.stringify({ bench: 'rest', figures, ratios }));
  } finally {
    client.close();
    wide.close();
    one.close();
    oneSmall?.close();
    if (small) await stopServer(small);
    await stopServer(big);
  }
}

function loadAverage(): number {
  return round(loadavg()[0] as number);
}

function logThree(stored: number, r: SearchTimes): void {
  for (const k of SEARCH_KINDS)
    console.log(
      `search by ${k} at ${stored}`.padEnd(34),
      `p50 ${r[k].p50ms} ms  p99 ${r[k].p99ms} ms  server CPU ${r[k].serverCpuMs} ms/search`,
    );
}

/**
 * Fills the store up to `target` Immunizations with 100-entry transactions. With 500 entries, 8 at once on a
 * loaded machine (load ~15 on 2 cores) a Bundle outlived its 10 s work budget (422 WORK_BUDGET_EXCEEDED): the
 * budget is wall time, and it counts the other Bundles' turns on the event loop.
 */
async function fill(client: ReturnType<typeof createClient>, stored: number, target: number): Promise<number> {
  const size = 100;
  // A target at or below what is stored adds nothing (BENCH_LARGE under the 10k step): a negative count made the
  // bench believe it held fewer records than it did, and its later creates reused stored identifiers.
  const batches = Math.max(0, Math.ceil((target - stored) / size));
  const r = await client.load(batches, (i) => ({
    method: 'POST',
    path: '/fhir',
    body: transaction(stored + i * size, size),
  }));
  if (r.failures > 0) throw new Error(`fill failed: ${r.failures} transactions; first: ${r.firstFailure}`);
  return stored + batches * size;
}

/** Token search by identifier, one match each, spread over everything stored. */
function searchLoad(client: ReturnType<typeof createClient>, stored: number): Promise<LoadResult> {
  return client.load(SEARCHES, (i) => ({
    method: 'GET',
    path: `/fhir/Immunization?identifier=${encodeURIComponent(`urn:bench:his|imm-${(i * 7919) % stored}`)}`,
  }));
}

await main();
