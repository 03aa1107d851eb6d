/**
 * ITI-YY5 Retrieve Manifest, the VHL Sharer's error behaviour and hostile input: passcodes (422, attempts, lockout
 * as 403), expiry (403), revocation through `$revoke-credential` (403, List retired, `$verify` says revoked),
 * unknown or guessed folders and a mismatched patient identifier (one 404, the same text), malformed requests (400);
 * then, with access control and audit on: the scopes each step needs and the AuditEvent of every manifest request.
 * The scenario each test covers is listed in docs/vhl-conformance.md.
 */
import request from 'supertest';
import { decodeVhlink, parseVhlManifestUrl, type VhlinkPayload } from '../../src/formats/shl/vhlink.ts';
import { createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import {
  messageId,
  messageText,
  mutableClock,
  parameters,
  postFhir,
  pushDocument,
  SHL_BASE,
  stillServing,
  verify,
  type ShlApp,
} from './shl-support.ts';
import {
  carriedLink,
  createVhlApp,
  FHIR_BASE,
  generate,
  manifestSearch,
  outputs,
  patientToken,
} from './vhl-support.ts';

const RECIPIENT = { recipient: 'Clinic of another country' };

let t: ShlApp;
beforeAll(async () => {
  t = await createVhlApp();
  await pushDocument(t);
});
afterAll(() => t.close());

async function newVhl(
  params: Record<string, string> = {},
): Promise<{ hc1: string; payload: VhlinkPayload; record: string }> {
  const res = await generate(t, { sourceIdentifier: patientToken(), ...params });
  expect(res.status).toBe(200);
  const o = outputs(res);
  const hc1 = o.hcert!.valueString as string;
  const record = (o.folderRecord!.valueReference as { reference: string }).reference.split('/')[1]!;
  return { hc1, payload: decodeVhlink(carriedLink(hc1)), record };
}

/** The manifest URL's parameters with some replaced. */
function withParams(payload: VhlinkPayload, replace: Record<string, string>): VhlinkPayload {
  const url = new URL(payload.url);
  for (const [k, v] of Object.entries(replace)) url.searchParams.set(k, v);
  return { ...payload, url: url.href };
}

describe('passcode', () => {
  test('when a passcode-protected VHL is searched without passcode, then 422 VHL_PASSCODE_MISSING; with a wrong one 422 VHL_PASSCODE_INVALID naming the attempts left; with the right one 200', async () => {
    const { payload } = await newVhl({ passcode: 'right-one', maxAttempts: '5' });
    const missing = await manifestSearch(t, payload, RECIPIENT);
    expect(missing.status).toBe(422);
    expect(messageId(missing)).toBe('VHL_PASSCODE_MISSING');
    const wrong = await manifestSearch(t, payload, { ...RECIPIENT, passcode: 'wrong' });
    expect(wrong.status).toBe(422);
    expect(messageId(wrong)).toBe('VHL_PASSCODE_INVALID');
    expect(messageText(wrong)).toBe('The passcode is wrong; 3 attempt(s) left');
    const right = await manifestSearch(t, payload, { ...RECIPIENT, passcode: 'right-one' });
    expect(right.status).toBe(200);
  });

  test('when the wrong passcode is sent as often as allowed, then the folder is disabled: 403 VHL_DISABLED, even with the right passcode', async () => {
    const { payload } = await newVhl({ passcode: 'right-two', maxAttempts: '2' });
    for (const left of [1, 0]) {
      const res = await manifestSearch(t, payload, { ...RECIPIENT, passcode: 'nope' });
      expect(res.status).toBe(422);
      expect(messageText(res)).toBe(`The passcode is wrong; ${left} attempt(s) left`);
    }
    const after = await manifestSearch(t, payload, { ...RECIPIENT, passcode: 'right-two' });
    expect(after.status).toBe(403);
    expect(messageId(after)).toBe('VHL_DISABLED');
  });

  test('when $verify is given the right passcode for a protected VHL, then it passes; without one, the decompress check fails with detail PASSCODE', async () => {
    const { hc1 } = await newVhl({ passcode: 'verify-pass' });
    const ok = await verify(t, hc1, [{ name: 'passcode', valueString: 'verify-pass' }]);
    expect(ok.valid).toBe(true);
    const without = await verify(t, hc1);
    expect(without.valid).toBe(false);
    // The envelope's decompress passed; the carried link's (the second one) is the one that failed.
    const linkDecompress = without.checks.filter((c) => c.name === 'decompress').at(-1);
    expect(linkDecompress?.status).toBe('fail');
    expect(linkDecompress?.message).toMatch(/^Carried vhlink:\/: The manifest needs a passcode/);
  });
});

describe('expiry and revocation', () => {
  test('when the VHL has expired, then the manifest answers 403 VHL_EXPIRED and $verify fails not-expired', async () => {
    const exp = Math.floor(t.clock.now().getTime() / 1000) + 60;
    const { hc1, payload } = await newVhl({ exp: String(exp) });
    expect((await manifestSearch(t, payload, RECIPIENT)).status).toBe(200);
    t.clock.advance(120_000);
    const res = await manifestSearch(t, payload, RECIPIENT);
    expect(res.status).toBe(403);
    expect(messageId(res)).toBe('VHL_EXPIRED');
    const v = await verify(t, hc1);
    expect(v.valid).toBe(false);
    expect(v.failures).toContain('expired');
  });

  test('when the VHL is revoked with $revoke-credential, then the folder List is retired, the manifest answers 403 VHL_REVOKED and $verify says revoked', async () => {
    const { hc1, payload, record } = await newVhl();
    const revoked = await postFhir(
      t,
      '$revoke-credential',
      parameters([{ name: 'credentialId', valueString: record }]),
    );
    expect(revoked.status).toBe(200);
    const list = await request(t.app).get(`/fhir/List/${record}`);
    expect(list.body.status).toBe('retired');
    const res = await manifestSearch(t, payload, RECIPIENT);
    expect(res.status).toBe(403);
    expect(messageId(res)).toBe('VHL_REVOKED');
    const v = await verify(t, hc1);
    expect(v.valid).toBe(false);
    expect(v.failures).toEqual(['revoked']);
  });
});

describe('hostile and malformed manifest requests', () => {
  let payload: VhlinkPayload;
  let notFoundText: string | undefined;
  beforeAll(async () => {
    payload = (await newVhl()).payload;
    const guessed = withParams(payload, { _id: '0'.repeat(64) });
    notFoundText = messageText(await manifestSearch(t, guessed, RECIPIENT));
  });

  test.each([
    ['a guessed folder id', { _id: 'f'.repeat(64) }],
    ['another patient identifier', { 'patient.identifier': 'urn:oid:2.16.840.1.113883.2.4.6.3|someone-else' }],
    ['a SQL-looking folder id', { _id: "1' OR '1'='1" }],
    ['a NoSQL-looking folder id', { _id: '{"$gt":""}' }],
    ['code other than folder', { code: 'submissionset' }],
    ['status other than current', { status: 'retired' }],
  ])(
    'when the manifest search names %s, then 404 VHL_FOLDER_NOT_FOUND with the one same text, and nothing of the folder is returned',
    async (_what, replace) => {
      const res = await manifestSearch(t, withParams(payload, replace), RECIPIENT);
      expect(res.status).toBe(404);
      expect(messageId(res)).toBe('VHL_FOLDER_NOT_FOUND');
      expect(messageText(res)).toBe(notFoundText);
      expect(JSON.stringify(res.body)).not.toContain(parseVhlManifestUrl(payload.url).folderId);
      expect(await stillServing(t)).toBe(200);
    },
  );

  test.each([
    ['no recipient', {}, 'recipient'],
    ['an unknown parameter', { ...RECIPIENT, _sort: 'date' }, '_sort'],
    ['a bad embeddedLengthMax', { ...RECIPIENT, embeddedLengthMax: '-1' }, 'embeddedLengthMax'],
    ['_include other than List:item', { ...RECIPIENT, _include: 'List:subject' }, '_include'],
  ] as Array<[string, Record<string, string>, string]>)(
    'when the manifest request has %s, then 400 VHL_MANIFEST_PARAM_INVALID naming it',
    async (_what, extra, expression) => {
      const url = new URL(payload.url);
      if (expression === '_include') url.searchParams.delete('_include');
      const res = await manifestSearch(t, { ...payload, url: url.href }, extra);
      expect(res.status).toBe(400);
      expect(messageId(res)).toBe('VHL_MANIFEST_PARAM_INVALID');
      expect(res.body.issue[0].expression).toEqual([expression]);
    },
  );

  test('when _id is given twice, then 400: one folder per request', async () => {
    const url = new URL(payload.url);
    const body = new URLSearchParams(url.searchParams);
    body.append('_id', 'a'.repeat(64));
    body.append('recipient', 'x');
    const res = await request(t.app)
      .post('/fhir/List/_search')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(body.toString());
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['_id']);
  });

  test('when the folder List is read or searched through the plain REST API, then its id is a hash, never the folder id, and a plain PUT on it is refused', async () => {
    const folderId = parseVhlManifestUrl(payload.url).folderId;
    const search = await request(t.app).get('/fhir/List?code=folder&_count=1000');
    expect(search.status).toBe(200);
    expect(JSON.stringify(search.body)).not.toContain(folderId);
    const byId = await request(t.app).get(`/fhir/List/${folderId}`);
    expect(byId.status).toBe(404);
    const list = (search.body.entry as Array<{ resource: { id: string } }>)[0]!.resource;
    const put = await request(t.app)
      .put(`/fhir/List/${list.id}`)
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify({ ...list, status: 'current' }));
    expect(put.status).toBe(403);
    expect(messageId(put)).toBe('SECURITY_RECORD_READ_ONLY');
  });

  test('when the file location of a document is reused after its ticket expired, then 404', async () => {
    const { payload: p } = await newVhl();
    const manifest = await manifestSearch(t, p, RECIPIENT);
    const url = manifest.body.entry[1].resource.content[0].attachment.url as string;
    t.clock.advance(301_000);
    const res = await request(t.app).get(new URL(url).pathname);
    expect(res.status).toBe(404);
  });
});

