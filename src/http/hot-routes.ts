/**
 * The hot operation routes (`POST [base]/$verify`, `POST [base]/Immunization/{id}/$issue-hcert`…) dispatched by the
 * app's first Express layer, without walking the rest of the stack (issue 18, ADR 0072). A request whose method and
 * path match runs a chain compiled once: the very middleware instances the generic stack mounts (request log,
 * metrics, security headers, CORS, admission, content-type gate, authentication, the FHIR endpoint), in the same
 * order, then the same error funnel. Nothing is declared here: the FHIR router resolves the operation from its one
 * table (defineOperation), with its scope, audit and metrics, as for any request. What is saved is Express's walk of
 * some twenty layers (path matching, mount prefixes, per-layer `next` closures) for each request.
 */
import type { NextFunction, Request, Response } from 'express';

export type Middleware = (req: Request, res: Response, next: NextFunction) => unknown;
export type ErrorMiddleware = (err: unknown, req: Request, res: Response, next: NextFunction) => void;

export interface HotRoutes {
  /** The `$operation` codes dispatched early, each POST only. */
  codes: readonly string[];
  /** Where the FHIR API is mounted (`/fhir`): the middlewares of `mounted` see paths relative to it, as in Express. */
  mount: string;
  /** Run first, on the full path (Express's `app.use(fn)` layers). */
  before: Middleware[];
  /** Run next, inside the mount (Express's `app.use(mount, fn)` layers), the FHIR endpoint last. */
  mounted: Middleware[];
  /** Past the last middleware (none of the chain calls it on these routes): the app's 404 handler. */
  end: Middleware;
  onError: ErrorMiddleware;
}

/**
 * `[mount]/$op`, `[mount]/Type/$op` and `[mount]/Type/id/$op`, for the given codes. The id follows the FHIR id rule;
 * anything else (percent-encoded segments, trailing slashes) takes the generic stack, which answers it as before.
 */
export function hotPathPattern(mount: string, codes: readonly string[]): RegExp {
  const names = codes.map((c) => c.replace(/[^A-Za-z0-9-]/g, '')).join('|');
  return new RegExp(`^${mount}/(?:[A-Z][A-Za-z]{1,63}/(?:[A-Za-z0-9.-]{1,64}/)?)?\\$(?:${names})$`);
}

/** The first layer of the app: a hot route runs its compiled chain; every other request goes on through Express. */
export function hotRoutes(routes: HotRoutes): Middleware {
  const pattern = hotPathPattern(routes.mount, routes.codes);
  const chain = [...routes.before, enter(routes.mount), ...routes.mounted, routes.end];
  return function hotRoutes(req, res, next) {
    if (req.method !== 'POST') return next();
    const url = req.url;
    const q = url.indexOf('?');
    if (!pattern.test(q < 0 ? url : url.slice(0, q))) return next();
    run(chain, 0, req, res, routes.onError, next);
  };
}

/** As Express's mount: `req.url` relative to the mount, `req.baseUrl` the mount (`req.originalUrl` is kept). */
function enter(mount: string): Middleware {
  return (req, _res, next) => {
    req.baseUrl = mount;
    req.url = req.url.slice(mount.length);
    next();
  };
}

/**
 * Calls chain[i]; its `next()` calls chain[i + 1], `next(err)`, a throw or a rejected promise goes to `onError`, as
 * Express 5 does. If the funnel itself throws, Express's own `next(err)` answers (never an unanswered request).
 */
function run(
  chain: Middleware[],
  i: number,
  req: Request,
  res: Response,
  onError: ErrorMiddleware,
  outer: NextFunction,
): void {
  let called = false;
  const fail = (err: unknown) => {
    try {
      onError(err, req, res, outer);
    } catch (again) {
      outer(again);
    }
  };
  const next: NextFunction = (err?: unknown) => {
    if (called) return;
    called = true;
    if (err !== undefined && err !== 'route' && err !== 'router') return fail(err);
    run(chain, i + 1, req, res, onError, outer);
  };
  try {
    const out = chain[i]!(req, res, next);
    if (out instanceof Promise) out.catch(fail);
  } catch (err) {
    fail(err);
  }
}
