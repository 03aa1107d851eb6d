/**
 * The WHO DDCC IG as the first customer (issue 15): every example Patient/Immunization pair of `who.ddcc` in
 * ../shared/fhir-packages is pushed through the REST API (strict validation), minted with `$issue-hcert` and
 * verified with `$verify`. The pairs are enumerated from the package: each example Immunization whose
 * `patient` reference names an example Patient. The IG's Patients carry their name only as `HumanName.text`; the
 * DDCC:VS payload takes it as written and the EU DCC payload is left out with a warning (never a split name).
 */
import type { Immunization, OperationOutcome, Parameters, Patient } from '@medplum/fhirtypes';
import { readPackageTgz } from '../../src/packages/read-package.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { client, messageIds, param, type Client } from './credential-client.ts';

const DDCC_FILE = SHARED_PACKAGE_FILES.find((f) => /\/who\.ddcc#[^/]+\.tgz$/.test(f))!;
const examples = readPackageTgz(DDCC_FILE).examples.map((e) => e.resource as { resourceType: string; id: string });
const byRef = new Map(examples.map((r) => [`${r.resourceType}/${r.id}`, r]));

/** Every example Immunization of the package with the example Patient it names. */
const pairs = examples
  .filter((r): r is Immunization & { id: string; resourceType: 'Immunization' } => r.resourceType === 'Immunization')
  .flatMap((imm) => {
    const patient = byRef.get(imm.patient?.reference ?? '') as Patient | undefined;
    return patient ? [{ name: `${patient.id} + ${imm.id}`, patient, imm }] : [];
  });

/** Example resources the Immunization refers to (its performer and authority Organizations), pushed beside it. */
const referenced = (imm: Immunization) =>
  [
    ...(imm.performer ?? []).map((p) => p.actor?.reference),
    ...(imm.protocolApplied ?? []).map((p) => p.authority?.reference),
  ]
    .flatMap((ref) => (ref && byRef.has(ref) ? [byRef.get(ref)!] : []))
    .filter((r, i, all) => all.indexOf(r) === i);

let t: TestApp;
let c: Client;

beforeAll(async () => {
  t = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: await makeKeys() },
  );
  c = client(t);
});
afterAll(() => t.close());

test('the package has example pairs, one per example Immunization', () => {
  const immunizations = examples.filter((r) => r.resourceType === 'Immunization');
  expect(immunizations.length).toBeGreaterThan(0);
  expect(pairs).toHaveLength(immunizations.length);
});

describe.each(pairs)('DDCC example $name', ({ patient, imm }) => {
  let issued: Parameters;

  beforeAll(async () => {
    await c.push(patient, ...referenced(imm), imm);
    const res = await c.post(
      `Immunization/${imm.id}/$issue-hcert`,
      c.parameters([{ name: 'qrFormat', valueCode: 'none' }]),
    );
    expect(res.status).toBe(200);
    issued = res.body as Parameters;
  });

  test('when it is minted, then the HCERT carries DDCC:VS with the name as written and no EU DCC, and says why', async () => {
    const hc1 = param(issued, 'hc1')!.valueString!;
    const verdict = await c.verify(hc1);
    expect(verdict.valid).toBe(true);
    expect(verdict.checks.filter((k) => k.status === 'fail')).toEqual([]);
    const ddccVs = (verdict.payload!.ddccVs as { name: string; birthDate: string; vaccination: { lot: string } }[])[0]!;
    expect(ddccVs.name).toBe(patient.name![0]!.text);
    expect(ddccVs.birthDate).toBe(patient.birthDate);
    expect(ddccVs.vaccination.lot).toBe(imm.lotNumber);
    // The IG's Patients hold only HumanName.text, and every DDCC example is a COVID-19 vaccination (the IG's scope):
    // the EU DCC payload would apply, is left out, and the answer says why.
    expect((patient.name ?? []).some((n) => n.family)).toBe(false);
    expect(verdict.payload!.euDcc).toBeUndefined();
    const warnings = param(issued, 'warnings')!.resource as OperationOutcome;
    expect(messageIds(warnings)).toContain('HCERT_EU_DCC_OMITTED_NAME_UNSTRUCTURED');
    expect(
      warnings.issue.find((i) => i.details?.coding?.[0]?.code === 'HCERT_EU_DCC_OMITTED_NAME_UNSTRUCTURED'),
    ).toMatchObject({
      severity: 'warning',
      expression: ['Patient.name'],
    });
  });
});
