/**
 * IHE ITI.VHL end to end over HTTP, the server as VHL Sharer and the test as a receiver in another country:
 * push an IPS document (strict validation) → ITI-YY3 `Patient/$generate-vhl` → ITI-YY4 decode the HC1 and take the
 * `vhlink:/` from claim -260 key 5 → ITI-YY5 manifest search → fetch and decrypt the document → validate it → the
 * same Bundle that was pushed; `$verify` on the HC1 passes every check and says it saw a `vhlink`.
 * The scenario each test covers is listed in docs/vhl-conformance.md.
 */
import { verifyDocumentSignature } from '../../src/formats/fhir-signature.ts';
import request from 'supertest';
import { decodeHc1 } from '../../src/formats/hcert/verify.ts';
import { decodeVhlink, parseVhlManifestUrl } from '../../src/formats/shl/vhlink.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { check, failed, IPS_PROFILE, parameters, postFhir, pushDocument, verify, type ShlApp } from './shl-support.ts';
import { carriedLink, createVhlApp, FHIR_BASE, generate, outputs, patientToken, receive } from './vhl-support.ts';

let t: ShlApp;
let pushed: Record<string, unknown>;
beforeAll(async () => {
  t = await createVhlApp();
  pushed = await pushDocument(t);
});
afterAll(() => t.close());

/** The server's own additions to a stored Bundle (meta.versionId / lastUpdated) are not part of what was pushed. */
function withoutServerMeta(resource: Record<string, unknown>): Record<string, unknown> {
  const { versionId: _v, lastUpdated: _l, ...meta } = (resource.meta ?? {}) as Record<string, unknown>;
  return { ...resource, meta };
}

