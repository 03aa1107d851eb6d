/**
 * CPU µs per call of named steps, measured in process (bench/verify-inprocess.ts, bench/issue-inprocess.ts): each
 * round runs every step `n` times; the first round warms the JIT, the median of the rest is printed.
 */
type Run = (i: number) => Promise<unknown> | unknown;

export interface CpuSteps {
  /**
   * Register a step; call `i` gets `i % n`, so `n` distinct inputs are cycled. A call that does `per` operations
   * (a closed loop of concurrent ones) is reported per operation.
   */
  step(name: string, n: number, f: Run, per?: number): void;
  /** Run `rounds` rounds and print one line per step, names padded to `width`. */
  report(rounds: number, width: number): Promise<void>;
}

/** @example const { step, report } = cpuSteps((name) => name.startsWith(only)) */
export function cpuSteps(keep: (name: string) => boolean = () => true): CpuSteps {
  const steps = new Map<string, { run: () => Promise<unknown> | unknown; n: number; per: number; rounds: number[] }>();
  return {
    step(name, n, f, per = 1) {
      if (!keep(name)) return;
      let i = 0;
      steps.set(name, { run: () => f(i++ % n), n, per, rounds: [] });
    },
    async report(rounds, width) {
      for (let round = 0; round < rounds; round++) {
        for (const s of steps.values()) {
          const cpu0 = process.cpuUsage();
          for (let k = 0; k < s.n; k++) await s.run();
          const cpu = process.cpuUsage(cpu0);
          s.rounds.push((cpu.user + cpu.system) / (s.n * s.per));
        }
      }
      for (const [name, s] of steps) {
        const rest = s.rounds.slice(1).sort((a, b) => a - b);
        console.log(`${name.padEnd(width)} ${rest[Math.floor(rest.length / 2)]!.toFixed(1).padStart(8)} µs CPU`);
      }
    },
  };
}
