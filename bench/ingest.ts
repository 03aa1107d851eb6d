/**
 * npm run bench:ingest — POST /fhir/Immunization over HTTP on 127.0.0.1 with strict DDCC validation on write,
 * next to the same POST with validation off, in one run (alternating rounds, best round of each kept).
 * Ratio: ingest_validated_vs_unvalidated (validated creates/s over unvalidated; goal >= 0.5).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPackageTgz } from '../src/packages/read-package.ts';
import { createClient, round, type LoadResult } from './http-load.ts';

const PACKAGES_DIR = new URL('../../shared/fhir-packages', import.meta.url).pathname;
const PACKAGES = readdirSync(PACKAGES_DIR)
  .filter((f) => f.endsWith('.tgz'))
  .map((f) => join(PACKAGES_DIR, f));
const PER_ROUND = Number(process.env.BENCH_INGEST ?? 1500);
const ROUNDS = 3;
const CONCURRENCY = 8;

const example = readPackageTgz(join(PACKAGES_DIR, 'who.ddcc#1.0.0.tgz')).examples.find(
  (e) => e.file === 'Immunization-DDCCImmunizationEnglish.json',
)?.resource;
if (!example) throw new Error('DDCC Immunization example not found');
const body = JSON.stringify({ ...example, id: undefined });

async function startServer(
  dir: string,
  overrides: Record<string, unknown>,
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./rest-server.ts', import.meta.url).pathname, [dir, JSON.stringify(overrides)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve((m as { port: number }).port)),
  );
  return { child, port };
}

async function stop(child: ChildProcess): Promise<void> {
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const base = { fhirPackages: PACKAGES, sqliteSynchronous: 'NORMAL' };
  const strict = await startServer(join(dir, 'strict'), { ...base, validationMode: 'strict' });
  const off = await startServer(join(dir, 'off'), { ...base, validationMode: 'off' });
  const clients = { strict: createClient(strict.port, CONCURRENCY), off: createClient(off.port, CONCURRENCY) };
  const post = () => ({ method: 'POST', path: '/fhir/Immunization', body });
  try {
    const check = await clients.strict.send(post());
    if (check.status !== 201)
      throw new Error(`the strict server refused the DDCC example: ${check.status} ${check.body}`);
    const best: Record<'strict' | 'off', LoadResult | undefined> = { strict: undefined, off: undefined };
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of ['off', 'strict'] as const) {
        const res = await clients[mode].load(PER_ROUND, post, (s) => s === 201);
        if (res.failures > 0) throw new Error(`${mode}: ${res.failures} creates failed`);
        if (!best[mode] || res.perSecond > (best[mode] as LoadResult).perSecond) best[mode] = res;
        console.log(`round ${r + 1} ${mode.padEnd(6)} ${res.perSecond}/s p50 ${res.p50ms} ms p99 ${res.p99ms} ms`);
      }
    }
    const [v, u] = [best.strict as LoadResult, best.off as LoadResult];
    const figures = {
      validated_creates_per_s: v.perSecond,
      validated_p99_ms: v.p99ms,
      unvalidated_creates_per_s: u.perSecond,
      unvalidated_p99_ms: u.p99ms,
      per_round: PER_ROUND,
      concurrency: CONCURRENCY,
      sqlite_synchronous: 'NORMAL',
    };
    console.log(
      JSON.stringify({
        bench: 'ingest',
        figures,
        ratios: { ingest_validated_vs_unvalidated: round(v.perSecond / u.perSecond) },
      }),
    );
  } finally {
    clients.strict.close();
    clients.off.close();
    await Promise.all([stop(strict.child), stop(off.child)]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
