/**
 * Fair service under load: requests are sorted into route classes. `light` ones (health, metadata, reads by id,
 * well-known and trust documents, SHL file downloads) are never queued. `search` and `heavy` (writes, validation,
 * operations, SHL manifests) each have a number of slots; a request beyond them waits in a FIFO queue for at most
 * the queue timeout, and beyond the queue length, or past the timeout, it gets 503 with Retry-After. A waiting
 * request whose client goes away leaves the queue. So a read or /healthz behind a burst of heavy requests is answered
 * as soon as the event loop is free, and a heavy one gets an answer (served or 503) within the queue timeout.
 *
 * A slot bounds the work a request does on the event loop, not its wait for the store's commit: while a request
 * waits for a single write to be committed it lends its slot (`lendSlotWhile`), so the next request can reach the
 * store and share that commit (store-queue.ts's group commit). Holding the slot through the fsync capped every
 * commit at `HEAVY_CONCURRENCY` writes, whatever the number of clients (ADR 0070).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';
import { issue, outcome } from '../fhir/outcome.ts';

export type RouteClass = 'light' | 'search' | 'heavy';

export interface AdmissionOptions {
  /** Slots per limited class. */
  concurrency: number;
  queueTimeoutMs: number;
  queueMax: number;
}

const LIGHT_PATHS = /^\/(healthz|readyz|metrics|\.well-known\/|fhir\/\.well-known\/|trust\/)/;
/** `/fhir/Type/id` or `/fhir/Type/id/_history/vid`: one resource by id. */
const READ_PATH = /^\/fhir\/[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(\/_history(\/[A-Za-z0-9\-.]{1,64})?)?\/?$/;

/** The class of a request, from its method and path alone. */
export function routeClassOf(method: string, path: string): RouteClass {
  if (method === 'OPTIONS') return 'light';
  if (LIGHT_PATHS.test(path)) return 'light';
  if (method === 'GET' || method === 'HEAD') {
    if (path === '/fhir/metadata' || READ_PATH.test(path) || path.startsWith('/shl/')) return 'light';
    if (/^\/fhir\/([A-Z][A-Za-z]+\/?)?(_history)?$/.test(path) || /^\/fhir\/[A-Z][A-Za-z]+\/_search$/.test(path))
      return 'search';
  }
  if (method === 'POST' && /^\/fhir\/[A-Z][A-Za-z]+\/_search$/.test(path)) return 'search';
  return 'heavy';
}

interface Waiter {
  grant(): void;
  timer: NodeJS.Timeout;
}

interface Limiter {
  active: number;
  queue: Waiter[];
}

type Lend = <T>(wait: Promise<T>) => Promise<T>;

/** The current request's slot lender, set by the admission middleware for the rest of the request. */
const slotOfRequest = new AsyncLocalStorage<Lend>();

/**
 * Awaits `wait` without holding the current request's slot: the slot goes to the next waiting request and is taken
 * back, without queueing, once `wait` settles (the request then only answers). Outside an admitted request, the
 * same as awaiting `wait`.
 */
export function lendSlotWhile<T>(wait: Promise<T>): Promise<T> {
  const lend = slotOfRequest.getStore();
  return lend ? lend(wait) : wait;
}

function busy(res: Response, retryAfterSeconds: number, why: string): void {
  res.status(503);
  res.setHeader('Retry-After', String(retryAfterSeconds));
  res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
  res.end(
    JSON.stringify(
      outcome([
        issue({
          severity: 'error',
          code: 'transient',
          id: 'SERVER_BUSY',
          text: `The server is busy (${why}); retry after ${retryAfterSeconds} s`,
        }),
      ]),
    ),
  );
}

/**
 * The admission middleware; mount it before the routes.
 * @example app.use(admission({ concurrency: 4, queueTimeoutMs: 5000, queueMax: 64 }))
 */
export function admission(options: AdmissionOptions) {
  const limiters: Record<Exclude<RouteClass, 'light'>, Limiter> = {
    search: { active: 0, queue: [] },
    heavy: { active: 0, queue: [] },
  };
  const retryAfter = Math.max(1, Math.ceil(options.queueTimeoutMs / 1000));
  const release = (l: Limiter): void => {
    // Slots taken back after a lend may briefly exceed the limit: the excess is not handed on.
    if (l.active > options.concurrency) {
      l.active--;
      return;
    }
    const next = l.queue.shift();
    if (next) {
      clearTimeout(next.timer);
      next.grant();
    } else l.active--;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const cls = routeClassOf(req.method, req.path);
    if (cls === 'light') return next();
    const l = limiters[cls];
    const start = (): void => {
      let slot: 'held' | 'lent' | 'closed' = 'held';
      res.once('close', () => {
        if (slot === 'held') release(l);
        slot = 'closed';
      });
      const lend: Lend = async (wait) => {
        if (slot !== 'held') return wait;
        slot = 'lent';
        release(l);
        try {
          return await wait;
        } finally {
          // Taken back at once, even past the limit (release() absorbs the excess): the request is done waiting
          // and should answer, not queue again behind requests that have not started.
          if (slot === 'lent') {
            slot = 'held';
            l.active++;
          }
        }
      };
      slotOfRequest.run(lend, next);
    };
    if (l.active < options.concurrency) {
      l.active++;
      return start();
    }
    if (l.queue.length >= options.queueMax) return busy(res, retryAfter, `${cls} queue full`);
    const waiter: Waiter = {
      grant: start,
      timer: setTimeout(() => {
        const i = l.queue.indexOf(waiter);
        if (i >= 0) l.queue.splice(i, 1);
        busy(res, retryAfter, `waited ${options.queueTimeoutMs} ms for a ${cls} slot`);
      }, options.queueTimeoutMs),
    };
    l.queue.push(waiter);
    res.once('close', () => {
      const i = l.queue.indexOf(waiter);
      if (i < 0) return;
      l.queue.splice(i, 1);
      clearTimeout(waiter.timer);
    });
  };
}
