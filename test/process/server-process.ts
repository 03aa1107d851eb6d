/** The real server process (`node src/main.ts`) on 127.0.0.1 and a port the OS picks, with its log captured. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve(import.meta.dirname, '../../src/main.ts');
const CLI = resolve(import.meta.dirname, '../../bin/gdhcn-gateway.js');

export interface ServerProcess {
  child: ChildProcess;
  base: string;
  /** Everything written to stdout and stderr so far. */
  log(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Resolves when a log line matches. */
  waitForLog(pattern: RegExp): Promise<void>;
  /** A bearer token of the development client the server registered, as `gdhcn-gateway token` prints it. */
  token(): Promise<string>;
}

export async function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gdhcn-process-'));
  const fullEnv = {
    PATH: process.env.PATH ?? '',
    HOME: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    FHIR_PACKAGE_CACHE: join(dataDir, 'cache'),
    VALIDATION_PROFILES: 'Patient=http://hl7.org/fhir/StructureDefinition/Patient',
    ...env,
  };
  const child = spawn(process.execPath, [MAIN], {
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<{ pattern: RegExp; done: () => void }> = [];
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(out)) w.done();
      else waiters.push(w);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const waitForLog = (pattern: RegExp) =>
    new Promise<void>((done, fail) => {
      if (pattern.test(out)) return done();
      waiters.push({ pattern, done });
      void exited.then((code) => fail(new Error(`server exited (${code}) before logging ${pattern}:\n${out}`)));
    });
  await waitForLog(/"msg":"gdhcn-gateway listening"/);
  const port = /"port":(\d+)[^\n]*"msg":"gdhcn-gateway listening"/.exec(out)?.[1];
  const token = async () =>
    (await promisify(execFile)(process.execPath, [CLI, 'token'], { env: fullEnv })).stdout.trim();
  return { child, base: `http://127.0.0.1:${port}`, log: () => out, exited, waitForLog, token };
}