describe('ITI-YY3 Generate VHL', () => {
  test('when $generate-vhl is called with GET and only sourceIdentifier, then 200 with a PNG qrcode Binary, an HC1 carrying a vhlink at claim -260 key 5, and the folder records', async () => {
    const res = await generate(t, { sourceIdentifier: patientToken() });
    expect(res.status).toBe(200);
    const o = outputs(res);
    const binary = o.qrcode!.resource as { resourceType: string; contentType: string; data: string };
    expect(binary.resourceType).toBe('Binary');
    expect(binary.contentType).toBe('image/png');
    expect(Buffer.from(binary.data, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const hc1 = o.hcert!.valueString as string;
    expect(hc1.startsWith('HC1:')).toBe(true);
    const decoded = decodeHc1(hc1);
    expect(decoded.claims.hcert.get(5)).toEqual([o.vhlink!.valueString]);
    expect(carriedLink(hc1)).toMatch(/^vhlink:\/[A-Za-z0-9_-]+$/);
    expect((o.folder!.valueReference as { reference: string }).reference).toMatch(/^List\/[0-9a-f]{64}$/);
  });

  test('when a VHL is generated, then /metrics counts one more credential issued with format vhl', async () => {
    const count = async () => {
      const text = (await request(t.app).get('/metrics')).text;
      return Number(/gdhcn_credentials_issued_total\{format="vhl"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await count();
    expect((await generate(t, { sourceIdentifier: patientToken(), qrFormat: 'svg' })).status).toBe(200);
    expect(await count()).toBe(before + 1);
  });

  test('when the vhlink payload is read, then it is minified base64url JSON with an https List-search url naming _id (256 bits), code, status, patient.identifier and _include, a 43-character key and v 1', async () => {
    const o = outputs(await generate(t, { sourceIdentifier: patientToken() }));
    const link = o.vhlink!.valueString as string;
    const json = Buffer.from(link.slice('vhlink:/'.length), 'base64url').toString('utf8');
    expect(JSON.stringify(JSON.parse(json))).toBe(json);
    const payload = decodeVhlink(link);
    expect(payload.v).toBe(1);
    expect(payload.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(payload.flag).toBeUndefined();
    expect(payload.extension).toBeUndefined();
    const q = parseVhlManifestUrl(payload.url);
    expect(q).toEqual({
      base: FHIR_BASE,
      folderId: expect.stringMatching(/^[0-9a-f]{64}$/),
      code: 'folder',
      status: 'current',
      patientIdentifier: patientToken(),
      include: true,
    });
    expect(o.manifestUrl!.valueString).toBe(payload.url);
  });

  test('when two VHLs are generated, then their folder ids and keys differ', async () => {
    const a = decodeVhlink(
      outputs(await generate(t, { sourceIdentifier: patientToken() })).vhlink!.valueString as string,
    );
    const b = decodeVhlink(
      outputs(await generate(t, { sourceIdentifier: patientToken() })).vhlink!.valueString as string,
    );
    expect(parseVhlManifestUrl(a.url).folderId).not.toBe(parseVhlManifestUrl(b.url).folderId);
    expect(a.key).not.toBe(b.key);
  });

  test('when a passcode is given, then the payload has flag P, and the passcode is in neither the HC1, the vhlink, the QR Binary nor any stored record', async () => {
    const passcode = 'pass-7Q2M-unique';
    const res = await generate(t, { sourceIdentifier: patientToken(), passcode, flag: 'L' });
    expect(res.status).toBe(200);
    const o = outputs(res);
    expect(decodeVhlink(o.vhlink!.valueString as string).flag).toBe('LP');
    expect(JSON.stringify(res.body)).not.toContain(passcode);
    const record = (o.folderRecord!.valueReference as { reference: string }).reference;
    const stored = await t.services.store.read('DocumentReference', record.split('/')[1]!);
    expect(stored.status).toBe('found');
    expect(JSON.stringify(stored)).not.toContain(passcode);
  });

  test('when exp and label are given, then both the payload and the CWT carry exp, and the label is in the payload', async () => {
    const exp = Math.floor(t.clock.now().getTime() / 1000) + 3600;
    const o = outputs(
      await generate(t, { sourceIdentifier: patientToken(), exp: String(exp), label: 'Travel summary' }),
    );
    const payload = decodeVhlink(o.vhlink!.valueString as string);
    expect(payload.exp).toBe(exp);
    expect(payload.label).toBe('Travel summary');
    expect(decodeHc1(o.hcert!.valueString as string).claims.exp).toBe(exp);
  });

  test.each([
    [{}, 400, 'OPERATION_PARAM_MISSING'],
    [{ sourceIdentifier: 'no-bar-here' }, 400, 'VHL_SOURCE_IDENTIFIER_INVALID'],
    [{ sourceIdentifier: 'urn:oid:1.2.3|nobody-has-this' }, 404, 'VHL_PATIENT_NOT_FOUND'],
    [{ format: 'vc' }, 400, 'VHL_FORMAT_UNSUPPORTED'],
    [{ flag: 'U' }, 400, 'VHL_FLAG_INVALID'],
    [{ flag: 'PL' }, 400, 'VHL_FLAG_INVALID'],
    [{ flag: 'P' }, 400, 'VHL_FLAG_INVALID'],
    [{ label: 'x'.repeat(81) }, 400, 'VHL_LABEL_TOO_LONG'],
    [{ exp: '1000' }, 400, 'VHL_EXP_PAST'],
    [{ exp: 'soon' }, 400, 'OPERATION_PARAM_RANGE'],
    [{ purposeOfUse: 'TREAT' }, 400, 'VHL_PURPOSE_INVALID'],
  ] as Array<[Record<string, string>, number, string]>)(
    'when $generate-vhl gets %j, then %i OperationOutcome %s and no folder is stored',
    async (params, status, id) => {
      const before = await t.services.store.search(folderCount());
      const withId =
        'sourceIdentifier' in params || Object.keys(params).length === 0
          ? params
          : { sourceIdentifier: patientToken(), ...params };
      const res = await generate(t, withId);
      expect(res.status).toBe(status);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].details.coding[0].code).toBe(id);
      const after = await t.services.store.search(folderCount());
      expect(after.total).toBe(before.total);
    },
  );

  test('when purposeOfUse is given, then it is kept on the folder and not put in the link', async () => {
    const purpose = 'http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT';
    const o = outputs(await generate(t, { sourceIdentifier: patientToken(), purposeOfUse: purpose }));
    expect(Buffer.from((o.vhlink!.valueString as string).slice(8), 'base64url').toString()).not.toContain('TREAT');
    const id = (o.folderRecord!.valueReference as { reference: string }).reference.split('/')[1]!;
    const stored = await t.services.store.read('DocumentReference', id);
    expect(JSON.stringify(stored)).toContain('"code":"TREAT"');
  });
});

/** How many Lists are stored (a refused request must store no folder). */
function folderCount() {
  return {
    resourceType: 'List',
    filters: [],
    sort: [],
    count: 1000,
    offset: 0,
    total: 'accurate' as const,
    summaryCount: true,
    include: [],
    revinclude: [],
  };
}

describe('ITI-YY4 / ITI-YY5 as the receiver sees them', () => {
  test('when the receiver decodes the HC1, searches the manifest and decrypts the document, then it gets the pushed IPS back, valid against the IPS Bundle profile', async () => {
    const hc1 = outputs(await generate(t, { sourceIdentifier: patientToken() })).hcert!.valueString as string;
    const { manifest, documents } = await receive(t, hc1);
    expect(manifest.status).toBe(200);
    expect(manifest.body.type).toBe('searchset');
    const modes = (manifest.body.entry as Array<{ search: { mode: string }; resource: { resourceType: string } }>).map(
      (e) => [e.resource.resourceType, e.search.mode],
    );
    expect(modes).toEqual([
      ['List', 'match'],
      ['DocumentReference', 'include'],
    ]);
    expect(documents).toHaveLength(1);
    expect(withoutServerMeta(documents[0] as Record<string, unknown>)).toEqual(withoutServerMeta(pushed));
    const validated = await postFhir(
      t,
      `Bundle/$validate?profile=${encodeURIComponent(IPS_PROFILE)}`,
      parameters([{ name: 'resource', resource: documents[0] }]),
    );
    expect(validated.status).toBe(200);
    const errors = (validated.body.issue as Array<{ severity: string }>).filter(
      (i) => i.severity === 'error' || i.severity === 'fatal',
    );
    expect(errors).toEqual([]);
  });

  test('when the manifest answers, then the List is a current folder for the identifier, its entries name the included DocumentReferences, and the Bundle has a self link', async () => {
    const hc1 = outputs(await generate(t, { sourceIdentifier: patientToken() })).hcert!.valueString as string;
    const { payload, manifest } = await receive(t, hc1);
    const [listEntry, docEntry] = manifest.body.entry as Array<{ fullUrl: string; resource: Record<string, never> }>;
    const list = listEntry!.resource as unknown as {
      id: string;
      status: string;
      code: { coding: Array<{ code: string }> };
      subject: { identifier: { system: string; value: string } };
      entry: Array<{ item: { reference: string } }>;
    };
    expect(list.id).toBe(parseVhlManifestUrl(payload.url).folderId);
    expect(list.status).toBe('current');
    expect(list.code.coding[0]!.code).toBe('folder');
    expect(`${list.subject.identifier.system}|${list.subject.identifier.value}`).toBe(patientToken());
    expect(list.entry.map((e) => e.item.reference)).toEqual([
      `DocumentReference/${(docEntry!.resource as unknown as { id: string }).id}`,
    ]);
    const doc = docEntry!.resource as unknown as { content: Array<{ attachment: { contentType: string } }> };
    expect(doc.content[0]!.attachment.contentType).toBe('application/fhir+json');
    expect(manifest.body.link[0].relation).toBe('self');
    expect(manifest.body.link[0].url).toBe(payload.url);
  });

  test('when $verify gets the HC1, then valid, format vhl, linkForm vhlink, every check passes and the content is the pushed Bundle', async () => {
    const hc1 = outputs(await generate(t, { sourceIdentifier: patientToken() })).hcert!.valueString as string;
    const res = await postFhir(t, '$verify', parameters([{ name: 'credential', valueString: hc1 }]));
    const linkForm = (res.body.parameter as Array<{ name: string; valueCode?: string }>).find(
      (p) => p.name === 'linkForm',
    );
    expect(linkForm?.valueCode).toBe('vhlink');
    const v = await verify(t, hc1);
    expect(v.valid).toBe(true);
    expect(v.format).toBe('vhl');
    expect(failed(v)).toEqual([]);
    expect(v.checks.filter((c) => c.status === 'skipped')).toEqual([]);
    expect(check(v, 'signature')?.status).toBe('pass');
    expect(check(v, 'trust-chain')?.status).toBe('pass');
    expect(withoutServerMeta(v.content!)).toEqual(withoutServerMeta(pushed));
  });

  test('when $verify gets the bare vhlink, then it is followed but signature and trust-chain are skipped because a bare vhlink is unsigned', async () => {
    const link = outputs(await generate(t, { sourceIdentifier: patientToken() })).vhlink!.valueString as string;
    const v = await verify(t, link);
    expect(v.valid).toBe(true);
    expect(v.format).toBe('vhl');
    expect(check(v, 'signature')?.status).toBe('skipped');
    expect(check(v, 'signature')?.message).toMatch(/not signed/);
    expect(check(v, 'decompress')?.status).toBe('pass');
    expect(withoutServerMeta(v.content!)).toEqual(withoutServerMeta(pushed));
  });

  test('when one character of the signed HCERT is changed, then $verify fails and the link is not followed', async () => {
    const hc1 = outputs(await generate(t, { sourceIdentifier: patientToken() })).hcert!.valueString as string;
    const at = hc1.length - 10;
    const tampered = hc1.slice(0, at) + (hc1[at] === 'A' ? 'B' : 'A') + hc1.slice(at + 1);
    const v = await verify(t, tampered);
    expect(v.valid).toBe(false);
    expect(v.content).toBeUndefined();
    expect(check(v, 'revocation')?.status).toBe('skipped');
  });

  test('when the patient is stored but has no stored document, then the folder holds the patient $summary, a valid IPS', async () => {
    const patient = {
      resourceType: 'Patient',
      id: 'vhl-summary-only',
      identifier: [{ system: 'urn:oid:1.2.3.4.5', value: 'SUMMARY-ONLY-1' }],
      name: [{ family: 'Summary', given: ['Only'] }],
      gender: 'female',
      birthDate: '1980-02-03',
    };
    const put = await request(t.app)
      .put('/fhir/Patient/vhl-summary-only')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(patient));
    expect([200, 201]).toContain(put.status);
    const res = await generate(t, { sourceIdentifier: 'urn:oid:1.2.3.4.5|SUMMARY-ONLY-1' });
    expect(res.status).toBe(200);
    const { documents } = await receive(t, outputs(res).hcert!.valueString as string);
    const doc = documents[0] as { type: string; entry: Array<{ resource: { resourceType: string; id?: string } }> };
    expect(doc.type).toBe('document');
    expect(doc.entry.some((e) => e.resource.resourceType === 'Patient' && e.resource.id === 'vhl-summary-only')).toBe(
      true,
    );
    // The receiver gets the summary as its author signed it: the signature survives encryption and the folder.
    expect(verifyDocumentSignature(doc).valid).toBe(true);
  });
});
