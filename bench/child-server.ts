/**
 * A server under load runs in its own process so that its CPU time is measured apart from the load generator's.
 * The child script sends `{ port }` once it listens and answers the message 'cpu' with its `process.cpuUsage()`.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface Cpu {
  user: number;
  system: number;
}

/**
 * Fork a bench server script (resolved from this folder) and wait for its port. With `profile` and
 * BENCH_CPU_PROF=<dir>, the child writes a V8 CPU profile there (for finding its hot paths).
 * @example const { child, port } = await forkServer('./rest-server.ts', [dir, '{}'], true)
 */
export async function forkServer(
  script: string,
  args: string[],
  profile = false,
): Promise<{ child: ChildProcess; port: number }> {
  const execArgv = [
    ...process.execArgv,
    ...(profile && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
  ];
  const child = fork(new URL(script, import.meta.url).pathname, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  });
  const port = await new Promise<number>((resolve) =>
    child.once('message', (m) => resolve((m as { port: number }).port)),
  );
  return { child, port };
}

/**
 * Send `request` to the child and wait for its answer: the first message that carries `key` (other messages, such as
 * another ask's answer, are left to their own listeners).
 * @example const cpu = await askChild<Cpu>(child, 'cpu', 'cpu')
 */
export function askChild<T>(child: ChildProcess, request: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (typeof m !== 'object' || m === null || !(key in m)) return;
      child.off('message', on);
      resolve((m as Record<string, T>)[key] as T);
    };
    child.on('message', on);
    child.send(request);
  });
}

/** The child's CPU time so far, asked over IPC. */
export function serverCpu(child: ChildProcess): Promise<Cpu> {
  return askChild<Cpu>(child, 'cpu', 'cpu');
}
