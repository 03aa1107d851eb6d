/**
 * The "million records" part of bench/rest.ts: the three searches a registry serves most — by patient, by date
 * range, by identifier — timed one at a time (concurrency 1, so a latency is one search's, not a queue's) on the
 * large store and on a 10k store side by side, interleaved, so that the machine's load (8 benches share 2 cores)
 * moves both alike; the bulk load up to REST_BENCH_RECORDS; and the size of the store on disk.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { serverCpu as childCpu } from './child-server.ts';
import type { LoadRequest } from './http-load.ts';
import { round } from './http-load.ts';
import { expectedMatches, SEARCH_KINDS, searchPath } from './rest-data.ts';
import type { SearchKind } from './rest-data.ts';

type Send = (req: LoadRequest) => Promise<{ status: number; body: string }>;

export interface Latency {
  p50ms: number;
  p99ms: number;
  /** Server CPU time (user + system, all threads) per search: less moved by the machine's load than wall time. */
  serverCpuMs: number;
}

/** The server's CPU time in microseconds, asked over IPC (bench/rest-server.ts answers 'cpu'). */
async function serverCpu(server: ChildProcess): Promise<number> {
  const cpu = await childCpu(server);
  return cpu.user + cpu.system;
}

/** Searches of one kind run back to back, so the server's CPU time between two asks is theirs. */
const BLOCK = 20;

function percentiles(ms: number[], cpuMicros: number): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number);
  return { p50ms: at(0.5), p99ms: at(0.99), serverCpuMs: round(cpuMicros / 1000 / ms.length) };
}

/** Refuses to time searches that do not find what was stored (a wrong plan that finds nothing is fast). */
async function check(send: Send, stored: number): Promise<void> {
  for (const kind of SEARCH_KINDS) {
    for (const i of [0, 1, 2, 997]) {
      const res = await send({ method: 'GET', path: searchPath(kind, i, stored) });
      const found = res.status === 200 ? ((JSON.parse(res.body).entry as unknown[] | undefined)?.length ?? 0) : -1;
      const want = expectedMatches(kind, i, stored);
      if (found !== want) throw new Error(`${searchPath(kind, i, stored)}: ${found} matches, expected ${want}`);
    }
  }
}

/** A server under test and what it stores. */
export interface Target {
  send: Send;
  server: ChildProcess;
  stored: number;
}

export type SearchTimes = Record<SearchKind, Latency> & { failures: number };

/**
 * `perKind` searches of each kind on each target, a different one each time, in blocks of BLOCK: for each kind
 * in turn, a block on each target in turn, so that the machine's load drifts over every kind and target alike.
 * Latencies and server CPU per kind and target.
 */
export async function timeSearches(targets: Target[], perKind: number): Promise<SearchTimes[]> {
  for (const t of targets) await check(t.send, t.stored);
  // Warm-up, untimed: a block of each kind on each target (compiled code paths, statement cache, page cache).
  for (const t of targets)
    for (const kind of SEARCH_KINDS)
      for (let i = 0; i < BLOCK; i++) await t.send({ method: 'GET', path: searchPath(kind, i + 500_000, t.stored) });
  const ms = targets.map((): Record<SearchKind, number[]> => ({ patient: [], date: [], identifier: [] }));
  const cpu = targets.map((): Record<SearchKind, number> => ({ patient: 0, date: 0, identifier: 0 }));
  const failures = targets.map(() => 0);
  for (let start = 0; start < perKind; start += BLOCK) {
    for (const kind of SEARCH_KINDS) {
      for (const [j, t] of targets.entries()) {
        const before = await serverCpu(t.server);
        for (let i = start; i < Math.min(perKind, start + BLOCK); i++) {
          const t0 = process.hrtime.bigint();
          const res = await t.send({ method: 'GET', path: searchPath(kind, i + 1000, t.stored) });
          (ms[j] as Record<SearchKind, number[]>)[kind].push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (res.status !== 200) failures[j] = (failures[j] as number) + 1;
        }
        (cpu[j] as Record<SearchKind, number>)[kind] += (await serverCpu(t.server)) - before;
      }
    }
  }
  return targets.map((_, j) => {
    const m = ms[j] as Record<SearchKind, number[]>;
    const c = cpu[j] as Record<SearchKind, number>;
    return {
      patient: percentiles(m.patient, c.patient),
      date: percentiles(m.date, c.date),
      identifier: percentiles(m.identifier, c.identifier),
      failures: failures[j] as number,
    };
  });
}

/**
 * Has the server create records [from, to) through its store's own write path (`store.transaction` of 5,000
 * creates each, index rows and history included), not one HTTP request per record. Answers the seconds taken.
 */
export function bulkLoad(server: ChildProcess, from: number, to: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      const msg = m as { loaded?: number; seconds?: number; loadError?: string };
      if (msg.loadError !== undefined) reject(new Error(msg.loadError));
      else if (msg.loaded !== undefined) resolve(msg.seconds as number);
      else return;
      server.off('message', onMessage);
    };
    server.on('message', onMessage);
    server.send({ load: { from, to } });
  });
}

/** Bytes of the store's files (database, WAL, shared memory) in the server's data folder. */
export function storeBytes(dir: string): { db: number; wal: number } {
  let db = 0;
  let wal = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('fhir.db')) continue;
    const size = statSync(join(dir, name)).size;
    if (name === 'fhir.db') db += size;
    else wal += size;
  }
  return { db, wal };
}
