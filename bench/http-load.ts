/** A small keep-alive HTTP load generator for the benches: N requests, C in flight, latencies recorded. */
import http from 'node:http';

export interface LoadResult {
  count: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  failures: number;
  /** Status and start of the body of the first failed response, to say why. */
  firstFailure?: string;
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
        {
          host: '127.0.0.1',
          port,
          agent,
          method: req.method,
          path: req.path,
          headers: { 'Content-Type': 'application/fhir+json', ...req.headers },
        },
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

  /** Runs `count` requests built by `make(i)`, `concurrency` at a time; none started after `maxSeconds`. */
  const load = async (
    count: number,
    make: (i: number) => LoadRequest,
    ok = (s: number) => s < 300,
    maxSeconds = Infinity,
  ): Promise<LoadResult> => {
    const latencies: number[] = [];
    let next = 0;
    let failures = 0;
    let firstFailure: string | undefined;
    const started = process.hrtime.bigint();
    const deadline = started + BigInt(Math.min(maxSeconds * 1e9, Number.MAX_SAFE_INTEGER));
    const worker = async () => {
      while (next < count && process.hrtime.bigint() < deadline) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        const res = await send(make(i));
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
        if (!ok(res.status)) {
          failures++;
          firstFailure ??= `${res.status} ${res.body.slice(0, 600)}`;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const done = next;
    const sorted = latencies.slice(0, done).sort((a, b) => a - b);
    const pct = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);
    return {
      count: done,
      seconds: round(seconds),
      perSecond: round(done / seconds),
      p50ms: pct(0.5),
      p99ms: pct(0.99),
      failures,
      ...(firstFailure ? { firstFailure } : {}),
    };
  };
  return { send, load, close: () => agent.destroy() };
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
