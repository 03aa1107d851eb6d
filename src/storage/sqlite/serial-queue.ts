/**
 * Runs async jobs one after another. `DatabaseSync` is one synchronous connection shared by every request, so a
 * transaction that spans `await`s must not interleave with other requests' reads or writes: every store
 * operation goes through this queue.
 */
export type SerialQueue = <T>(job: () => T | Promise<T>) => Promise<T>;

/** Creates an independent queue (state lives in the closure, one per store). */
export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(job: () => T | Promise<T>): Promise<T> => {
    const run = tail.then(job);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
}
