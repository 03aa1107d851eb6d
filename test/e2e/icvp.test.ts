/**
 * ICVP over HTTP (issue 15): a yellow-fever Immunization pushed through the REST API (strict validation against
 * the shared WHO packages), minted with `$issue-hcert`, verified with `$verify`. The ICVP payload (DVCPayload of
 * smart.who.int.icvp, hcert claim -260 key -6) comes back in the verdict beside the DDCC document, and both say what
 * was pushed: the prequalified product, the date, the batch, the issuer country and the validity.
 */
import type { Bundle, Immunization, Parameters, Patient } from '@medplum/fhirtypes';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { patient, yellowFeverImmunization } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { client, param, type Client, type Verdict } from './credential-client.ts';

const PREQUAL = 'http://smart.who.int/pcmt-vaxprequal/CodeSystem/PreQualProductIDs';

let t: TestApp;
let c: Client;
let pushed: Immunization;
let holder: Patient;
let issued: Parameters;
let verdict: Verdict;

beforeAll(async () => {
  t = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: await makeKeys() },
  );
  c = client(t);
  holder = patient({ id: 'yf-holder' });
  pushed = yellowFeverImmunization({ id: 'yf-1', patient: { reference: 'Patient/yf-holder' }, lotNumber: 'YF-LOT-77' });
  await c.push(holder, pushed);
  const res = await c.post('Immunization/yf-1/$issue-hcert', c.parameters([{ name: 'qrFormat', valueCode: 'none' }]));
  expect(res.status).toBe(200);
  issued = res.body as Parameters;
  verdict = await c.verify(param(issued, 'hc1')!.valueString!);
});
afterAll(() => t.close());

const product = () => pushed.extension!.find((e) => e.valueCoding?.system === PREQUAL)!.valueCoding!.code!;

test('when the yellow-fever HCERT is verified over HTTP, then it is valid and no check fails', () => {
  expect(verdict.valid).toBe(true);
  expect(verdict.checks.filter((k) => k.status === 'fail')).toEqual([]);
  expect(verdict.format).toBe('hcert');
});

test('when its payload is read, then the ICVP part names the pushed product, date, batch, holder, issuer and validity', () => {
  const icvp = verdict.payload!.icvp as { n: string; dob: string; s?: string; v: Record<string, string> }[];
  expect(icvp).toHaveLength(1);
  expect(icvp[0]).toEqual({
    n: [...holder.name![0]!.given!, holder.name![0]!.family].join(' '),
    dob: holder.birthDate,
    s: holder.gender,
    v: {
      vp: product(),
      dt: pushed.occurrenceDateTime!.slice(0, 10),
      bo: pushed.lotNumber,
      is: verdict.issuer,
      vle: verdict.expiresAt!.slice(0, 10),
    },
  });
  // Yellow fever is not COVID-19: no EU DCC rides with it.
  expect(verdict.payload!.euDcc).toBeUndefined();
});

test('when its content is read, then the DDCC document holds the yellow-fever Immunization as pushed', () => {
  const doc = verdict.content as Bundle;
  const imm = doc.entry!.map((e) => e.resource).find((r) => r?.resourceType === 'Immunization') as Immunization;
  expect(imm.vaccineCode).toEqual(pushed.vaccineCode);
  expect(imm.lotNumber).toBe(pushed.lotNumber);
  expect(imm.occurrenceDateTime).toBe(pushed.occurrenceDateTime);
  expect(imm.extension).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ valueCoding: expect.objectContaining({ system: PREQUAL, code: product() }) }),
    ]),
  );
  expect(imm.protocolApplied![0]!.targetDisease).toEqual(pushed.protocolApplied![0]!.targetDisease);
});

test('when the same dose is issued again, then the ICVP batch and product are the same and the certificate id differs', async () => {
  const again = await c.post('Immunization/yf-1/$issue-hcert', c.parameters([{ name: 'qrFormat', valueCode: 'none' }]));
  expect(again.status).toBe(200);
  const second = await c.verify(param(again.body as Parameters, 'hc1')!.valueString!);
  expect((second.payload!.icvp as { v: unknown }[])[0]!.v).toEqual((verdict.payload!.icvp as { v: unknown }[])[0]!.v);
  expect(param(again.body as Parameters, 'certificateId')!.valueString).not.toBe(
    param(issued, 'certificateId')!.valueString,
  );
});
