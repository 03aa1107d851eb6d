/**
 * The operator's endpoints and the HTTP side of the metrics: `GET /readyz` (readiness, JSON, 200 or 503),
 * `GET /metrics` (Prometheus text), the per-request counters, and the operation wrapper that counts validation
 * outcomes, credentials issued and `$verify` verdicts. `/healthz`, `/readyz` and `/metrics` are public.
 */
import type { Express, NextFunction, Request, Response } from 'express';
import type { ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { Metrics } from '../metrics.ts';
import type { IngestPolicy, IngestVerdict } from '../validation/ingest-policy.ts';
import { checkReadiness, type ReadinessSources } from '../readiness.ts';
import type { OperationRoute } from './routes.ts';

/** The endpoints a probe or a scraper calls without credentials. */
export const PUBLIC_OPERATOR_PATHS = ['/healthz', '/readyz', '/metrics'] as const;

export function mountOperatorEndpoints(app: Express, metrics: Metrics, readiness: () => ReadinessSources): void {
  app.get('/readyz', async (_req: Request, res: Response) => {
    const result = await checkReadiness(readiness());
    res
      .status(result.status === 'not-ready' ? 503 : 200)
      .setHeader('Cache-Control', 'no-store')
      .json(result);
  });
  app.get('/metrics', async (_req: Request, res: Response) => {
    const text = await metrics.registry.metrics();
    res
      .status(200)
      .setHeader('Content-Type', metrics.registry.contentType)
      .setHeader('Cache-Control', 'no-store')
      .send(text);
  });
}

const STATIC_ROUTES = new Set<string>([
  '/healthz',
  '/readyz',
  '/metrics',
  '/.well-known/jwks.json',
  '/.well-known/smart-configuration',
  '/fhir/.well-known/smart-configuration',
  '/trust/did.json',
  '/trust/certificates',
  '/trust/status',
  '/fhir',
  '/fhir/metadata',
  '/fhir/_history',
]);
const ID = ':id';

/**
 * The route pattern of a request path, with bounded cardinality: ids become `:id`, resource types `:type`, and
 * `$operations` keep their name only when the server answers them.
 * @example routeOf('/fhir/Patient/erika/$issue-hcert', new Set(['issue-hcert'])) === '/fhir/:type/:id/$issue-hcert'
 */
export function routeOf(path: string, operations: ReadonlySet<string>): string {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (STATIC_ROUTES.has(clean)) return clean;
  const s = clean.split('/').slice(1);
  if (s[0] === 'shl')
    return s.length === 2 ? '/shl/:linkId' : s.length === 4 && s[2] === 'file' ? '/shl/:linkId/file/:ticket' : 'other';
  if (s[0] !== 'fhir') return 'other';
  const rest = s.slice(1).map((seg, i) => {
    if (seg.startsWith('$')) return operations.has(decodeURIComponent(seg.slice(1))) ? seg : '$unknown';
    if (seg === '_history' || seg === '_search') return seg;
    return i === 0 ? ':type' : ID;
  });
  return rest.length > 4 ? 'other' : `/fhir/${rest.join('/')}`;
}

const ROUTE_MEMO_MAX = 256;

/** Counts and times every request by method, route pattern and status. */
export function requestMetrics(metrics: Metrics, operations: readonly OperationRoute[]) {
  const codes = new Set(operations.map((o) => o.code));
  // routeOf is a pure function of the path; the border's `$verify` asks for the same few paths all day. Bounded:
  // paths with ids are unbounded, so the memo starts over when full.
  const routes = new Map<string, string>();
  const routeOfPath = (path: string): string => {
    let route = routes.get(path);
    if (route === undefined) {
      if (routes.size >= ROUTE_MEMO_MAX) routes.clear();
      route = routeOf(path, codes);
      routes.set(path, route);
    }
    return route;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // req.path is relative to the mount point by now (e.g. without /fhir); the original URL is not.
      const url = req.originalUrl;
      const q = url.indexOf('?');
      const labels = {
        method: req.method,
        route: routeOfPath(q < 0 ? url : url.slice(0, q)),
        status: String(res.statusCode),
      };
      metrics.requests.inc(labels);
      metrics.requestSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

const ISSUED_FORMAT: Readonly<Record<string, string>> = {
  'issue-hcert': 'hcert',
  'health-cards-issue': 'shc',
  'issue-shl': 'shl',
  'generate-vhl': 'vhl',
};

function parameter(resource: Resource | undefined, name: string): ParametersParameter | undefined {
  return resource?.resourceType === 'Parameters' ? resource.parameter?.find((p) => p.name === name) : undefined;
}

/** The operation with its outcome counted: `$validate` results, credentials issued, `$verify` verdicts by format. */
export function meteredOperation(op: OperationRoute, metrics: Metrics): OperationRoute {
  return {
    ...op,
    handle: async (ctx, req, target) => {
      const response = await op.handle(ctx, req, target);
      if (response.status !== 200) return response;
      if (op.code === 'validate' && response.resource?.resourceType === 'OperationOutcome') {
        const invalid = (response.resource.issue ?? []).some((i) => i.severity === 'error' || i.severity === 'fatal');
        metrics.validations.inc({ source: 'validate', result: invalid ? 'invalid' : 'valid' });
      } else if (op.code === 'verify') {
        const valid = parameter(response.resource, 'valid')?.valueBoolean === true;
        const format = parameter(response.resource, 'format')?.valueCode ?? 'unknown';
        metrics.verified.inc({ format, verdict: valid ? 'valid' : 'invalid' });
      } else if (ISSUED_FORMAT[op.code]) {
        metrics.issued.inc({ format: ISSUED_FORMAT[op.code]! });
        if (op.code === 'issue-shl' && parameter(response.resource, 'vhl')) metrics.issued.inc({ format: 'vhl' });
      }
      return response;
    },
  };
}

/** Counts one write's validation result (`source="write"`); returns the verdict. */
export function countIngest(metrics: Metrics, verdict: IngestVerdict): IngestVerdict {
  const invalid = verdict.reject || verdict.issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
  metrics.validations.inc({ source: 'write', result: invalid ? 'invalid' : 'valid' });
  return verdict;
}

/**
 * The ingest policy with each write's validation result counted (`source="write"`). One wrapper per policy (a new
 * one after $install-package), cached per app so two apps in one process keep their own counts.
 */
export function meteredIngest(metrics: Metrics): (policy: IngestPolicy) => IngestPolicy {
  const wrapped = new WeakMap<IngestPolicy, IngestPolicy>();
  return (policy) => {
    let metered = wrapped.get(policy);
    if (!metered) {
      metered = Object.assign(Object.create(policy) as IngestPolicy, {
        check: (...args: Parameters<IngestPolicy['check']>) => countIngest(metrics, policy.check(...args)),
      });
      wrapped.set(policy, metered);
    }
    return metered;
  };
}