describe('with access control and audit on', () => {
  let a: AuthTestApp;
  let sharerToken: string;
  let receiverToken: string;
  let auditorToken: string;
  beforeAll(async () => {
    const clock = mutableClock();
    a = await createAuthTestApp(
      { fhirPackages: SHARED_PACKAGE_FILES, validationMode: 'strict', shlBaseUrl: SHL_BASE, fhirBaseUrl: FHIR_BASE },
      { now: clock.now },
    );
    const scopes = ['system/Patient.$generate-vhl', 'system/Patient.cu'];
    sharerToken = await (await a.registerClient('portal', scopes)).token(scopes.join(' '));
    receiverToken = await (await a.registerClient('receiver-xy', ['system/List.s'])).token('system/List.s');
    auditorToken = await (await a.registerClient('auditor', ['system/AuditEvent.rs'])).token('system/AuditEvent.rs');
    const put = await request(a.app)
      .put('/fhir/Patient/vhl-auth')
      .set({ Authorization: `Bearer ${sharerToken}`, 'Content-Type': FHIR_JSON })
      .send(
        JSON.stringify({
          resourceType: 'Patient',
          id: 'vhl-auth',
          identifier: [{ system: 'urn:oid:1.2.3.4.5', value: 'AUTH-1' }],
          name: [{ family: 'Auth', given: ['Vhl'] }],
          gender: 'male',
          birthDate: '1970-01-01',
        }),
      );
    expect([200, 201]).toContain(put.status);
  });
  afterAll(() => a.close());

  const generateAs = (token?: string) => {
    const r = request(a.app).get(
      '/fhir/Patient/$generate-vhl?sourceIdentifier=urn:oid:1.2.3.4.5%7CAUTH-1&passcode=s3cret-pass',
    );
    return token ? r.set('Authorization', `Bearer ${token}`) : r;
  };

  test('when $generate-vhl is called without a token or with a token lacking system/Patient.$generate-vhl, then 401 / 403', async () => {
    expect((await generateAs()).status).toBe(401);
    expect((await generateAs(receiverToken)).status).toBe(403);
  });

  test('when the receiver searches the manifest, then it needs system/List.s; the request and its refusals leave ITI-YY5 AuditEvents naming the folder record and the recipient, never the passcode', async () => {
    const res = await generateAs(sharerToken);
    expect(res.status).toBe(200);
    const o = outputs(res);
    const record = (o.folderRecord!.valueReference as { reference: string }).reference.split('/')[1]!;
    const hc1 = o.hcert!.valueString as string;
    const payload = decodeVhlink(carriedLink(hc1));
    expect((await manifestSearch(a, payload, RECIPIENT)).status).toBe(401);
    const wrong = await manifestSearch(a, payload, { ...RECIPIENT, passcode: 'guess-1' }).set(
      'Authorization',
      `Bearer ${receiverToken}`,
    );
    expect(wrong.status).toBe(422);
    const granted = await manifestSearch(a, payload, { ...RECIPIENT, passcode: 's3cret-pass' }).set(
      'Authorization',
      `Bearer ${receiverToken}`,
    );
    expect(granted.status).toBe(200);
    await a.services.audit.flush();
    const events = await request(a.app)
      .get(`/fhir/AuditEvent?entity=List/${record}&_count=100`)
      .set('Authorization', `Bearer ${auditorToken}`);
    expect(events.status).toBe(200);
    const found = (events.body.entry ?? []).map(
      (e: {
        resource: {
          subtype: Array<{ code: string }>;
          outcome: string;
          entity: Array<{ name?: string; description?: string }>;
        };
      }) => e.resource,
    );
    const yy5 = found.filter((e: { subtype: Array<{ code: string }> }) => e.subtype[0]!.code === 'ITI-YY5');
    expect(yy5.map((e: { outcome: string }) => e.outcome).sort()).toEqual(['0', '4', '4']);
    for (const e of yy5)
      expect(e.entity.find((x: { name?: string }) => x.name === 'recipient')?.description).toBe(RECIPIENT.recipient);
    expect(JSON.stringify(events.body)).not.toContain('s3cret-pass');
    expect(JSON.stringify(events.body)).not.toContain('guess-1');
  });
  test('when $verify (public) gets the HC1 without a token, then the signature passes but the folder is not read; with a system/List.s token it is', async () => {
    const res = await generateAs(sharerToken);
    const hc1 = outputs(res).hcert!.valueString as string;
    const body = JSON.stringify(
      parameters([
        { name: 'credential', valueString: hc1 },
        { name: 'passcode', valueString: 's3cret-pass' },
      ]),
    );
    const anonymous = await request(a.app).post('/fhir/$verify').set('Content-Type', FHIR_JSON).send(body);
    expect(anonymous.status).toBe(200);
    const text = JSON.stringify(anonymous.body);
    expect(text).toContain('needs a token with system/List.s');
    expect(anonymous.body.parameter.find((p: { name: string }) => p.name === 'content')).toBeUndefined();
    const receiver = await request(a.app)
      .post('/fhir/$verify')
      .set({ 'Content-Type': FHIR_JSON, Authorization: `Bearer ${receiverToken}` })
      .send(body);
    expect(receiver.body.parameter.find((p: { name: string }) => p.name === 'valid').valueBoolean).toBe(true);
    expect(receiver.body.parameter.find((p: { name: string }) => p.name === 'content')).toBeDefined();
  });
});
