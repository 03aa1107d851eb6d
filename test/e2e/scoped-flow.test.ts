/**
 * End to end with access control on (issue 11): a health information system pushes records with its data scopes, a
 * separate issuing client holding only `system/Immunization.$issue-hcert` mints the HCERT, a wallet verifies it with
 * no token; the issuance Provenance names the issuing client and the audit trail shows who did what.
 */
import request from 'supertest';
import type { Parameters, Provenance } from '@medplum/fhirtypes';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { param, readVerdict } from './credential-client.ts';

let t: AuthTestApp;
let his: string;
let issuer: string;
let auditor: string;

beforeAll(async () => {
  t = await createAuthTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: await makeKeys() },
  );
  his = await (await t.registerClient('national-his', ['system/Patient.cruds', 'system/Immunization.cruds'])).token(
    'system/Patient.cruds system/Immunization.cruds',
  );
  issuer = await (
    await t.registerClient('cert-issuer', [
      'system/Immunization.$issue-hcert',
      'system/Immunization.r',
      'system/Patient.r',
    ])
  ).token('system/Immunization.$issue-hcert');
  auditor = await (await t.registerClient('auditor', ['system/AuditEvent.rs', 'system/Provenance.rs'])).token(
    'system/AuditEvent.rs system/Provenance.rs',
  );
});
afterAll(() => t.close());

const as = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': FHIR_JSON });

test('when a scoped HIS pushes, a scoped issuer issues and an anonymous wallet verifies, then the HCERT is valid and every step is attributed', async () => {
  for (const r of [patient(), covidImmunization()] as Array<{ resourceType: string; id?: string }>) {
    const res = await request(t.app).put(`/fhir/${r.resourceType}/${r.id}`).set(as(his)).send(JSON.stringify(r));
    expect([201, 200]).toContain(res.status);
  }
  const body = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'qrFormat', valueCode: 'none' }] });

  const byHis = await request(t.app).post('/fhir/Immunization/imm1/$issue-hcert').set(as(his)).send(body);
  expect([byHis.status, byHis.body.issue[0].details.text]).toEqual([
    403,
    "The token's scopes do not allow this request; it needs system/Immunization.$issue-hcert",
  ]);

  const issued = await request(t.app).post('/fhir/Immunization/imm1/$issue-hcert').set(as(issuer)).send(body);
  expect(issued.status).toBe(200);
  const hc1 = param(issued.body as Parameters, 'hc1')!.valueString!;

  const verified = await request(t.app)
    .post('/fhir/$verify')
    .set('Content-Type', FHIR_JSON)
    .send({ resourceType: 'Parameters', parameter: [{ name: 'credential', valueString: hc1 }] });
  expect(verified.status).toBe(200);
  expect(readVerdict(verified.body as Parameters).valid).toBe(true);

  const provenance = await request(t.app).get('/fhir/Provenance?target=Immunization/imm1').set(as(auditor));
  const records = (provenance.body.entry ?? []).map((e: { resource: Provenance }) => e.resource) as Provenance[];
  expect(records.map((p) => p.agent[0]!.who.display)).toEqual(['cert-issuer']);

  await t.services.audit.flush();
  const trail = await request(t.app).get('/fhir/AuditEvent?entity=Immunization/imm1&_count=100').set(as(auditor));
  const rows = (trail.body.entry ?? []).map(
    (e: {
      resource: { action: string; outcome: string; subtype: Array<{ code: string }>; agent: Array<{ name: string }> };
    }) => `${e.resource.agent[0]!.name} ${e.resource.subtype[0]!.code} ${e.resource.action} ${e.resource.outcome}`,
  );
  expect(rows.sort()).toEqual(
    ['cert-issuer $issue-hcert E 0', 'national-his $issue-hcert E 4', 'national-his update U 0'].sort(),
  );
});
