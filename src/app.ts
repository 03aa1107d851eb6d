/**
 * createApp(services): the Express application — middleware order, routes and the single error funnel.
 * No listen() here, so tests run it in-process with supertest and can build it twice in one process.
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { issue, outcome, OutcomeError } from './fhir/outcome.ts';
import { slotLendingStore } from './http/commit-wait.ts';
import { buildCapabilityStatement } from './http/capability.ts';
import { fhirEndpoint, sendFhir } from './http/fhir-endpoint.ts';
import type { RestContext } from './http/fhir-request.ts';
import { createRouter, type OperationRoute } from './http/routes.ts';
import { restLimitsOf } from './http/rest/limits.ts';
import { createBundleHandler } from './http/rest/bundle.ts';
import { installPackageOperation } from './http/operations/install-package.ts';
import { packagesOperation } from './http/operations/packages.ts';
import { type OffThreadValidate, validateOperation } from './http/operations/validate.ts';
import { credentialsOperation } from './http/operations/credentials.ts';
import { healthCardsIssueOperation } from './http/operations/health-cards-issue.ts';
import { issueHcertOperation } from './http/operations/issue-hcert.ts';
import { issueHcertBulkOperation } from './http/operations/issue-hcert-bulk.ts';
import { issueShlOperation } from './http/operations/issue-shl.ts';
import { verifyOperation } from './http/operations/verify.ts';
import { revokeCredentialOperation, unrevokeCredentialOperation } from './http/operations/revoke-credential.ts';
import { summaryOperation } from './http/operations/summary.ts';
import { ddccOperations } from './http/operations/ddcc-transactions.ts';
import { generateVhlOperation } from './http/operations/generate-vhl.ts';
import { isVhlManifestRequest, vhlManifestSearch } from './http/vhl-manifest-search.ts';
import { mountShlEndpoints } from './http/shl-endpoints.ts';
import { statusOf } from './http/status.ts';
import { redactUrl } from './http/redact-url.ts';
import { endpointLimits, hardening, mountHardening, publicName } from './http/hardening.ts';
import { hotRoutes } from './http/hot-routes.ts';
import { mountTrustEndpoints } from './http/trust-endpoints.ts';
import { mountConsole } from './http/console-static.ts';
import {
  countIngest,
  meteredIngest,
  meteredOperation,
  mountOperatorEndpoints,
  requestMetrics,
} from './http/observability.ts';
import type { Services } from './services.ts';
import type { ValidationState } from './services-validation.ts';
import { createConformanceSource, type ConformanceSource } from './http/rest/conformance.ts';
import { FHIR_MOUNT, mountAuthEndpoints, publicBudget } from './http/auth-endpoints.ts';
import { authenticate } from './http/authenticate.ts';
import { tokenUrlOf } from './services-auth.ts';
import { auditRefusal, auditToken } from './http/audit-http.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The $operations this server answers. */
export function defaultOperations(services: Services): OperationRoute[] {
  const validation = () => services.validation.current();
  return [
    validateOperation(() => validation().validator, offThreadValidate(services)),
    packagesOperation(validation),
    installPackageOperation(services.validation, {
      enabled: services.config.packageInstall,
      allowOverride: services.config.packageOverrideLocked,
      audit: (e) => services.log.info({ audit: 'package-install', ...e }, 'package install'),
    }),
    issueHcertOperation(services.credentials, services.now),
    issueHcertBulkOperation(() => services.bulk, {
      validitySeconds: services.credentials.hcertValiditySeconds,
      now: services.now,
    }),
    healthCardsIssueOperation(services.credentials, services.now),
    issueShlOperation(services.credentials, services.now),
    verifyOperation(services.credentials, services.now, undefined, offThreadValidate(services)),
    credentialsOperation(),
    revokeCredentialOperation(services.now),
    unrevokeCredentialOperation(),
    summaryOperation(services.credentials, services.now),
    ...ddccOperations(validation().packages, {
      credentials: services.credentials,
      now: services.now,
      validate: (resource, budget) => validation().validator.validate(resource, budget ? { budget } : {}),
    }),
    generateVhlOperation(services.credentials, services.now),
  ];
}

