/**
 * `$issue-hcert-bulk` survives a restart (issue 18): a job stopped half-way continues, in a new app on the same SQLite
 * file, from its last committed batch. Stopped two ways: the app closed cleanly (its loop finishes the batch it is
 * in, then stops), and a server process killed with SIGKILL in the middle of the job (a real crash: the batch in
 * flight never commits). Either way every Immunization ends with exactly one output line, one Provenance and one
 * audited signature: nothing lost, nothing issued twice. The restarted app also runs with another batch size, so
 * the files of the first and the second run must not collide.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEvent, Bundle, Immunization, Parameters, Provenance, Task } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { createApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config/schema.ts';
import { fromTask, taskId } from '../../src/credentials/bulk-job-record.ts';
import { createServices } from '../../src/services.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { BASE, type TestApp } from '../helpers/test-app.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { bulkClient, type Manifest } from './bulk-client.ts';
import { crashConfig } from './bulk-resume-config.ts';
import { client, param } from './credential-client.ts';

const WORKER = fileURLToPath(new URL('./bulk-crash-worker.ts', import.meta.url));
const PATIENTS = Array.from({ length: 8 }, (_, i) => `rp${i}`);
const pushed: Immunization[] = PATIENTS.flatMap((p, i) =>
  [1, 2, 3, 4, 5].map((dose) =>
    covidImmunization({
      id: `rimm-${p}-${dose}`,
      patient: { reference: `Patient/${p}` },
      occurrenceDateTime: `2021-0${dose}-1${i}`,
    }),
  ),
);
const dirs: string[] = [];

async function open(dataDir: string, batch: number): Promise<TestApp> {
  const services = await createServices(parseConfig({}, crashConfig(dataDir)), {
    log: pino({ level: 'silent' }),
    bulkBatchSize: batch,
  });
  return { app: createApp(services), services, close: () => services.close() };
}

/** A data folder holding the patients and their doses (stored by an app that is then closed). */
async function seeded(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bulk-resume-'));
  dirs.push(dir);
  const app = await open(dir, 3);
  await client(app).push(...PATIENTS.map((id) => patient({ id })), ...pushed);
  await app.close();
  return dir;
}

/** The job as committed in the file, read with a bare store while no app has it open. */
async function committed(dataDir: string, job: string) {
  const store = createSqliteStore({ path: join(dataDir, 'fhir.db') });
  try {
    const found = await store.read('Task', taskId(job));
    return found.status === 'found' ? fromTask(found.resource as Task) : undefined;
  } finally {
    await store.close();
  }
}

/** Finishes the job in `app` and checks: one line, one Provenance and one audited signature per Immunization. */
async function expectEachIssuedOnce(app: TestApp, job: string): Promise<void> {
  const bulk = bulkClient(app.app);
  const done = await bulk.finish(`${BASE}/$issue-hcert-bulk?job=${job}`);
  expect(done.status).toBe(200);
  const manifest = done.body as Manifest;
  expect(manifest.error).toEqual([]);
  const out = (await Promise.all(manifest.output.map((o) => bulk.lines<Parameters>(o.url)))).flat();
  const expected = pushed.map((i) => `Immunization/${i.id}`).sort();
  expect(out.map((p) => param(p, 'source')!.valueReference!.reference!).sort()).toEqual(expected);
  const c = client(app);
  const provenances = (await c.get('Provenance?_count=1000')).body as Bundle<Provenance>;
  const targets = (provenances.entry ?? []).flatMap((e) =>
    e.resource!.target.map((t) => t.reference!).filter((r) => r.startsWith('Immunization/')),
  );
  expect(targets.sort()).toEqual(expected);
  const lineProvenances = out.map((p) => param(p, 'provenance')!.valueReference!.reference!).sort();
  const audits = (await c.get(`AuditEvent?entity=Task/${taskId(job)}&_count=1000`)).body as Bundle<AuditEvent>;
  const signed = (audits.entry ?? []).flatMap((e) =>
    (e.resource!.entity ?? []).map((x) => x.what?.reference ?? '').filter((r) => r.startsWith('Provenance/')),
  );
  expect(signed.sort()).toEqual(lineProvenances);
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('an app closed in the middle of a job: the next app on the same file finishes it, each credential once', async () => {
  const dataDir = await seeded();
  const first = await open(dataDir, 3);
  const kicked = await bulkClient(first.app).kickOff([]);
  expect(kicked.status).toBe(202);
  const job = new URL(kicked.headers['content-location'] as string).searchParams.get('job')!;
  await first.close();
  // What close() left: the job part-way (the loop stopped at a batch boundary), in progress, to be resumed.
  const stopped = await committed(dataDir, job);
  expect(stopped?.state).toBe('in-progress');
  expect(stopped!.done).toBeLessThan(pushed.length);
  expect(stopped!.done % 3).toBe(0);

  const second = await open(dataDir, 4);
  try {
    await expectEachIssuedOnce(second, job);
  } finally {
    await second.close();
  }
});

/** Runs the worker process until it committed at least `minDone` items, then kills it with SIGKILL. */
function crashAfter(dataDir: string, batch: number, minDone: number): Promise<{ job: string; done: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, dataDir, String(batch)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let job = '';
    let done = 0;
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, value] = line.split(' ');
        if (kind === 'job') job = value as string;
        if (kind === 'done') done = Number(value);
      }
      if (done >= minDone && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ job, done });
      else reject(new Error(`the worker exited with ${code} before being killed: ${stderr}`));
    });
  });
}

test('a server process killed in the middle of a job: the next app finishes it, each credential once', async () => {
  const dataDir = await seeded();
  const { job, done } = await crashAfter(dataDir, 3, 6);
  const crashed = await committed(dataDir, job);
  expect(crashed?.state).toBe('in-progress');
  expect(crashed!.done).toBeGreaterThanOrEqual(done);
  expect(crashed!.done).toBeLessThan(pushed.length);

  const second = await open(dataDir, 5);
  try {
    await expectEachIssuedOnce(second, job);
  } finally {
    await second.close();
  }
});
