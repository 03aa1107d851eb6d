/**
 * npm run bench:rules — `$verify` of many distinct HC1s over HTTP on 127.0.0.1, with a 40-rule EU DCC acceptance set
 * for the arrival country (`country=DE`, rules configured by RULES_FILE) against the same requests without an
 * arrival country (no rule evaluated), alternating in one run on one server.
 *
 * The server is the real app (bench/rest-server.ts) in a child process with the shared WHO IG packages and its
 * development keys; the HC1s are issued by it (`$issue-hcert`) so that every verify passes. The rules are shaped like
 * the member states' published ones (value-set membership, date windows with plusTime, if-guards per certificate
 * type, dose counts) and all 40 apply to a vaccination certificate.
 *
 * Figures per load: requests per server CPU-second (process.cpuUsage of the server), as bench/e2e.ts counts them.
 * The ratio is the median over rounds of (with rules in round r) / (without in round r).
 * Last line: {"bench":"rules","figures":{...},"ratios":{...}}.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPackageTgz } from '../src/packages/read-package.ts';
import { forkServer, serverCpu } from './child-server.ts';
import { createClient, round, type LoadRequest, type LoadResult } from './http-load.ts';

const PACKAGES_DIR = new URL('../../shared/fhir-packages', import.meta.url).pathname;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONCURRENCY = 8;
const LOAD = { count: Number(process.env.BENCH_VERIFY ?? 2000), seconds: 3 };
const HC1_COUNT = 64;
const RULE_COUNT = 40;

function example(file: string): Record<string, unknown> {
  const pkg = readPackageTgz(join(PACKAGES_DIR, 'who.ddcc#1.0.0.tgz'));
  const found = pkg.examples.find((e) => e.file === file)?.resource;
  if (!found) throw new Error(`${file} is not an example of who.ddcc`);
  return structuredClone(found) as Record<string, unknown>;
}

const clockPlus = (days: number) => ({ plusTime: [{ var: 'external.validationClock' }, days, 'day'] });
const dosePlus = (days: number) => ({ plusTime: [{ var: 'payload.v.0.dt' }, days, 'day'] });
const guard = (logic: unknown) => ({ if: [{ var: 'payload.v.0' }, logic, true] });

/** Eight rule shapes, five variants each: 40 acceptance rules of DE for vaccination certificates. */
function ruleSet(): unknown {
  const shapes = (k: number): unknown[] => [
    guard({ in: [{ var: 'payload.v.0.tg' }, { var: 'external.valueSets.disease-agent-targeted' }] }),
    guard({ in: [{ var: 'payload.v.0.vp' }, { var: 'external.valueSets.sct-vaccines-covid-19' }] }),
    guard({ '!': [{ in: [{ var: 'payload.v.0.mp' }, { var: 'external.valueSets.vaccines-refused' }] }] }),
    guard({ 'not-before': [clockPlus(0), dosePlus(k)] }),
    guard({ 'not-after': [clockPlus(0), dosePlus(3650 + k)] }),
    guard({ '>=': [{ var: 'payload.v.0.dn' }, { if: [{ '===': [{ var: 'payload.v.0.sd' }, 1] }, 1, 1] }] }),
    guard({ and: [{ '!': [{ '===': [{ var: 'payload.v.0.co' }, 'ZZ'] }] }, { '<=': [{ var: 'payload.v.0.dn' }, 9] }] }),
    guard({ 'not-before': [clockPlus(0), { plusTime: [{ var: 'payload.dob' }, k, 'year'] }] }),
  ];
  const rules = [];
  for (let i = 0; i < RULE_COUNT; i++) {
    const logic = shapes(i % 5)[i % 8];
    rules.push({
      Identifier: `VR-DE-${String(i + 1).padStart(4, '0')}`,
      Type: 'Acceptance',
      Country: 'DE',
      CertificateType: 'Vaccination',
      ValidFrom: '2021-06-01T00:00:00Z',
      ValidTo: '2035-01-01T00:00:00Z',
      Version: '1.0.0',
      SchemaVersion: '1.3.0',
      Engine: 'CERTLOGIC',
      EngineVersion: '1.0.0',
      Logic: logic,
      AffectedFields: ['v.0'],
      Description: [{ lang: 'en', desc: `Bench rule ${i + 1}` }],
    });
  }
  const vs = (id: string, codes: string[]) => ({
    valueSetId: id,
    valueSetDate: '2021-06-01',
    valueSetValues: Object.fromEntries(
      codes.map((c) => [c, { display: c, lang: 'en', active: true, system: 'x', version: '' }]),
    ),
  });
  const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  return {
    rules,
    valueSets: [
      vs('disease-agent-targeted', ['840539006']),
      vs('sct-vaccines-covid-19', ['1119349007', '1119305005', 'J07BX03', 'XM0GQ8', ...many('vp-', 40)]),
      vs('vaccines-refused', many('EU/1/99/', 60)),
    ],
  };
}

function startServer(dir: string, rulesFile: string): Promise<{ child: ChildProcess; port: number }> {
  const overrides = { fhirPackages: [PACKAGES_DIR], rulesFile, rulesAllowUnsigned: true };
  return forkServer('./rest-server.ts', [dir, JSON.stringify(overrides)]);
}