/** $validate's way to the validation workers (large resources and large bodies), when the server runs some. */
function offThreadValidate(services: Services): OffThreadValidate | undefined {
  const pool = services.validationPool;
  if (!pool) return undefined;
  const limits = { maxContained: services.config.maxContained, maxBundleEntries: services.config.maxBundleEntries };
  return {
    resource: (resource, options) => pool.validate(resource, options),
    body: (deferred, target, budget) =>
      pool.validateBody(
        deferred.bytes,
        {
          type: target.type,
          limits,
          ...(target.id ? { targetId: target.id } : {}),
          ...(target.profile ? { profile: target.profile } : {}),
        },
        budget,
      ),
  };
}

/** Write-time validation of large resources in the validation workers, counted like the inline checks. */
function ingestOffThread(services: Services): RestContext['ingestOffThread'] {
  return (resource, budget) =>
    services.validationPool?.ingest(resource, budget)?.then((verdict) => countIngest(services.metrics, verdict));
}

/**
 * The operations whose POST skips Express's walk of the generic stack (http/hot-routes.ts, ADR 0072): the border's
 * `$verify` and single issuance. Same middlewares, same order, same router.
 */
export const HOT_OPERATIONS: readonly string[] = ['verify', 'issue-hcert'];

export interface AppOptions {
  /** Dispatch HOT_OPERATIONS early (default true); false serves them through the generic stack only (tests compare). */
  hotRoutes?: boolean;
}

export function createApp(
  services: Services,
  given: OperationRoute[] = defaultOperations(services),
  options: AppOptions = {},
): express.Express {
  const { config, log, store } = services;
  const operations = given.map((op) => meteredOperation(op, services.metrics));
  const ingest = meteredIngest(services.metrics);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);

  // Built once, used by the hot routes and the generic stack alike (one admission limiter, one metrics wrapper).
  const logRequest = requestLog(services);
  const countRequest = requestMetrics(services.metrics, operations);
  const guard = hardening(config);
  const ctx: RestContext = {
    store: slotLendingStore(store),
    log,
    settings: {
      baseUrl: config.fhirBaseUrl,
      searchDefaultCount: config.searchDefaultCount,
      searchMaxCount: config.searchMaxCount,
      searchMaxIncludes: config.searchMaxIncludes,
      ...restLimitsOf(config),
    },
    now: services.now,
    ingest: () => ingest(services.validation.current().policy),
    ...(services.validationPool ? { ingestOffThread: ingestOffThread(services) } : {}),
    ...(services.validationPool
      ? { structureOffThread: (resource, type, budget) => services.validationPool?.structure(resource, type, budget) }
      : {}),
    conformance: () => conformanceOf(services.validation.current()),
    ...(config.audit ? { audit: { log: services.audit, now: services.now } } : {}),
  };
  // Rebuilt when the loaded packages change ($install-package), else built once.
  let capability: { for: unknown; statement: ReturnType<typeof buildCapabilityStatement> } | undefined;
  const metadata = () => {
    const state = services.validation.current();
    if (capability?.for !== state)
      capability = {
        for: state,
        statement: buildCapabilityStatement({
          baseUrl: config.fhirBaseUrl,
          softwareVersion: services.version,
          operations,
          now: services.now(),
          implementationGuides: implementationGuides(services),
          conditionalDeleteMultiple: config.conditionalDeleteMultiple,
          ...(config.auth ? { tokenUrl: tokenUrlOf(config) } : {}),
        }),
      };
    return { status: 200, resource: capability.statement };
  };
  const router = createRouter({
    operations,
    metadata,
    bundle: (c, r) => bundle(c, r),
    vhlManifest: {
      matches: isVhlManifestRequest,
      handle: (c, r) => vhlManifestSearch(c, r, services.credentials.shl, services.now),
    },
  });
  const bundle = createBundleHandler((c, r) => router.handle(c, r));
  const fhir = [
    authenticate(services.auth, { enabled: config.auth, log }),
    fhirEndpoint(
      router,
      ctx,
      config.maxBodyBytes,
      endpointLimits(config, services.validationPool ? () => services.validationPool?.available() === true : undefined),
    ),
  ];
  if (options.hotRoutes ?? true)
    app.use(
      hotRoutes({
        codes: HOT_OPERATIONS,
        mount: FHIR_MOUNT,
        before: [logRequest, countRequest, guard.securityHeaders, guard.cors, guard.admission, guard.fhirBodyType],
        mounted: fhir,
        end: notFound,
        onError: errorFunnel(services),
      }),
    );
  app.use(logRequest);
  app.use(countRequest);
  mountHardening(app, guard);
  // Public on purpose (http/authorize.ts PUBLIC_PATHS), each under a per-address budget.
  app.use(
    ['/healthz', '/readyz', '/metrics', '/trust', '/shl', '/.well-known/jwks.json', '/.well-known/crl', '/console'],
    publicBudget(services.auth),
  );
  mountAuthEndpoints(app, services.auth, {
    issuer: config.issuerUrl,
    tokenUrl: tokenUrlOf(config),
    ...(config.audit ? { onToken: auditToken(services) } : {}),
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', storage: publicName(store.describe()) });
  });
  mountOperatorEndpoints(app, services.metrics, () => ({
    store,
    validation: () => services.validation.current(),
    issuerKeys: services.issuerKeys,
    trust: services.trust,
    now: services.now,
    keyMinValidityMs: config.readyKeyMinValidityMs,
  }));
  mountTrustEndpoints(app, services);
  mountShlEndpoints(app, services.credentials.shl, services.now);
  mountConsole(app);
  app.use(FHIR_MOUNT, ...fhir);
  app.use(notFound);
  app.use(errorFunnel(services));
  return app;
}

