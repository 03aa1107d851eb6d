/**
 * Crash safety: a writer process is killed with SIGKILL in the middle of its writes; every write it had
 * acknowledged must be there, intact and searchable, the database must pass integrity_check, and no write may
 * be half there (a resource without its history row, its index rows, or its transaction partner). The same holds
 * for a server answering 64 concurrent HTTP creates whose commits are shared (group commit, ADR 0070).
 */
import { fork, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import type { Immunization } from '@medplum/fhirtypes';
import { parseSearchQuery } from '../../src/fhir/search/parse.ts';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';

const WRITER = fileURLToPath(new URL('./durability-writer.ts', import.meta.url));
const HTTP_SERVER = fileURLToPath(new URL('./durability-http-server.ts', import.meta.url));

interface Ack {
  n: number;
  patientId: string;
  immunizationId: string;
}

/** Runs the writer until it acknowledged `minAcks` steps (plus a random few), then SIGKILLs it. */
function runAndKill(path: string, minAcks: number): Promise<{ acks: Ack[]; observations: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, path, '5000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    const observations: string[] = [];
    const killAt = minAcks + Math.floor(Math.random() * 20);
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, n, patientId, immunizationId] = line.split(' ');
        if (kind === 'obs') {
          observations.push(...line.split(' ').slice(1));
          continue;
        }
        acks.push({ n: Number(n), patientId: patientId as string, immunizationId: immunizationId as string });
      }
      if (acks.length >= killAt && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ acks, observations });
      else reject(new Error(`writer exited with ${code} before being killed: ${stderr}`));
    });
  });
}

function rawChecks(path: string): Record<string, unknown> {
  const db = new DatabaseSync(path);
  try {
    const one = (sql: string): unknown => Object.values(db.prepare(sql).get() ?? {})[0];
    return {
      integrity: one('PRAGMA integrity_check'),
      withoutHistory: one(
        'SELECT COUNT(*) FROM resources r LEFT JOIN history h ON h.seq = r.seq AND h.rtype = r.rtype AND h.id = r.id AND h.version = r.version WHERE h.seq IS NULL',
      ),
      withoutTokens: one(
        'SELECT COUNT(*) FROM resources r WHERE NOT EXISTS (SELECT 1 FROM idx_token x WHERE x.rk = r.rk)',
      ),
      observationsWithoutSubject: one(
        "SELECT COUNT(*) FROM resources r WHERE rtype = 'Observation' AND NOT EXISTS (SELECT 1 FROM idx_reference x WHERE x.rk = r.rk)",
      ),
      patients: one("SELECT COUNT(*) FROM resources WHERE rtype = 'Patient'"),
      immunizations: one("SELECT COUNT(*) FROM resources WHERE rtype = 'Immunization'"),
      observations: one("SELECT COUNT(*) FROM resources WHERE rtype = 'Observation'"),
      versions: one('SELECT COUNT(*) FROM history'),
    };
  } finally {
    db.close();
  }
}

