/**
 * The request-hardening pieces the app wires in (issue 19), gathered so app.ts only names them:
 * - per-request limits for the FHIR endpoint;
 * - admission control per route class (admission.ts): queue with timeout, 503 + Retry-After beyond;
 * - browser-facing headers: `X-Content-Type-Options: nosniff` everywhere, `Cache-Control: no-store` by default
 *   (patient data must not sit in shared caches; handlers that may be cached set their own), HSTS when the public
 *   URL is https;
 * - CORS on the FHIR API for the configured origins, preflight answered before any authentication;
 * - state-changing requests only with a FHIR JSON (or a documented binary) body type, so an HTML form or a
 *   "simple" cross-site fetch cannot trigger a write or an issuance;
 * - an OperationOutcome for the errors Node's HTTP parser answers itself (431, 400) via the server's `clientError`.
 */
import type { Socket } from 'node:net';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Config } from '../config/schema.ts';
import { fail, issue, outcome } from '../fhir/outcome.ts';
import type { MessageId } from '../fhir/message-ids.ts';
import { admission } from './admission.ts';
import { BINARY_OPERATIONS, BINARY_TYPES, FORM_TYPE, JSON_TYPES } from './body.ts';
import type { EndpointLimits } from './fhir-endpoint.ts';

export function endpointLimits(config: Config, offThreadBodies?: () => boolean): EndpointLimits {
  return {
    ...(offThreadBodies ? { offThreadBodies } : {}),
    maxContained: config.maxContained,
    maxBundleEntries: config.maxBundleEntries,
    requestBudgetMs: config.requestBudgetMs,
    maxResponseBytes: config.maxResponseBytes,
  };
}

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

/**
 * The hardening middlewares of one app, built once: the generic stack mounts them (mountHardening) and the hot
 * operation routes run the very same instances (hot-routes.ts), so both share one admission limiter.
 */
export interface Hardening {
  securityHeaders: Middleware;
  /** Mounted on `/fhir`. */
  cors: Middleware;
  admission: Middleware;
  /** Mounted on `/fhir`. */
  fhirBodyType: Middleware;
}

export function hardening(config: Config): Hardening {
  return {
    securityHeaders: securityHeaders(config),
    cors: cors(config.corsOrigins),
    admission: admission({
      concurrency: config.heavyConcurrency,
      queueTimeoutMs: config.queueTimeoutMs,
      queueMax: config.queueMax,
    }),
    fhirBodyType: requireFhirBodyType,
  };
}

/** Mounts the headers, CORS and content-type gate; call right after the request log, before any authentication. */
export function mountHardening(app: Express, h: Hardening): void {
  app.use(h.securityHeaders);
  app.use('/fhir', h.cors);
  app.use(h.admission);
  app.use('/fhir', h.fhirBodyType);
}

function securityHeaders(config: Config) {
  const hsts = config.fhirBaseUrl.startsWith('https:') || config.issuerUrl.startsWith('https:');
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    if (hsts) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const CORS_HEADERS =
  'Authorization, Content-Type, Accept, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, Prefer, X-Request-Id';
const CORS_EXPOSED = 'Location, Content-Location, ETag, Last-Modified, X-Request-Id, X-Validation-Issues, Retry-After';

/** CORS for configured origins (`*` = any). Preflights (OPTIONS) are answered here, 204, with no token needed. */
function cors(origins: readonly string[]) {
  const any = origins.includes('*');
  const allowed = new Set(origins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    const ok = typeof origin === 'string' && (any || allowed.has(origin.toLowerCase()));
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      if (!any) res.vary('Origin');
      res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED);
    }
    if (req.method !== 'OPTIONS') return next();
    if (ok) {
      res.setHeader('Access-Control-Allow-Methods', CORS_METHODS);
      res.setHeader('Access-Control-Allow-Headers', CORS_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.setHeader('Allow', CORS_METHODS);
    res.status(204).end();
  };
}

/**
 * POST/PUT/PATCH with a body need a FHIR JSON body type (binary for `$install-package` and `$verify`; a form only
 * for `_search`, which changes nothing): an HTML form always sends a form or text type, which is refused, and a
 * cross-site script cannot send a JSON type without a CORS preflight. A POST with no body and no Content-Type (an
 * operation on a stored resource, `curl -X POST`) is let through: a form cannot send one. XML is left to the body
 * reader, which names it.
 */
function requireFhirBodyType(req: Request, _res: Response, next: NextFunction): void {
  if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return next();
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const last = req.path.split('/').filter(Boolean).pop() ?? '';
  if (JSON_TYPES.has(mediaType) || mediaType.includes('xml')) return next();
  const length = req.headers['content-length'];
  const bodiless = req.headers['transfer-encoding'] === undefined && (length === undefined || Number(length) === 0);
  if (mediaType === '' && bodiless) return next();
  if (BINARY_TYPES.has(mediaType) && BINARY_OPERATIONS.has(last)) return next();
  if (mediaType === FORM_TYPE && last === '_search') return next();
  fail('unsupported-media-type', {
    code: 'not-supported',
    id: mediaType === '' ? 'CONTENT_TYPE_REQUIRED' : 'CONTENT_TYPE_UNSUPPORTED',
    text: `${req.method} needs Content-Type application/fhir+json${mediaType === '' ? '' : `, not ${mediaType}`}${BINARY_OPERATIONS.has(last) ? ' (or the binary type this operation documents)' : ''}`,
  });
}

/** Node's parser errors → status and message id. */
function parserError(code: string | undefined): { status: number; id: MessageId; text: string } {
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, id: 'REQUEST_HEADERS_TOO_LARGE', text: 'The request line or headers are too large' };
  if (code === 'HPE_INVALID_METHOD')
    return { status: 400, id: 'METHOD_UNKNOWN', text: 'The request method is not an HTTP method this server knows' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, id: 'REQUEST_TIMEOUT', text: 'The request took too long to arrive' };
  return { status: 400, id: 'REQUEST_MALFORMED', text: 'The request could not be read' };
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * For `server.on('clientError', onClientError)`: Node's HTTP parser refuses some requests before Express sees them
 * (oversized headers or URL, unknown method, malformed request line); this answers them with an OperationOutcome.
 * @example server.on('clientError', onClientError)
 */
export function onClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, id, text } = parserError(err.code);
  const body = JSON.stringify(outcome([issue({ code: status === 431 ? 'too-costly' : 'invalid', id, text })]));
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/fhir+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** What `/healthz` and similar may say about a storage or package source: its kind or file name, never a path or URL. */
export function publicName(source: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(source)?.[1];
  if (scheme && !/^[a-z]:[\\/]/i.test(source)) return scheme;
  return source.split(/[\\/]/).filter(Boolean).pop() ?? source;
}

/** Replaces absolute file paths in a message by their last segment. */
export function withoutPaths(text: string): string {
  return text.replace(/(?:[A-Za-z]:)?(?:[\\/][^\s\\/:'"`()]+)+[\\/]([^\s\\/:'"`()]+)/g, '$1');
}
