/**
 * `$verify` of bench:e2e's distinct credentials in process (no HTTP), for profiling and for A/B timing of the verify
 * path (issue 18, ADR 0053). Not a ratio bench: it prints CPU µs per step, each a median over alternating rounds.
 *
 *  - The server's services on a file-backed SQLite store, its own DDCC template credential issued over HTTP (the
 *    who.ddcc examples, as bench:e2e), then `count` (default 3,000) distinct HC1s over four DSCs (bench/hc1-set.ts).
 *  - Steps: the whole request through the app's listener, injected without sockets (bench/inject.ts); the whole
 *    `verifyCredential`; decoding alone; the strict profile check of the rebuilt DDCC document; and
 *    each resource of that document against its own profile, outside the Bundle (the rest of the document check is
 *    the Bundle's slicing, references and document rules).
 *  - `node --cpu-prof bench/verify-inprocess.ts` gives a profile for bench/profile-summary.ts (from
 *    `src/credentials/verify.ts`).
 * Usage: `npx node bench/verify-inprocess.ts [count]`; VERIFY_STEPS=<prefix> runs only the steps named so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import { createApp } from '../src/app.ts';
import { ddccVsProfileCheck } from '../src/credentials/ddcc-vs-plan.ts';
import { DDCC_PROFILE } from '../src/credentials/mapping/ddcc-document.ts';
import { verdictToParameters } from '../src/credentials/verdict.ts';
import { verifyCredential } from '../src/credentials/verify.ts';
import { decodeHc1 } from '../src/formats/hcert/verify.ts';
import { readPackageTgz } from '../src/packages/read-package.ts';
import { distinctHc1s, writeBenchKeys } from './hc1-set.ts';
import { benchConfig, benchServices } from './bench-config.ts';
import { cpuSteps } from './cpu-steps.ts';
import { inject, type Listener, NullSocket } from './inject.ts';

const COUNT = Number(process.argv[2] ?? 3000);
const ROUNDS = 5;
const PACKAGES_DIR = new URL('../../shared/fhir-packages', import.meta.url).pathname;

const dir = mkdtempSync(join(tmpdir(), 'verify-inproc-'));
const keys = await writeBenchKeys(dir, 4);
const services = await benchServices(benchConfig(dir, { fhirPackages: [PACKAGES_DIR], ...keys.config }));
const server = createApp(services).listen(0, '127.0.0.1');
try {
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  const send = async (method: string, path: string, body: unknown) => {
    const r = await fetch(`${base}/${path}`, {
      method,
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status > 201) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 2000)}`);
    return JSON.parse(text) as { parameter?: { name: string; valueString?: string }[] };
  };
  const example = (file: string): Record<string, unknown> => {
    const found = readPackageTgz(join(PACKAGES_DIR, 'who.ddcc#1.0.0.tgz')).examples.find((e) => e.file === file);
    if (!found) throw new Error(`${file} is not an example of who.ddcc`);
    return structuredClone(found.resource) as Record<string, unknown>;
  };
  const imm = example('Immunization-DDCCImmunizationEnglish.json');
  const org = example('Organization-DDCCOrganizationEnglish.json');
  const patient = example('Patient-DDCCPatientEnglish.json');
  await send('PUT', `Organization/${org.id as string}`, org);
  // The example holds its name as text only, which issuance never splits: give it the structured parts.
  await send('PUT', `Patient/${patient.id as string}`, {
    ...patient,
    name: [{ use: 'official', text: 'Aulus Agerius', family: 'Agerius', given: ['Aulus'] }],
  });
  await send('PUT', `Immunization/${imm.id as string}`, imm);
  const issued = await send('POST', `Immunization/${imm.id as string}/$issue-hcert`, {
    resourceType: 'Parameters',
    parameter: [{ name: 'qrFormat', valueCode: 'none' }],
  });
  const template = issued.parameter?.find((p) => p.name === 'hc1')?.valueString;
  if (!template) throw new Error('$issue-hcert answered no hc1');
  const set = distinctHc1s(template, keys.dscs, COUNT);

  const validationTime = new Date();
  const options = () => services.credentials.verifyOptions({ credential: '', validationTime });
  const validator = services.validation.current().validator;
  const first = await verifyCredential(set[0]!, options());
  if (!first.valid) throw new Error(`the set does not verify: ${JSON.stringify(first.checks)}`);
  const doc = first.content as Bundle;
  const entries = (doc.entry ?? []).map((e) => e.resource!);

  /** CPU µs per call of `step` over the whole set (or `n` calls), median of the rounds. */
  // VERIFY_STEPS=<prefix>: only the steps whose name starts with it (to profile one with --cpu-prof).
  const only = process.env.VERIFY_STEPS;
  const { step, report } = cpuSteps((name) => !only || name.trimStart().startsWith(only));
  // The whole request through the app's listener (hot route, body, router, answer), without sockets (bench/inject.ts).
  const listener = server.listeners('request')[0] as Listener;
  const socket = new NullSocket();
  const bodies = set.map((hc1) =>
    JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'credential', valueString: hc1 }] }),
  );
  step('$verify through the app, injected (no sockets)', set.length, async (i) => {
    const status = await inject(
      listener,
      { method: 'POST', url: '/fhir/$verify', headers: { 'content-type': 'application/fhir+json' }, body: bodies[i]! },
      socket,
    );
    if (status !== 200) throw new Error(`$verify injected: ${status}`);
  });
  step('verifyCredential (whole $verify, no HTTP)', set.length, (i) => verifyCredential(set[i]!, options()));
  // The same without the planned DDCC:VS check (ADR 0073): every document through the generic validator.
  const generic = () => {
    const { checkDdccVsDocument: _, ...rest } = options();
    return rest;
  };
  step('  the same, generic profile check (ADR 0073 off)', set.length, (i) => verifyCredential(set[i]!, generic()));
  const verdicts = await Promise.all(set.slice(0, 1500).map((hc1) => verifyCredential(hc1, options())));
  const answerBytes = Buffer.byteLength(JSON.stringify(verdictToParameters(verdicts[0]!)));
  step(`the answer: verdictToParameters + JSON (${answerBytes} bytes)`, verdicts.length, (i) =>
    Buffer.from(JSON.stringify(verdictToParameters(verdicts[i]!))),
  );
  step('decode (base45, inflate, COSE, CBOR)', set.length, (i) => decodeHc1(set[i]!));
  step('profile check of the rebuilt document', 1500, () =>
    validator.validate(doc, { profile: DDCC_PROFILE.vsDocument }),
  );
  step('planned check of the rebuilt document (ADR 0073)', 1500, () => ddccVsProfileCheck(validator, doc, []));
  for (const r of entries)
    step(`  ${r.resourceType} alone against its meta.profile`, 1500, () => validator.validate(r));
  await report(ROUNDS, 48);
} finally {
  server.close();
  await services.close();
  rmSync(dir, { recursive: true, force: true });
}
