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

/** Collects step results for one verification (a fresh instance per call; never shared). */
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

  fail(step: S, err: unknown): void {
    const error = err instanceof FormatError ? err : new FormatError('INPUT_INVALID', `${step}: unexpected failure`, { cause: err });
    this.steps.push({ step, status: 'failed', error });
    this.error ??= error;
  }

  skip(...steps: S[]): void {
    for (const step of steps) this.steps.push({ step, status: 'skipped' });
  }
}