function notFound(req: Request): never {
  throw new OutcomeError(
    'not-found',
    issue({ code: 'not-found', id: 'PATH_UNKNOWN', text: `Nothing at ${req.path}; the FHIR API is at /fhir` }),
  );
}

const conformanceSources = new WeakMap<ValidationState, ConformanceSource>();

/** One package view per loaded package set (a new one after $install-package). */
function conformanceOf(state: ValidationState): ConformanceSource {
  let source = conformanceSources.get(state);
  if (!source) {
    source = createConformanceSource(state.packages.packages);
    conformanceSources.set(state, source);
  }
  return source;
}

/** Canonicals of the loaded IG packages (ImplementationGuide resources, or the package canonical). */
function implementationGuides(services: Services): string[] {
  const { packages } = services.validation.current();
  return packages.packages
    .filter((p) => p.id !== 'hl7.fhir.r4.core')
    .map((p) => {
      const ig = p.resources.find((r) => r.resourceType === 'ImplementationGuide') as { url?: string } | undefined;
      return ig?.url ?? `${p.canonical ?? p.id}|${p.version}`;
    });
}

/** One JSON log line per request, with status and duration; the request id is echoed to the client. */
function requestLog(services: Services) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    res.locals.log = services.log.child({ reqId: id });
    res.on('finish', () => {
      // The line's fields (a redacted URL among them) are only built when the line is written.
      if (!res.locals.log.isLevelEnabled('info')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      res.locals.log.info(
        { method: req.method, url: redactUrl(req.originalUrl), status: res.statusCode, ms: Math.round(ms * 100) / 100 },
        'request',
      );
    });
    next();
  };
}

/** Errors Express or Node raise for a malformed request carry a 4xx status of their own. */
function clientError(err: unknown): boolean {
  const status =
    (err as { status?: unknown; statusCode?: unknown } | null)?.status ??
    (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** Every error leaves as an OperationOutcome with the right status; never a stack trace or an HTML page. */
function errorFunnel(services: Services) {
  const { config } = services;
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const log = res.locals.log ?? services.log;
    let status: number;
    let body;
    if (err instanceof OutcomeError) {
      status = statusOf(err.kind);
      body = err.outcome;
    } else if (clientError(err)) {
      status = 400;
      body = outcome([issue({ code: 'invalid', id: 'REQUEST_MALFORMED', text: 'The request could not be read' })]);
    } else {
      status = 500;
      body = outcome([
        issue({
          severity: 'fatal',
          code: 'exception',
          id: 'INTERNAL_ERROR',
          text: 'The server failed to process the request; the error is logged',
        }),
      ]);
    }
    if (status >= 500) log.error({ err }, 'request failed');
    if (config.audit && !res.locals.routed && (status === 401 || status === 403 || status === 429))
      auditRefusal(services, req, res, status, body);
    if (status === 413) res.setHeader('Connection', 'close');
    if (status === 401)
      res.setHeader(
        'WWW-Authenticate',
        (res.locals.wwwAuthenticate as string | undefined) ?? 'Bearer realm="gdhcn-gateway"',
      );
    if (res.headersSent) {
      res.end();
      return;
    }
    sendFhir(res, { status, resource: body });
  };
}
