/** A small keep-alive HTTP load generator for the benches: N requests, C in flight, latencies recorded. */
import http from 'node:http';

export interface LoadResult {
  count: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  failures: number;
}

export interface LoadRequest {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

export function createClient(port: number, concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const send = (req: LoadRequest): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const r = http.request(
        { host: '127.0.0.1', port, agent, method: req.method, path: req.path, headers: { 'Content-Type': 'application/fhir+json', ...req.headers } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      r.on('error', reject);
      r.end(req.body);
    });

  /** Runs `count` requests built by `make(i)`, `concurrency` at a time. */
  const load = async (count: number, make: (i: number) => LoadRequest, ok = (s: number) => s < 300): Promise<LoadResult> => {
    const latencies: number[] = new Array(count);
    let next = 0;
    let failures = 0;
    const started = process.hrtime.bigint();
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        const res = await send(make(i));
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
        if (!ok(res.status)) failures++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const sorted = latencies.sort((a, b) => a - b);
    const pct = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);
    return { count, seconds: round(seconds), perSecond: round(count / seconds), p50ms: pct(0.5), p99ms: pct(0.99), failures };
  };
  return { send, load, close: () => agent.destroy() };
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
