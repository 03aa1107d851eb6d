/**
 * The Express shell around the FHIR router: turns an HTTP request into a FhirRequest, a FhirResponse back
 * into HTTP. Links come from the configured base URL, never from Host or X-Forwarded-* headers.
 */
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { NextFunction, Request, Response } from 'express';
import { fail, issue, outcome } from '../fhir/outcome.ts';
import { createWorkBudget } from '../fhir/work-budget.ts';
import { checkRequestShape, type ShapeLimits } from './request-shape.ts';
import {
  BINARY_OPERATIONS,
  type Body,
  DeferredJson,
  declaresJson,
  jsonBodyOf,
  LARGE_BODY_BYTES,
  readBody,
  readSharedBytes,
} from './body.ts';
import type { FhirMethod, FhirRequest, FhirResponse, RestContext } from './fhir-request.ts';
import type { Router } from './routes.ts';
import type { AuthContext } from './authorize.ts';

const METHODS = new Set<FhirMethod>(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD']);
/** Response controls handled here, not passed on as search parameters. */
const FORMAT_PARAMS = new Set(['_format', '_pretty']);

/** Per-request limits (issue 19); absent in tests that build the endpoint bare. */
export interface EndpointLimits extends ShapeLimits {
  requestBudgetMs: number;
  maxResponseBytes: number;
  /** True while a validation worker is ready: large `$validate` bodies are then left unparsed for it. */
  offThreadBodies?: () => boolean;
}

/** A large JSON body of `$validate` that a worker can parse (validation-pool.ts), read as bytes only. */
async function deferredBody(req: Request, maxBodyBytes: number, limits: EndpointLimits): Promise<Body> {
  const bytes = await readSharedBytes(req, maxBodyBytes, Number(req.headers['content-length']));
  const parse = () => {
    const body = jsonBodyOf(bytes);
    if (body.kind !== 'json') return undefined;
    checkRequestShape(body.value, limits);
    return body.value;
  };
  return { kind: 'json', value: new DeferredJson(bytes, parse) };
}

function isLargeValidateBody(req: Request, method: FhirMethod, limits: EndpointLimits | undefined): boolean {
  return (
    method === 'POST' &&
    limits?.offThreadBodies?.() === true &&
    req.path.endsWith('/$validate') &&
    declaresJson(req) &&
    Number(req.headers['content-length'] ?? 0) > LARGE_BODY_BYTES
  );
}

export function fhirEndpoint(router: Router, ctx: RestContext, maxBodyBytes: number, limits?: EndpointLimits) {
  return async (req: Request, res: Response, _next: NextFunction): Promise<void> => {
    // Most operation calls carry no query string: no URL object is built for them.
    const original = req.originalUrl;
    const params = original.includes('?') ? [...new URL(original, 'http://local').searchParams.entries()] : [];
    negotiate(req, params);
    const pretty = params.some(([k, v]) => k === '_pretty' && v === 'true');
    const asked = req.method.toUpperCase() as FhirMethod;
    // HEAD is answered as GET; Node leaves the body out of HEAD responses itself.
    const method = asked === 'HEAD' ? 'GET' : asked;
    if (!METHODS.has(method))
      fail('not-allowed', {
        code: 'not-supported',
        id: 'METHOD_NOT_ALLOWED',
        text: `${req.method} is not a FHIR interaction`,
      });
    const deferred = limits !== undefined && isLargeValidateBody(req, method, limits);
    const body: Body =
      method === 'GET' || method === 'DELETE'
        ? { kind: 'none' as const }
        : deferred
          ? await deferredBody(req, maxBodyBytes, limits)
          : await readBody(req, maxBodyBytes);
    if (limits && !deferred && body.kind === 'json') checkRequestShape(body.value, limits);
    const fhirReq: FhirRequest = {
      method,
      segments: segmentsOf(req.path),
      query: [...params.filter(([k]) => !FORMAT_PARAMS.has(k)), ...(body.kind === 'form' ? body.params : [])],
      body: body.kind === 'json' ? body.value : body.kind === 'binary' ? body.bytes : undefined,
      // Built when read (issuance, revocation): `$verify` never reads it, and `req.ip` walks the proxy chain.
      get requester(): string {
        const who = requesterOf(req, res);
        Object.defineProperty(this, 'requester', { value: who, enumerable: true });
        return who;
      },
      headers: {
        ifMatch: header(req, 'if-match'),
        ifNoneMatch: header(req, 'if-none-match'),
        ifModifiedSince: header(req, 'if-modified-since'),
        ifNoneExist: header(req, 'if-none-exist'),
        prefer: header(req, 'prefer'),
        contentType: header(req, 'content-type'),
        acceptLanguage: header(req, 'accept-language'),
        accept: header(req, 'accept'),
      },
    };
    const last = fhirReq.segments[fhirReq.segments.length - 1];
    if (body.kind === 'form' && last !== '_search') {
      fail('unsupported-media-type', {
        code: 'not-supported',
        id: 'CONTENT_TYPE_UNSUPPORTED',
        text: 'Form bodies are only accepted by POST [type]/_search',
      });
    }
    if (body.kind === 'binary' && !BINARY_OPERATIONS.has(last ?? '')) {
      fail('unsupported-media-type', {
        code: 'not-supported',
        id: 'CONTENT_TYPE_UNSUPPORTED',
        text: 'Binary bodies are only accepted by POST $install-package and $verify; send application/fhir+json',
      });
    }
    const auth = res.locals.auth as AuthContext | undefined;
    res.locals.routed = true; // refusals from here on are audited by the router
    const requestId = String(res.getHeader('X-Request-Id') ?? '');
    if (!limits) return sendFhir(res, await router.handle({ ...ctx, auth, requestId }, fhirReq), pretty);
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const budget = createWorkBudget(limits.requestBudgetMs, gone.signal);
    sendFhir(res, await router.handle({ ...ctx, auth, requestId, budget }, fhirReq), pretty, limits.maxResponseBytes);
  };
}

/** Who asked, as issuance Provenance and revocation entries record it: the client id once authenticated. */
function requesterOf(req: Request, res: Response): string {
  const auth = res.locals.auth as AuthContext | undefined;
  if (auth?.kind === 'client') return auth.clientId;
  return `anonymous client ${req.ip ?? 'unknown'} (request ${String(res.getHeader('X-Request-Id') ?? '-')})`;
}

export function sendFhir(res: Response, out: FhirResponse, pretty = false, maxBytes = Infinity): void {
  res.status(out.status);
  for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
  if (out.outcome) res.setHeader('X-Validation-Issues', issueCounts(out.outcome));
  if (out.resource === undefined || out.status === 304) {
    res.end();
    return;
  }
  if (out.body && out.body.data.length <= maxBytes) {
    res.setHeader('Content-Type', out.body.contentType);
    res.end(out.body.data);
    return;
  }
  if (out.encoded && out.encoded.length <= maxBytes) {
    res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
    res.end(out.encoded);
    return;
  }
  let text = out.encoded ? '' : JSON.stringify(out.resource, null, pretty ? 2 : undefined);
  if (out.encoded || text.length > maxBytes) {
    res.status(422);
    res.removeHeader('Location');
    res.removeHeader('ETag');
    text = JSON.stringify(
      outcome([
        issue({
          code: 'too-costly',
          id: 'RESPONSE_TOO_LARGE',
          text: `The answer is larger than the limit of ${maxBytes} bytes; ask for a smaller page (_count) or fewer included resources`,
        }),
      ]),
    );
  }
  res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
  res.end(text);
}

/** `errors=0, warnings=2, information=1`: tells a client that asked for the resource that there is more to see. */
function issueCounts(o: OperationOutcome): string {
  const count = (sev: string[]) =>
    (o.issue ?? []).filter(
      (i) =>
        sev.includes(i.severity) &&
        i.details?.coding?.[0]?.code !== 'CREATED' &&
        i.details?.coding?.[0]?.code !== 'STORED',
    ).length;
  return `errors=${count(['error', 'fatal'])}, warnings=${count(['warning'])}, information=${count(['information'])}; send Prefer: return=OperationOutcome to read them`;
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function segmentsOf(path: string): string[] {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return fail('invalid', {
      code: 'invalid',
      id: 'PATH_MALFORMED',
      text: 'The URL path has a malformed percent-encoding',
    });
  }
}

/** JSON is the only format: `_format=xml` or an Accept header naming only XML gets 406. */
function negotiate(req: Request, params: Array<[string, string]>): void {
  const format = params.find(([k]) => k === '_format')?.[1];
  if (format !== undefined && !/json/i.test(format)) {
    fail('not-acceptable', {
      code: 'not-supported',
      id: 'FORMAT_NOT_SUPPORTED',
      text: `_format=${format} is not supported; this server returns FHIR JSON`,
    });
  }
  const accept = req.headers.accept;
  if (accept && /xml/i.test(accept) && !/json|\*\/\*|application\/\*/i.test(accept)) {
    fail('not-acceptable', {
      code: 'not-supported',
      id: 'FORMAT_NOT_SUPPORTED',
      text: 'This server returns FHIR JSON only; accept application/fhir+json',
    });
  }
}