describe('SQLite durability under kill -9', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdhcn-durability-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('when the writer is killed mid-run, then every acknowledged write survives intact and nothing is half-written', async () => {
    const path = join(dir, 'kill.db');
    const { acks, observations } = await runAndKill(path, 40);
    expect(acks.length).toBeGreaterThanOrEqual(40);

    const checks = rawChecks(path);
    expect(checks).toMatchObject({
      integrity: 'ok',
      withoutHistory: 0,
      withoutTokens: 0,
      observationsWithoutSubject: 0,
    });
    expect(checks.patients).toBe(checks.immunizations); // each step's transaction is all or nothing
    expect(Number(checks.versions)).toBe(Number(checks.patients) * 2 + Number(checks.observations));
    expect(Number(checks.observations)).toBeGreaterThanOrEqual(observations.length);
    expect(Number(checks.patients)).toBeGreaterThanOrEqual(acks.length);

    const store = createSqliteStore({ path });
    try {
      for (const ack of acks) {
        const read = await store.read('Immunization', ack.immunizationId);
        expect(read.status).toBe('found');
        const imm = (read as { resource: Immunization }).resource;
        expect(imm.identifier?.[0]?.value).toBe(`i${ack.n}`);
        expect(imm.patient.reference).toBe(`Patient/${ack.patientId}`);
        expect((await store.read('Patient', ack.patientId)).status).toBe('found');
      }
      for (const id of observations) expect((await store.read('Observation', id)).status).toBe('found');
      const last = acks[acks.length - 1] as Ack;
      const { query } = parseSearchQuery('Immunization', [['identifier', `urn:test|i${last.n}`]], {
        defaultCount: 10,
        maxCount: 10,
      });
      expect((await store.search(query)).resources.map((r) => r.id)).toEqual([last.immunizationId]);
    } finally {
      await store.close();
    }
  });

  test('when a server is killed while 64 clients create over HTTP, then every create answered 201 survives with its AuditEvent, and commits were shared past the admission slots', async () => {
    const dataDir = join(dir, 'http');
    const { acks, commits } = await createUntilKilled(dataDir, 64, 200);
    expect(acks.length).toBeGreaterThanOrEqual(200);
    // Two heavy slots, yet a commit carried more writes than that: the waits for the commit did not hold the slots.
    expect(commits.largest).toBeGreaterThan(2);
    expect(commits.writes).toBeGreaterThan(commits.commits);

    const path = join(dataDir, 'fhir.db');
    const db = new DatabaseSync(path);
    try {
      const one = (sql: string): unknown => Object.values(db.prepare(sql).get() ?? {})[0];
      expect(one('PRAGMA integrity_check')).toBe('ok');
      const stored = Number(one("SELECT COUNT(*) FROM resources WHERE rtype = 'Immunization'"));
      expect(stored).toBeGreaterThanOrEqual(acks.length);
      // Each create and its AuditEvent commit together: as many create events as Immunizations, no more, no less.
      expect(Number(one('SELECT COUNT(*) FROM audit_events'))).toBe(stored);
    } finally {
      db.close();
    }
    const store = createSqliteStore({ path });
    try {
      for (const ack of acks) {
        const read = await store.read('Immunization', ack.id);
        expect(read.status).toBe('found');
        expect((read as { resource: Immunization }).resource.identifier?.[0]?.value).toBe(`h${ack.n}`);
      }
    } finally {
      await store.close();
    }
  });
});

/** Creates Immunizations over HTTP from `clients` concurrent clients; SIGKILLs the server after `minAcks` 201s. */
function createUntilKilled(
  dataDir: string,
  clients: number,
  minAcks: number,
): Promise<{ acks: Array<{ n: number; id: string }>; commits: { commits: number; writes: number; largest: number } }> {
  return new Promise((resolve, reject) => {
    const child = fork(HTTP_SERVER, [dataDir], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const acks: Array<{ n: number; id: string }> = [];
    const killAt = minAcks + Math.floor(Math.random() * 50);
    let commits: { commits: number; writes: number; largest: number } | undefined;
    let next = 0;
    let killing = false;
    child.on('message', (m) => {
      const msg = m as { port?: number; commits?: typeof commits };
      if (msg.commits) {
        commits = msg.commits;
        child.kill('SIGKILL'); // with creates still in flight
      }
      if (msg.port === undefined) return;
      const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
      const post = (n: number): Promise<void> =>
        new Promise((done) => {
          const body = JSON.stringify({
            resourceType: 'Immunization',
            status: 'completed',
            identifier: [{ system: 'urn:test', value: `h${n}` }],
            vaccineCode: { coding: [{ system: 'http://snomed.info/sct', code: '1119349007' }] },
            patient: { reference: `Patient/hp${n % 97}` },
            occurrenceDateTime: '2021-05-01',
          });
          const req = http.request(
            {
              host: '127.0.0.1',
              port: msg.port,
              agent,
              method: 'POST',
              path: '/fhir/Immunization',
              headers: { 'Content-Type': 'application/fhir+json' },
            },
            (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => (text += c));
              res.on('end', () => {
                if (res.statusCode === 201) acks.push({ n, id: JSON.parse(text).id as string });
                done();
              });
              res.on('error', () => done());
            },
          );
          req.on('error', () => done()); // in flight when the server died: not acknowledged
          req.end(body);
        });
      const worker = async (): Promise<void> => {
        while (!killing) {
          await post(next++);
          if (acks.length >= killAt && !killing) {
            killing = true;
            child.send('commits');
          }
        }
      };
      for (let k = 0; k < clients; k++) void worker();
      child.once('exit', (code, signal) => {
        agent.destroy();
        if (signal === 'SIGKILL' && commits) resolve({ acks, commits });
        else reject(new Error(`server exited with ${code} before being killed: ${stderr}`));
      });
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
}
