/**
 * The work budget of one request: a deadline and the client's presence. Long loops (the validator's walk, search
 * steps) call `tick()`; past the deadline, or once the client has gone, it throws a 422 `too-costly`
 * OperationOutcome, so no request keeps the (single-threaded) server busy after its budget or its client is gone.
 */
import { OutcomeError, issue } from './outcome.ts';

export interface WorkBudget {
  /** Cheap; checks the clock every few calls. */
  tick(): void;
  /** Checks the clock and the client now. */
  check(): void;
  /** Milliseconds left before the deadline (work handed to a worker thread gets this as its own budget). */
  remainingMs(): number;
  /** Aborted when the client has gone (a worker thread is told through its job's cancel flag). */
  readonly signal?: AbortSignal;
}

/** Clock reads are spaced out: a tick costs an increment. */
const TICKS_PER_CHECK = 64;

/**
 * @param ms  the budget, from now
 * @param signal  aborted when the client disconnects (in a worker thread: a view of the job's cancel flag)
 * @example const budget = createWorkBudget(10_000, controller.signal); validator.validate(r, { budget })
 */
export function createWorkBudget(
  ms: number,
  signal?: { readonly aborted: boolean },
  now: () => number = () => performance.now(),
): WorkBudget {
  const deadline = now() + ms;
  let ticks = 0;
  const check = (): void => {
    if (signal?.aborted) {
      throw new OutcomeError(
        'unprocessable',
        issue({
          code: 'too-costly',
          id: 'REQUEST_ABANDONED',
          text: 'The client went away; the work on this request was stopped',
        }),
      );
    }
    if (now() > deadline) {
      throw new OutcomeError(
        'unprocessable',
        issue({
          code: 'too-costly',
          id: 'WORK_BUDGET_EXCEEDED',
          text: `The request needs more than its work budget of ${ms} ms; send a smaller resource, Bundle or page`,
        }),
      );
    }
  };
  return {
    check,
    tick() {
      if (++ticks % TICKS_PER_CHECK === 0) check();
    },
    remainingMs: () => Math.max(0, deadline - now()),
    ...(signal instanceof AbortSignal ? { signal } : {}),
  };
}

/**
 * Lets other requests run between the steps of a long loop on the event loop (a 400-entry transaction held it for
 * ~400 ms, and `/healthz` with it): once `sliceMs` have passed since the last pause, the next call waits for the
 * event loop's check phase (setImmediate, after pending I/O), then checks the budget, so a transaction whose client
 * left or whose deadline passed stops (and rolls back) at the next step.
 * @example const pace = createPacer(ctx.budget); for (const step of steps) { await pace(); run(step); }
 */
export function createPacer(
  budget?: WorkBudget,
  sliceMs = 10,
  now: () => number = () => performance.now(),
): () => Promise<void> {
  let since = now();
  return async () => {
    if (now() - since < sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = now();
    budget?.check();
  };
}
