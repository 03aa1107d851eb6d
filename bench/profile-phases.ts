/**
 * The per-credential CPU of a bulk issuance job, phase by phase, from a V8 CPU profile of the job (bench:bulk with
 * BENCH_CPU_PROF). Each sample goes to the first phase of the list whose function is anywhere on its stack, so the
 * validation's share is not counted again under issueHcert, nor a store write under the batch that makes it.
 * Shares are of the sampled time; µs are those shares of the job's measured CPU per credential (process.cpuUsage,
 * which also counts the kernel time of the commits that the sampler sees less of).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Phase name, and the functions (by name, with a file when the name is common) that mark it. */
const PHASES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['validate the DDCC document', ['checkDocument']],
  ['read records (Immunization, Patient)', ['prefetchRecords', 'recordsOfImmunization']],
  ['deflate', ['deflate@src/formats/deflate.ts']],
  ['sign (COSE_Sign1)', ['signCoseSign1With']],
  ['CBOR payload', ['encodeCbor', 'encodeCwtClaims']],
  ['base45', ['encodeBase45']],
  ['payload mapping', ['payloads']],
  ['DDCC document build', ['buildDdccDocument']],
  ['UVCI randomness', ['randomIdPart']],
  ['Provenance build', ['issuanceProvenance', 'issuanceProvenanceId']],
  ['NDJSON lines (Binary)', ['ndjson', 'hcertToParameters']],
  ['AuditEvents', ['appendAudit']],
  ['job progress (Task)', ['toTask', 'fromTask', 'updateResource']],
  ['store writes (Provenance, Binary)', ['createResource']],
  ['commit', ['inSavepoint']],
  ['issueHcert rest', ['issueHcert']],
  ['batch loop rest', ['runBatch', 'work']],
  ['garbage collector', ['(garbage collector)']],
];

function matches(marker: string, frame: ProfileNode['callFrame']): boolean {
  const [name, file] = marker.split('@');
  return frame.functionName === name && (file === undefined || frame.url.endsWith(file));
}

/** Lines of `phase: share, µs per credential`, largest first. */
export function phaseBreakdown(profile: CpuProfile, cpuUsPerCredential: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phaseOfLeaf = new Map<number, string>();
  const phaseOf = (leaf: number): string => {
    let hit = phaseOfLeaf.get(leaf);
    if (hit) return hit;
    const stack: ProfileNode['callFrame'][] = [];
    for (let at: number | undefined = leaf; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!.callFrame);
    hit = PHASES.find(([, markers]) => stack.some((f) => markers.some((m) => matches(m, f))))?.[0] ?? 'other';
    phaseOfLeaf.set(leaf, hit);
    return hit;
  };
  const time = new Map<string, number>();
  let all = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const t = profile.timeDeltas?.[i] ?? 0;
    const phase = byId.get(id)!.callFrame.functionName === '(idle)' ? 'idle' : phaseOf(id);
    time.set(phase, (time.get(phase) ?? 0) + t);
    all += t;
  });
  return [...time]
    .sort((a, b) => b[1] - a[1])
    .map(
      ([phase, t]) =>
        `${((100 * t) / all).toFixed(1).padStart(5)}%  ${((cpuUsPerCredential * t) / all).toFixed(0).padStart(5)} µs  ${phase}`,
    );
}
