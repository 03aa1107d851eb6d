/**
 * `$issue-hcert` in process (no HTTP), for profiling and A/B timing of the issuance path (issue 18, ADR 0075). Not a
 * ratio bench: it prints CPU µs per step, each a median over rounds (the first warms the JIT and is left out).
 *
 *  - The server's services on a file-backed SQLite store (synchronous=FULL, as bench:e2e), the who.ddcc examples
 *    stored, then `count` (default 1,000) distinct Immunizations (own id, lot and date) issued against them.
 *  - Steps: the whole `issueHcert` with PNG + SVG and without images (each durable: its Provenance committed),
 *    the answer as Parameters serialised, the QR symbol alone, the PNG and SVG drawings, the DDCC document check,
 *    signing, and the Provenance write.
 *  - `node --cpu-prof bench/issue-inprocess.ts` gives a profile for `node bench/profile-summary.ts <file> 30
 *    src/credentials/issue-hcert.ts`.
 * Usage: `node bench/issue-inprocess.ts [count] [only-step-prefix]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Immunization, Organization, Patient } from '@medplum/fhirtypes';
import { issueHcert } from '../src/credentials/issue-hcert.ts';
import { DDCC_PROFILE } from '../src/credentials/mapping/ddcc-document.ts';
import { hcertToParameters } from '../src/credentials/operation-parameters.ts';
import { recordIssuance } from '../src/credentials/provenance.ts';
import { recordsOfImmunization } from '../src/http/operations/records.ts';
import { groupCommitTotals } from '../src/storage/sqlite/store-queue.ts';
import { credentialQrSymbol } from '../src/formats/qr.ts';
import { symbolToPng, symbolToSvg } from '../src/formats/qr/render-symbol.ts';
import { readPackageTgz } from '../src/packages/read-package.ts';
import { writeBenchKeys } from './hc1-set.ts';
import { benchConfig, benchServices } from './bench-config.ts';
import { cpuSteps } from './cpu-steps.ts';

const COUNT = Number(process.argv[2] ?? 1000);
const ONLY = process.argv[3];
const ROUNDS = 5;
const CONCURRENCY = 8;
const PACKAGES_DIR = new URL('../../shared/fhir-packages', import.meta.url).pathname;

const dir = mkdtempSync(join(tmpdir(), 'issue-inproc-'));
const keys = await writeBenchKeys(dir, 4);
const services = await benchServices(benchConfig(dir, { fhirPackages: [PACKAGES_DIR], ...keys.config }));
try {
  const example = <T>(file: string): T => {
    const found = readPackageTgz(join(PACKAGES_DIR, 'who.ddcc#1.0.0.tgz')).examples.find((e) => e.file === file);
    if (!found) throw new Error(`${file} is not an example of who.ddcc`);
    return structuredClone(found.resource) as T;
  };
  const store = services.store;
  const org = example<Organization>('Organization-DDCCOrganizationEnglish.json');
  const patient: Patient = {
    ...example<Patient>('Patient-DDCCPatientEnglish.json'),
    name: [{ use: 'official', text: 'Aulus Agerius', family: 'Agerius', given: ['Aulus'] }],
  };
  const imm = example<Immunization>('Immunization-DDCCImmunizationEnglish.json');
  await store.update(org, {});
  await store.update(patient, {});
  // Distinct Immunizations: own id, lot number and day, so nothing keyed by the record can stand in.
  const imms: Immunization[] = Array.from({ length: COUNT }, (_, i) => ({
    ...imm,
    id: `bench-imm-${i}`,
    lotNumber: `LOT-${i}-${(i * 7919) % 100_000}`,
    occurrenceDateTime: new Date(Date.UTC(2021, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
  }));
  // Stored too: the concurrent step reads its records from the store, as `$issue-hcert` does.
  await store.transaction(async (tx) => {
    for (let i = 0; i < COUNT; i++) await tx.update(imms[i]!, {});
  });
  const ctx = services.credentials.issuer();
  const input = (i: number, qrFormats: readonly ('png' | 'svg')[]) => ({
    patient,
    immunizations: [imms[i]!],
    now: new Date(),
    validitySeconds: 365 * 86_400,
    requester: 'bench',
    qrFormats,
  });
  // Material for the single steps: a sample of real HC1s and their documents.
  const sample = await Promise.all(
    Array.from({ length: Math.min(COUNT, 200) }, (_, i) => issueHcert(ctx, input(i, []))),
  );
  const symbols = sample.map((s) => credentialQrSymbol('hcert', s.hc1).modules);

  const { step, report } = cpuSteps((name) => !ONLY || name.startsWith(ONLY));
  step('issueHcert PNG+SVG (durable)', COUNT, (i) => issueHcert(ctx, input(i, ['png', 'svg'])));
  step('issueHcert no QR (durable)', COUNT, (i) => issueHcert(ctx, input(i, [])));
  // As bench:e2e's server sees it: CONCURRENCY requests in flight, each reading its Immunization and Patient
  // through the store queue, then issuing (its Provenance write group-committed with the others').
  let nextConcurrent = 0;
  const commits = { commits: 0, writes: 0 };
  step(
    `issue no QR, ${CONCURRENCY} in flight, from store`,
    1,
    async () => {
      const c0 = groupCommitTotals();
      const worker = async (): Promise<void> => {
        for (let k = 0; k < COUNT / CONCURRENCY; k++) {
          const i = nextConcurrent++ % COUNT;
          const records = await recordsOfImmunization(store, `bench-imm-${i}`, '');
          await issueHcert(ctx, { ...input(i, []), ...records });
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const c1 = groupCommitTotals();
      commits.commits += c1.commits - c0.commits;
      commits.writes += c1.writes - c0.writes;
    },
    COUNT,
  );
  step('issueHcert PNG+SVG + answer JSON', COUNT, async (i) =>
    JSON.stringify(hcertToParameters(await issueHcert(ctx, input(i, ['png', 'svg'])))),
  );
  step('answer JSON alone (no QR)', sample.length, (i) => JSON.stringify(hcertToParameters(sample[i]!)));
  step('QR symbol', sample.length, (i) => credentialQrSymbol('hcert', sample[i]!.hc1));
  step('PNG drawing', symbols.length, (i) => symbolToPng(symbols[i]!, { scale: 4, margin: 4 }));
  step('SVG drawing', symbols.length, (i) => symbolToSvg(symbols[i]!, { margin: 4 }));
  const validate = ctx.validate;
  if (validate)
    step('DDCC document check', sample.length, (i) => validate(sample[i]!.ddccDocument, DDCC_PROFILE.vsDocument));
  step('Provenance write (durable)', COUNT, (i) =>
    recordIssuance(store, {
      format: 'hcert',
      patientId: patient.id,
      sources: [`Immunization/${imms[i]!.id}`],
      requester: 'bench',
      kid: sample[0]!.kid,
      credentialId: `URN:UVCI:01:XX:BENCH${process.hrtime.bigint()}`,
      issuedAt: new Date(),
      expiresAt: new Date(),
    }),
  );
  await report(ROUNDS, 40);
  if (commits.commits > 0) console.log(`in flight: ${(commits.writes / commits.commits).toFixed(2)} writes per commit`);
} finally {
  await services.close();
  rmSync(dir, { recursive: true, force: true });
}
