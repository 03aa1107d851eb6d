/**
 * A per-address request budget for the public endpoints: a fixed one-minute window per client address, forgotten
 * when the window ends. One process only; behind several instances put a shared limit at the proxy as well.
 */
export interface RateLimiter {
  /** Undefined when the request may pass, else the seconds until the address may try again. */
  take(address: string): number | undefined;
}

const WINDOW_MS = 60_000;

export function createRateLimiter(options: { perMinute: number; now: () => Date }): RateLimiter {
  const { perMinute, now } = options;
  let windowStart = 0;
  let counts = new Map<string, number>();
  return {
    take: (address) => {
      if (perMinute === 0) return undefined;
      const t = now().getTime();
      if (t - windowStart >= WINDOW_MS) {
        windowStart = t;
        counts = new Map();
      }
      const n = (counts.get(address) ?? 0) + 1;
      counts.set(address, n);
      return n > perMinute ? Math.max(1, Math.ceil((windowStart + WINDOW_MS - t) / 1000)) : undefined;
    },
  };
}
