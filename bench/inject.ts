/**
 * In-process HTTP injection for bench/http-stack.ts: a request handed to a node:http listener (an Express app, or
 * anything taking (req, res)) through a real IncomingMessage/ServerResponse pair on a socket stand-in that only
 * counts what is written. No kernel, no load generator: the CPU time of a loop of these is the stack's own, with far
 * less noise than a socket bench on a shared machine (the listener is what runs in production; only the socket
 * differs).
 */
import http from 'node:http';
import { Duplex } from 'node:stream';

/** A socket that accepts and drops whatever the response writes. */
export class NullSocket extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 40000;
  readonly remoteFamily = 'IPv4';
  readonly encrypted = false;
  written = 0;
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.written += chunk.length;
    cb();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    for (const c of chunks) this.written += c.chunk.length;
    cb();
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

export interface Injected {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Runs one request through `listener`; resolves with the status once the response has finished. */
export function inject(listener: Listener, r: Injected, socket = new NullSocket()): Promise<number> {
  const req = new http.IncomingMessage(socket as never);
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
  const headers: Record<string, string> = { host: '127.0.0.1', ...(r.headers ?? {}) };
  if (body) headers['content-length'] = String(body.length);
  req.method = r.method;
  req.url = r.url;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  for (const [k, v] of Object.entries(headers)) {
    req.headers[k.toLowerCase()] = v;
    req.rawHeaders.push(k, v);
  }
  if (body) req.push(body);
  req.push(null);
  // As Node's parser does when the message is read in full (stream finishers check it).
  req.complete = true;
  const res = new http.ServerResponse(req);
  res.assignSocket(socket as never);
  return new Promise((resolve, reject) => {
    res.once('finish', () => {
      // As node:http's server does once a response has finished (admission frees its slot on 'close').
      process.nextTick(() => {
        res.detachSocket(socket as never);
        res.emit('close');
        resolve(res.statusCode);
      });
    });
    res.once('error', reject);
    listener(req, res);
  });
}

/**
 * Server CPU per request of `make(i)` through `listener`, `concurrency` in flight: process.cpuUsage (user + system)
 * over `count` requests, in µs, with the statuses seen.
 */
export async function cpuPerRequest(
  listener: Listener,
  make: (i: number) => Injected,
  count: number,
  concurrency: number,
): Promise<{ us: number; statuses: Map<number, number> }> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    // One socket per worker, as a keep-alive connection carries one request after another.
    const socket = new NullSocket();
    while (next < count) {
      const status = await inject(listener, make(next++), socket);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = process.cpuUsage(before);
  return { us: (cpu.user + cpu.system) / count, statuses };
}