async function measure(
  child: ChildProcess,
  run: () => Promise<LoadResult>,
): Promise<{ perSecond: number; perCpuSecond: number; p99ms: number; count: number }> {
  const before = await serverCpu(child);
  const r = await run();
  const after = await serverCpu(child);
  if (r.failures > 0) throw new Error(`${r.failures} of ${r.count} requests failed`);
  const cpu = (after.user - before.user + after.system - before.system) / 1e6;
  return { perSecond: r.perSecond, perCpuSecond: round(r.count / cpu), p99ms: r.p99ms, count: r.count };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

type Param = { name: string; valueString?: string; valueBoolean?: boolean; part?: Param[] };
const parameters = (body: string): Param[] => (JSON.parse(body) as { parameter?: Param[] }).parameter ?? [];

async function seedAndIssue(client: ReturnType<typeof createClient>): Promise<string[]> {
  const put = async (path: string, resource: Record<string, unknown>) => {
    const r = await client.send({ method: 'PUT', path: `/fhir/${path}`, body: JSON.stringify(resource) });
    if (r.status !== 200 && r.status !== 201) throw new Error(`PUT ${path}: ${r.status} ${r.body.slice(0, 2000)}`);
  };
  const imm = example('Immunization-DDCCImmunizationEnglish.json');
  const patient: Record<string, unknown> = {
    ...example('Patient-DDCCPatientEnglish.json'),
    name: [{ use: 'official', text: 'Aulus Agerius', family: 'Agerius', given: ['Aulus'] }],
  };
  const org = example('Organization-DDCCOrganizationEnglish.json');
  await put(`Organization/${org.id as string}`, org);
  await put(`Patient/${patient.id as string}`, patient);
  await put(`Immunization/${imm.id as string}`, imm);
  const issue: LoadRequest = {
    method: 'POST',
    path: `/fhir/Immunization/${imm.id as string}/$issue-hcert`,
    body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'qrFormat', valueCode: 'none' }] }),
  };
  const hc1s: string[] = [];
  for (let i = 0; i < HC1_COUNT; i++) {
    const r = await client.send(issue);
    const hc1 = r.status === 200 ? parameters(r.body).find((p) => p.name === 'hc1')?.valueString : undefined;
    if (!hc1) throw new Error(`$issue-hcert: ${r.status} ${r.body.slice(0, 2000)}`);
    hc1s.push(hc1);
  }
  return hc1s;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-rules-'));
  const rulesFile = join(dir, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify(ruleSet()));
  const server = await startServer(join(dir, 'data'), rulesFile);
  const client = createClient(server.port, CONCURRENCY);
  try {
    const hc1s = await seedAndIssue(client);
    const body = (hc1: string, withRules: boolean) =>
      JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          { name: 'credential', valueString: hc1 },
          ...(withRules ? [{ name: 'country', valueCode: 'DE' }] : []),
        ],
      });
    const withBodies = hc1s.map((h) => body(h, true));
    const withoutBodies = hc1s.map((h) => body(h, false));
    const req =
      (bodies: string[]) =>
      (i: number): LoadRequest => ({ method: 'POST', path: '/fhir/$verify', body: bodies[i % bodies.length] });

    // Every rule must run and pass on our certificates, or the comparison measures nothing.
    const probe = parameters((await client.send(req(withBodies)(0))).body);
    const rules = probe
      .filter((p) => p.name === 'rule')
      .map(
        (p) =>
          p.part?.find((x) => x.name === 'result')?.valueString ??
          (p.part?.find((x) => x.name === 'result') as { valueCode?: string } | undefined)?.valueCode,
      );
    const valid = probe.find((p) => p.name === 'valid')?.valueBoolean;
    if (rules.length !== RULE_COUNT || rules.some((r) => r !== 'pass') || valid !== true)
      throw new Error(
        `the bench rules did not all pass: ${rules.length} rules, results ${[...new Set(rules)].join(',')}, valid ${valid}`,
      );

    await client.load(300, req(withBodies));
    await client.load(300, req(withoutBodies));
    const rounds = {
      with: [] as Awaited<ReturnType<typeof measure>>[],
      without: [] as Awaited<ReturnType<typeof measure>>[],
    };
    for (let r = 0; r < ROUNDS; r++) {
      const order: Array<'with' | 'without'> = r % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
      for (const kind of order) {
        const m = await measure(server.child, () =>
          client.load(LOAD.count, req(kind === 'with' ? withBodies : withoutBodies), (s) => s === 200, LOAD.seconds),
        );
        rounds[kind].push(m);
        console.log(
          `round ${r + 1} verify ${kind.padEnd(7)} rules: ${m.perSecond}/s wall, ${m.perCpuSecond}/server-CPU-s, p99 ${m.p99ms} ms (${m.count} requests)`,
        );
      }
    }
    const med = (k: keyof typeof rounds, f: 'perSecond' | 'perCpuSecond' | 'p99ms') =>
      round(median(rounds[k].map((x) => x[f])), 1);
    const figures = {
      verify_with_rules_per_cpu_s: med('with', 'perCpuSecond'),
      verify_without_rules_per_cpu_s: med('without', 'perCpuSecond'),
      verify_with_rules_per_s: med('with', 'perSecond'),
      verify_without_rules_per_s: med('without', 'perSecond'),
      verify_with_rules_p99_ms: med('with', 'p99ms'),
      verify_without_rules_p99_ms: med('without', 'p99ms'),
      rules: RULE_COUNT,
      distinct_hc1s: HC1_COUNT,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
    };
    const ratios = {
      verify_with_rules_vs_without: round(
        median(rounds.with.map((w, i) => w.perCpuSecond / rounds.without[i]!.perCpuSecond)),
      ),
    };
    console.log(JSON.stringify({ bench: 'rules', figures, ratios }));
  } finally {
    client.close();
    server.child.send('stop');
    await new Promise((resolve) => server.child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
