/**
 * Picking the version of a package that stands in for a declared dependency that cannot be had (hl7.fhir.uv.ipa
 * 1.1.0, hl7.terminology.r4 6.5.0…): the nearest by major, then minor, then patch; on a tie the later one, and a
 * release before a pre-release (5.3.0 before 5.3.0-ballot).
 */

interface Parsed {
  readonly parts: [number, number, number];
  readonly pre: boolean;
}

function parse(version: string): Parsed {
  const [core = '', pre] = version.split('-', 2);
  const n = core.split('.').map((x) => Number.parseInt(x, 10));
  return { parts: [n[0] || 0, n[1] || 0, n[2] || 0], pre: pre !== undefined };
}

function compare(a: Parsed, b: Parsed): number {
  for (let i = 0; i < 3; i++) if (a.parts[i] !== b.parts[i]) return a.parts[i] - b.parts[i];
  return Number(b.pre) - Number(a.pre);
}

/**
 * The available version nearest to `wanted`; `undefined` when none is available.
 * @example nearestVersion('5.2.0', ['5.1.0', '5.3.0-ballot-tc1']) // '5.3.0-ballot-tc1' (same distance in minor; the later)
 */
export function nearestVersion(wanted: string, available: readonly string[]): string | undefined {
  if (available.includes(wanted)) return wanted;
  const w = parse(wanted);
  const distance = (v: Parsed): number[] => v.parts.map((p, i) => Math.abs(p - w.parts[i]));
  let best: { version: string; parsed: Parsed; d: number[] } | undefined;
  for (const version of available) {
    const parsed = parse(version);
    const d = distance(parsed);
    if (!best) {
      best = { version, parsed, d };
      continue;
    }
    const i = d.findIndex((x, k) => x !== best!.d[k]);
    const closer = i >= 0 ? d[i] < best.d[i] : compare(parsed, best.parsed) > 0;
    if (closer) best = { version, parsed, d };
  }
  return best?.version;
}
