/**
 * Jest setup: outbound network is blocked in tests. Any connection to a non-loopback address fails at once
 * (and is recorded), so no test can silently depend on, or probe, the outside world.
 */
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

net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
  const host = targetHost(args);
  if (host && !LOOPBACK.test(host)) throw new Error(`Outbound network is blocked in tests (tried ${host})`);
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
