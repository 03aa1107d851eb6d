/**
 * SMART Health Links end to end over HTTP: push a document Bundle → `$issue-shl` → `$verify` the `shlink:/` and its
 * VHL (the HCERT carrying the link) → revoke by deleting the link record → the Provenance of every issuance.
 * Passcodes and expiry: shl-passcode.test.ts; flag U and bad input: shl-endpoints.test.ts; SSRF: shl-ssrf.test.ts.
 */
import request from 'supertest';
import { FHIR_JSON } from '../helpers/test-app.ts';
import {
  check,
  createShlApp,
  DOCUMENT_ID,
  DOCUMENT_PATIENT,
  DOCUMENT_PATIENT_ID,
  failed,
  IPS_PROFILE,
  issueShl,
  manifest,
  messageId,
  out,
  pushDocument,
  START,
  verify,
  type ShlApp,
} from './shl-support.ts';

let t: ShlApp;
let pushed: Record<string, unknown>;
beforeAll(async () => {
  t = await createShlApp();
  pushed = await pushDocument(t);
});
afterAll(() => t.close());

/** What the server adds to a stored resource; the rest must come back unchanged. */
function withoutServerMeta(resource: Record<string, unknown>): Record<string, unknown> {
  const { versionId: _v, lastUpdated: _l, ...meta } = (resource.meta ?? {}) as Record<string, unknown>;
  return { ...resource, meta };
}

