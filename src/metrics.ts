/**
 * Prometheus metrics (prom-client), one Registry per createServices() — never prom-client's global default
 * registry, so two servers (or two test apps) in one process keep separate counts and register without clashing.
 * Instruments are filled by the HTTP layer (requests, operations) and by the instrumented store; gauges that
 * describe state (trust list, process) are read when scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ResourceStore } from './storage/store.ts';
import type { TrustListSync } from './trust/sync.ts';

export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  requestSeconds: Histogram<'method' | 'route' | 'status'>;
  /** Validation outcomes: `source` is `validate` ($validate) or `write` (ingest on create/update), `result` valid|invalid. */
  validations: Counter<'source' | 'result'>;
  issued: Counter<'format'>;
  verified: Counter<'format' | 'verdict'>;
  storeSeconds: Histogram<'operation' | 'outcome'>;
}

export interface MetricsSources {
  trust: () => TrustListSync;
  now: () => Date;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  // Process metrics: heap, event-loop lag (nodejs_eventloop_lag_*), GC, handles; all on this registry.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const requests = new Counter({
    name: 'gdhcn_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const requestSeconds = new Histogram({
    name: 'gdhcn_http_request_duration_seconds',
    help: 'HTTP request latency, by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const validations = new Counter({
    name: 'gdhcn_validations_total',
    help: 'Resources validated, by source ($validate or write) and result',
    labelNames: ['source', 'result'] as const,
    registers: [registry],
  });
  const issued = new Counter({
    name: 'gdhcn_credentials_issued_total',
    help: 'Credentials issued, by format',
    labelNames: ['format'] as const,
    registers: [registry],
  });
  const verified = new Counter({
    name: 'gdhcn_credentials_verified_total',
    help: '$verify verdicts, by credential format and verdict',
    labelNames: ['format', 'verdict'] as const,
    registers: [registry],
  });
  const storeSeconds = new Histogram({
    name: 'gdhcn_store_operation_duration_seconds',
    help: 'Storage operation latency (SQLite or MongoDB adapter), by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'gdhcn_trustlist_age_seconds',
    help: 'Age of the trust list in use (since it was fetched); absent when none was ever fetched',
    registers: [registry],
    collect() {
      this.reset();
      const fetchedAt = sources.trust().status().fetchedAt;
      if (fetchedAt) this.set((sources.now().getTime() - Date.parse(fetchedAt)) / 1000);
    },
  });
  new Gauge({
    name: 'gdhcn_trustlist_entries',
    help: 'Entries of the trust list in use, by kind (csca, dsc, valid_dsc, invalid, shc_keys)',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const c = sources.trust().status().counts;
      this.set({ kind: 'csca' }, c.csca);
      this.set({ kind: 'dsc' }, c.dsc);
      this.set({ kind: 'valid_dsc' }, c.validDsc);
      this.set({ kind: 'invalid' }, c.invalid);
      this.set({ kind: 'shc_keys' }, c.shcKeys);
    },
  });
  return { registry, requests, requestSeconds, validations, issued, verified, storeSeconds };
}

const TIMED: ReadonlySet<string> = new Set([
  'read',
  'vread',
  'create',
  'update',
  'delete',
  'history',
  'search',
  'transaction',
  'appendAudit',
]);

/** The store with every operation timed into `storeSeconds`; the transaction's own `tx` store is timed as one `transaction`. */
export function instrumentStore(store: ResourceStore, metrics: Metrics): ResourceStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !TIMED.has(prop) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const end = metrics.storeSeconds.startTimer({ operation: prop });
        try {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          end({ outcome: 'ok' });
          return result;
        } catch (err) {
          end({ outcome: 'error' });
          throw err;
        }
      };
    },
  });
}
