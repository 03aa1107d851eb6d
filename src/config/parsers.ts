/** Value parsers for the configuration schema; each throws ConfigProblem with a message naming what was wrong. */
export class ConfigProblem extends Error {}

export function intIn(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new ConfigProblem(`must be a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigProblem(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

export function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    const v = raw.trim();
    if (!(values as readonly string[]).includes(v))
      throw new ConfigProblem(`must be one of ${values.join(', ')}, got "${raw}"`);
    return v as T;
  };
}

export function bool(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigProblem(`must be true or false, got "${raw}"`);
}

export function httpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigProblem(`must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigProblem(`must use http or https, got "${raw}"`);
  if (url.search || url.hash) throw new ConfigProblem('must not have a query or fragment');
  return raw.replace(/\/+$/, '');
}

export function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90` (seconds), `30s`, `15m`, `6h`, `2d` → milliseconds. */
export function duration(raw: string): number {
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(raw);
  if (!m) throw new ConfigProblem(`must be a duration like 30m, 6h or 1d, got "${raw}"`);
  return Number(m[1]) * UNITS[m[2] || 's'];
}

export function upperAlpha2(raw: string): string {
  const v = raw.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(v)) throw new ConfigProblem(`must be an ISO 3166-1 alpha-2 code, got "${raw}"`);
  return v;
}

/** `Immunization=http://…|1.0.0, Bundle=http://…` → { Immunization: 'http://…|1.0.0', Bundle: 'http://…' }. */
export function profileMap(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of list(raw)) {
    const m = /^([A-Z][A-Za-z]+)\s*=\s*(\S+)$/.exec(part);
    if (!m || !/^https?:\/\//.test(m[2]))
      throw new ConfigProblem(`must be Type=canonical pairs separated by commas, got "${part}"`);
    out[m[1]] = m[2];
  }
  return out;
}