describe('push → $issue-shl → $verify', () => {
  test('when the IPS document Bundle is pushed in strict mode, then it is stored, checked against the loaded IPS ingest profile with no error', async () => {
    const res = await request(t.app)
      .put('/fhir/Bundle/ingest-check')
      .set('Content-Type', FHIR_JSON)
      .set('Prefer', 'return=OperationOutcome')
      .send(JSON.stringify({ ...pushed, id: 'ingest-check' }));
    expect(res.status).toBe(201);
    const issues = res.body.issue as Array<{
      severity: string;
      details: { coding: Array<{ code: string }>; text: string };
    }>;
    expect(issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')).toEqual([]);
    expect(issues.map((i) => i.details.coding[0]!.code)).not.toContain('INGEST_PROFILE_NOT_LOADED');
  });

  test('when a link without passcode is issued and verified, then valid, format shl, signature and trust-chain skipped by design, and the content is the pushed Bundle', async () => {
    const issued = await issueShl(t);
    expect(issued.status).toBe(200);
    const shlink = out(issued, 'shlink');
    expect(shlink).toMatch(/^shlink:\/[\w-]+$/);
    expect(out(issued, 'manifestUrl')).toMatch(/^https:\/\/gateway\.test\/shl\/[\w-]{43}$/);
    expect(out(issued, 'linkRecord')).toMatch(/^DocumentReference\/[0-9a-f]{64}$/);

    const v = await verify(t, shlink);
    expect(v.status).toBe(200);
    expect(v.valid).toBe(true);
    expect(v.format).toBe('shl');
    expect(failed(v)).toEqual([]);
    expect(v.checks.map((c) => c.name)).toEqual([
      'unprefix',
      'signature',
      'trust-chain',
      'not-expired',
      'decompress',
      'payload-schema',
      'fhir-profile',
      'revocation',
    ]);
    const unsigned = 'A SMART Health Link is encrypted, not signed: its issuer is not authenticated (a VHL is)';
    expect(check(v, 'signature')).toEqual({ name: 'signature', status: 'skipped', message: unsigned });
    expect(check(v, 'trust-chain')).toEqual({ name: 'trust-chain', status: 'skipped', message: unsigned });
    for (const c of v.checks.filter((x) => x.status === 'skipped')) expect(c.message).toEqual(expect.any(String));
    expect(v.content).toBeDefined();
    expect(withoutServerMeta(v.content!)).toEqual(pushed);
  });

  test('when the IPS profile is loaded, then $verify checks the content against it and says it conforms', async () => {
    const v = await verify(t, out(await issueShl(t, [{ name: 'vhl', valueBoolean: false }]), 'shlink'));
    expect(check(v, 'fhir-profile')).toEqual({
      name: 'fhir-profile',
      status: 'pass',
      message: `Conforms to ${IPS_PROFILE}`,
    });
  });

  test('when a link is issued for a conformant IPS document, then the issuance carries no profile warning', async () => {
    const issued = await issueShl(t, [{ name: 'vhl', valueBoolean: false }]);
    expect(issued.status).toBe(200);
    const warnings =
      (
        issued.body.parameter as Array<{
          name: string;
          resource?: { issue: Array<{ severity: string; details: { coding: Array<{ code: string }>; text: string } }> };
        }>
      ).find((p) => p.name === 'warnings')?.resource?.issue ?? [];
    expect(warnings.map((i) => [i.severity, i.details.coding[0]!.code])).toEqual([]);
  });

  test('when the VHL of the link is verified, then valid, format vhl, signature and trust-chain pass, and the content is the pushed Bundle', async () => {
    const issued = await issueShl(t);
    const hc1 = out(issued, 'vhl');
    expect(hc1).toMatch(/^HC1:/);
    const v = await verify(t, hc1);
    expect(v.status).toBe(200);
    expect(v.valid).toBe(true);
    expect(v.format).toBe('vhl');
    expect(failed(v)).toEqual([]);
    expect(check(v, 'signature')?.status).toBe('pass');
    expect(check(v, 'trust-chain')).toEqual({
      name: 'trust-chain',
      status: 'pass',
      message: expect.stringMatching(new RegExp(`^DSC ${escape(out(issued, 'kid'))} chains to CSCA .+ of XX$`)),
    });
    // The checks of the link inside the VHL say so: not-expired, decompress and payload-schema come twice.
    expect(check(v, 'revocation')).toEqual({
      name: 'revocation',
      status: 'pass',
      message: 'Carried link: The link is served',
    });
    expect(
      v.checks.filter((c) => c.name === 'not-expired').map((c) => c.message?.startsWith('Carried link: ') ?? false),
    ).toEqual([false, true]);
    expect(withoutServerMeta(v.content!)).toEqual(pushed);
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `$revoke-credential` with the record id (`DocumentReference/<id>` → `<id>`), the one way to revoke a link. */
const revokeLink = (linkRecord: string) =>
  request(t.app)
    .post('/fhir/$revoke-credential')
    .set('Content-Type', FHIR_JSON)
    .send({
      resourceType: 'Parameters',
      parameter: [{ name: 'credentialId', valueString: linkRecord.slice('DocumentReference/'.length) }],
    });

describe('revocation', () => {
  test('when the link is revoked with $revoke-credential, then the manifest is 404 and $verify of the link and of its VHL fail with revoked', async () => {
    const issued = await issueShl(t);
    const manifestUrl = out(issued, 'manifestUrl');
    expect((await manifest(t, manifestUrl, { recipient: 'Clinic A' })).status).toBe(200);

    const deleted = await revokeLink(out(issued, 'linkRecord'));
    expect([deleted.status, deleted.body.parameter[0]]).toEqual([200, { name: 'revoked', valueBoolean: true }]);

    const gone = await manifest(t, manifestUrl, { recipient: 'Clinic A' });
    expect(gone.status).toBe(404);
    expect(messageId(gone)).toBe('SHL_NOT_FOUND');
    for (const [credential, prefix] of [
      [out(issued, 'shlink'), ''],
      [out(issued, 'vhl'), 'Carried link: '],
    ]) {
      const v = await verify(t, credential!);
      expect(v.valid).toBe(false);
      expect(failed(v)).toEqual([
        {
          name: 'revocation',
          status: 'fail',
          failure: 'revoked',
          message: `${prefix}The link is no longer served (revoked, expired or disabled)`,
        },
      ]);
      expect(v.failures).toEqual(['revoked']);
      expect(v.content).toBeUndefined();
    }
  });

  test('when a plain FHIR DELETE is tried on a link record, then 403 and the link stays served', async () => {
    const issued = await issueShl(t);
    const res = await request(t.app).delete(`/fhir/${out(issued, 'linkRecord')}`);
    expect([res.status, res.body.issue[0].details.coding[0].code]).toEqual([403, 'SECURITY_RECORD_READ_ONLY']);
    expect((await verify(t, out(issued, 'shlink'))).valid).toBe(true);
  });

  test('when one link is revoked, then another link to the same Bundle is still served', async () => {
    const [a, b] = [await issueShl(t), await issueShl(t)];
    expect((await revokeLink(out(a, 'linkRecord'))).status).toBe(200);
    expect((await verify(t, out(b, 'shlink'))).valid).toBe(true);
  });
});

describe('Provenance and $credentials', () => {
  beforeAll(async () => {
    const patient = DOCUMENT_PATIENT();
    const res = await request(t.app)
      .put(`/fhir/Patient/${DOCUMENT_PATIENT_ID}`)
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(patient));
    expect(res.status).toBe(201);
  });

  type Part = {
    name: string;
    valueCode?: string;
    valueString?: string;
    valueInstant?: string;
    valueReference?: { reference: string };
  };

  test("when an SHL and a VHL are issued, then each leaves a Provenance (format shl / vhl) and the patient's $credentials lists both", async () => {
    const shl = await issueShl(t, [{ name: 'vhl', valueBoolean: false }]);
    const vhl = await issueShl(t);
    const recordIds = [out(shl, 'linkRecord'), out(vhl, 'linkRecord')].map((r) => r.slice('DocumentReference/'.length));

    const listed = await request(t.app).get(`/fhir/Patient/${DOCUMENT_PATIENT_ID}/$credentials`);
    expect(listed.status).toBe(200);
    const credentials = (listed.body.parameter as Array<{ part: Part[] }>).map((p) =>
      Object.fromEntries(
        p.part.map((x) => [x.name, x.valueCode ?? x.valueString ?? x.valueInstant ?? x.valueReference?.reference]),
      ),
    );
    const ours = recordIds.map((id) => credentials.find((c) => c.credentialId === id));
    expect(ours).toEqual([
      expect.objectContaining({
        format: 'shl',
        credentialId: recordIds[0],
        source: `Bundle/${DOCUMENT_ID}`,
        issuedAt: START.toISOString(),
      }),
      expect.objectContaining({
        format: 'vhl',
        credentialId: recordIds[1],
        source: `Bundle/${DOCUMENT_ID}`,
        kid: out(vhl, 'kid'),
        issuedAt: START.toISOString(),
      }),
    ]);
    expect(ours[0]).not.toHaveProperty('kid');

    for (const c of ours) {
      const prov = await request(t.app).get(`/fhir/${c!.provenance}`);
      expect(prov.status).toBe(200);
      expect(prov.body.resourceType).toBe('Provenance');
      expect(prov.body.activity.coding[0].code).toBe(c!.format);
      expect(prov.body.target).toEqual([
        { reference: `Patient/${DOCUMENT_PATIENT_ID}` },
        { reference: `Bundle/${DOCUMENT_ID}` },
      ]);
      expect(prov.body.recorded).toBe(START.toISOString());
    }
  });

  test('when a link is issued with an expiry, then its Provenance and $credentials entry carry that expiry', async () => {
    const exp = new Date(START.getTime() + 86_400_000).toISOString();
    const issued = await issueShl(t, [
      { name: 'vhl', valueBoolean: false },
      { name: 'exp', valueDateTime: exp },
    ]);
    expect(out(issued, 'expiresAt')).toBe(exp);
    const listed = await request(t.app).get(`/fhir/Patient/${DOCUMENT_PATIENT_ID}/$credentials`);
    const id = out(issued, 'linkRecord').slice('DocumentReference/'.length);
    const entry = (listed.body.parameter as Array<{ part: Part[] }>).find((p) =>
      p.part.some((x) => x.valueString === id),
    );
    expect(entry?.part.find((x) => x.name === 'expiresAt')).toEqual({ name: 'expiresAt', valueInstant: exp });
  });
});
