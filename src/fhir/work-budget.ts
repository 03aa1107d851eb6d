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
}

/** Clock reads are spaced out: a tick costs an increment. */
const TICKS_PER_CHECK = 64;

/**
 * @param ms  the budget, from now
 * @param signal  aborted when the client disconnects
 * @example const budget = createWorkBudget(10_000, controller.signal); validator.validate(r, { budget })
 */
export function createWorkBudget(
  ms: number,
  signal?: AbortSignal,
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
  };
}
