/**
 * Step-wise verification record shared by HCERT and SHC verifiers: each step passes, fails with a FormatError,
 * or is skipped because an earlier one failed. `$verify` reports these as separate checks.
 */
import { FormatError } from './errors.ts';

export interface StepResult<S extends string> {
  step: S;
  status: 'passed' | 'failed' | 'skipped';
  error?: FormatError;
}

/**
 * Collects step results for one verification (a fresh instance per call; never shared).
 * @example const rec = new StepRecorder<'a' | 'b'>(); rec.run('a', () => work()); rec.skip('b')
 */
export class StepRecorder<S extends string> {
  readonly steps: StepResult<S>[] = [];
  error: FormatError | undefined;

  /** Run a step; record pass or failure. Returns undefined when the step failed. */
  run<T>(step: S, fn: () => T): T | undefined {
    try {
      const value = fn();
      this.steps.push({ step, status: 'passed' });
      return value;
    } catch (err) {
      this.fail(step, err);
      return undefined;
    }
  }

  /** Async variant of `run`. */
  async runAsync<T>(step: S, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      const value = await fn();
      this.steps.push({ step, status: 'passed' });
      return value;
    } catch (err) {
      this.fail(step, err);
      return undefined;
    }
  }

  /**
   * Record a FormatError as the step's failure. Anything else (a failing key lookup, a bug) is not a verdict on
   * the credential, so it propagates to the caller instead of being reported as "invalid".
   */
  fail(step: S, err: unknown): void {
    if (!(err instanceof FormatError)) throw err;
    const error = err;
    this.steps.push({ step, status: 'failed', error });
    this.error ??= error;
  }

  skip(...steps: S[]): void {
    for (const step of steps) this.steps.push({ step, status: 'skipped' });
  }
}
