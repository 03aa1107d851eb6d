/**
 * `$unrevoke-credential` (issue 11: revocation entries change only through their operations, un-revoke with its own
 * scope and audit): a credential revoked in error is taken off the list by a client holding
 * `system/$unrevoke-credential`, not by one that may only revoke; `$verify` then passes it again, and the audit
 * trail names who did it and the revocation entry.
 */
import request from 'supertest';
import type { Parameters } from '@medplum/fhirtypes';
import { revocationEntryId } from '../../src/credentials/revocation.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { ISSUER_URL, makeKeys, NOW } from '../unit/credentials/harness.ts';
import { param, readVerdict } from './credential-client.ts';

let t: AuthTestApp;
let issuer: string;
let revoker: string;
let unrevoker: string;
let auditor: string;

beforeAll(async () => {
  t = await createAuthTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: await makeKeys() },
  );
  issuer = await t.tokenFor('system/*.cruds system/Immunization.$issue-hcert', 'issuer');
  revoker = await (await t.registerClient('revoker', ['system/$revoke-credential'])).token('system/$revoke-credential');
  unrevoker = await (await t.registerClient('unrevoker', ['system/$unrevoke-credential'])).token(
    'system/$unrevoke-credential',
  );
  auditor = await (await t.registerClient('auditor', ['system/AuditEvent.rs'])).token('system/AuditEvent.rs');
});
afterAll(() => t.close());

const as = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': FHIR_JSON });
const ofId = (credentialId: string) =>
  JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'credentialId', valueString: credentialId }] });
const code = (res: request.Response) => res.body.issue?.[0]?.details?.coding?.[0]?.code;

async function verdict(hc1: string): Promise<{ valid: boolean; failures: string[] }> {
  const res = await request(t.app)
    .post('/fhir/$verify')
    .set('Content-Type', FHIR_JSON)
    .send({ resourceType: 'Parameters', parameter: [{ name: 'credential', valueString: hc1 }] });
  expect(res.status).toBe(200);
  const v = readVerdict(res.body as Parameters);
  return { valid: v.valid, failures: v.checks.flatMap((c) => (c.failure ? [c.failure] : [])) };
}

test('when a revoked HCERT is un-revoked, then only the un-revoke scope may do it, $verify passes it again, and the trail names the client and the entry', async () => {
  for (const r of [patient(), covidImmunization()] as Array<{ resourceType: string; id?: string }>)
    expect([200, 201]).toContain(
      (await request(t.app).put(`/fhir/${r.resourceType}/${r.id}`).set(as(issuer)).send(JSON.stringify(r))).status,
    );
  const issued = await request(t.app)
    .post('/fhir/Immunization/imm1/$issue-hcert')
    .set(as(issuer))
    .send({ resourceType: 'Parameters', parameter: [{ name: 'qrFormat', valueCode: 'none' }] });
  expect(issued.status).toBe(200);
  const hc1 = param(issued.body as Parameters, 'hc1')!.valueString!;
  const certificateId = param(issued.body as Parameters, 'certificateId')!.valueString!;

  expect(
    (await request(t.app).post('/fhir/$revoke-credential').set(as(revoker)).send(ofId(certificateId))).status,
  ).toBe(200);
  expect(await verdict(hc1)).toEqual({ valid: false, failures: ['revoked'] });

  const byRevoker = await request(t.app).post('/fhir/$unrevoke-credential').set(as(revoker)).send(ofId(certificateId));
  expect([byRevoker.status, code(byRevoker), byRevoker.body.issue[0].details.text]).toEqual([
    403,
    'AUTH_SCOPE_MISSING',
    "The token's scopes do not allow this request; it needs system/$unrevoke-credential",
  ]);
  expect(await verdict(hc1)).toEqual({ valid: false, failures: ['revoked'] });

  const undone = await request(t.app).post('/fhir/$unrevoke-credential').set(as(unrevoker)).send(ofId(certificateId));
  expect(undone.status).toBe(200);
  expect([param(undone.body, 'revoked')?.valueBoolean, param(undone.body, 'wasRevoked')?.valueBoolean]).toEqual([
    false,
    true,
  ]);
  expect(await verdict(hc1)).toEqual({ valid: true, failures: [] });

  const again = await request(t.app).post('/fhir/$unrevoke-credential').set(as(unrevoker)).send(ofId(certificateId));
  expect([again.status, param(again.body, 'wasRevoked')?.valueBoolean]).toEqual([200, false]);

  await t.services.audit.flush();
  const entry = `Basic/${revocationEntryId(certificateId)}`;
  const trail = await request(t.app).get('/fhir/AuditEvent?subtype=%24unrevoke-credential&_count=100').set(as(auditor));
  const rows = (trail.body.entry ?? []).map(
    (e: {
      resource: { agent: Array<{ name: string }>; outcome: string; entity?: Array<{ what: { reference?: string } }> };
    }) => [e.resource.agent[0]!.name, e.resource.outcome, e.resource.entity?.[0]?.what.reference],
  );
  // The refused call is stopped by its scope before the entry is known; the two that ran name it.
  expect(rows).toEqual([
    ['revoker', '4', undefined],
    ['unrevoker', '0', entry],
    ['unrevoker', '0', entry],
  ]);
  const byEntry = await request(t.app).get(`/fhir/AuditEvent?entity=${entry}`).set(as(auditor));
  expect(byEntry.body.entry).toHaveLength(2);
});

test('when the id was never issued here, or is empty, then 404 or 400 and nothing changes', async () => {
  const unknown = await request(t.app)
    .post('/fhir/$unrevoke-credential')
    .set(as(unrevoker))
    .send(ofId('URN:UVCI:NONE'));
  expect([unknown.status, code(unknown)]).toEqual([404, 'CREDENTIAL_NOT_ISSUED_HERE']);
  const empty = await request(t.app).post('/fhir/$unrevoke-credential').set(as(unrevoker)).send(ofId(' '));
  expect([empty.status, code(empty)]).toEqual([400, 'REVOKE_CREDENTIAL_ID_INVALID']);
});
