/**
 * Jest setup: outbound network is blocked in tests. Any connection to a non-loopback address fails at once and is
 * recorded in the file global-setup.ts names (GDHCN_NO_NETWORK_LOG); global-teardown.ts fails the run when that file
 * is not empty, so a blocked attempt that a test swallowed (a refresh that logs and carries on) still counts.
 */
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;
const original = net.Socket.prototype.connect;

function targetHost(args: unknown[]): string | undefined {
  const first = args[0];
  if (Array.isArray(first)) return targetHost(first);
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string; path?: string };
    return o.path ? 'localhost' : (o.host ?? 'localhost');
  }
  if (typeof first === 'number') return typeof args[1] === 'string' ? args[1] : 'localhost';
  return 'localhost'; // a string first argument is an IPC path
}

function record(host: string): void {
  const file = process.env.GDHCN_NO_NETWORK_LOG;
  if (!file) return;
  const state = (
    globalThis as { expect?: { getState(): { testPath?: string; currentTestName?: string } } }
  ).expect?.getState();
  appendFileSync(
    file,
    `${host} from ${state?.testPath ?? 'unknown file'} (${state?.currentTestName ?? 'outside a test'})\n`,
  );
}

net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
  const host = targetHost(args);
  if (host && !LOOPBACK.test(host)) {
    record(host);
    throw new Error(`Outbound network is blocked in tests (tried ${host})`);
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
