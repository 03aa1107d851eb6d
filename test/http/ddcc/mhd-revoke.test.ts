/**
 * The registry side of the DDCC transactions, over plain FHIR REST as MHD maps them: a generated document is found
 * by its DocumentReference (ITI-67), in the Folder of its paper certificate (ITI-66) and retrieved (ITI-68); a later
 * dose on the same HCID joins the Folder; `$revokeHealthCertificate` (parameters from the IG's OperationDefinition)
 * marks the DocumentReference entered-in-error, drops it from the Folder, deletes the document and revokes its HCERT.
 */
import type { Bundle, DocumentReference, List, Parameters, QuestionnaireResponse } from '@medplum/fhirtypes';
import type { TestApp } from '../../helpers/test-app.ts';
import { client, notPassing } from '../../e2e/credential-client.ts';
import { ddccServer, get, idsOf, igOperation, igResponses, parametersWith, post } from './ddcc-support.ts';

const MHD_LIST_TYPES = 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes';
let t: TestApp;
beforeAll(async () => {
  t = await ddccServer();
});
afterAll(async () => {
  await t.close();
});

/** The example response as a dose of a paper certificate of its own. */
function dose(hcid: string, n: number, date: string): QuestionnaireResponse {
  const qr = igResponses().find((r) => r.file.endsWith('Example.json'))!.resource;
  const set = (linkId: string, answer: Record<string, unknown>) => {
    qr.item!.find((i) => i.linkId === linkId)!.answer = [answer];
  };
  set('hcid', { valueString: hcid });
  set('dose', { valueInteger: n });
  set('date', { valueDate: date });
  return qr;
}

async function generate(qr: QuestionnaireResponse): Promise<Bundle & { id: string }> {
  const res = await post(t, 'QuestionnaireResponse/$generateHealthCertificate', parametersWith('response', qr));
  expect(res.status).toBe(201);
  return res.body;
}

const one = async <T>(path: string): Promise<T> => {
  const res = await get(t, path);
  expect(res.status).toBe(200);
  expect((res.body as Bundle).entry ?? []).toHaveLength(1);
  return (res.body as Bundle).entry![0]!.resource as T;
};
const folderOf = (hcid: string) =>
  one<List>(
    `List?code=${encodeURIComponent(`${MHD_LIST_TYPES}|folder`)}&identifier=${encodeURIComponent(`urn:ietf:rfc:3986|urn:HCID:${hcid}`)}`,
  );
const referenceOf = (ddccId: string) =>
  one<DocumentReference>(`DocumentReference?identifier=${encodeURIComponent(`urn:ietf:rfc:3986|urn:uuid:${ddccId}`)}`);
const hc1Of = (doc: Bundle): string => {
  const qr = doc.entry!.find((e) => e.resource?.resourceType === 'DocumentReference')!.resource as DocumentReference;
  const serialized = qr.content.find((c) => c.format?.code === 'serialized')!;
  return Buffer.from(serialized.attachment.data!, 'base64').toString('utf8');
};

describe('MHD retrieval of the documents this server makes', () => {
  it('when a document is generated, then ITI-67 finds its DocumentReference, ITI-66 its Folder, ITI-68 the document', async () => {
    const doc = await generate(dose('MHD-1', 1, '2021-04-05'));
    const ref = await referenceOf(doc.id);
    expect(ref.status).toBe('current');
    const byPatient = await one<DocumentReference>(
      `DocumentReference?patient=${ref.subject!.reference}&status=current`,
    );
    expect(byPatient.id).toBe(ref.id);
    const folder = await folderOf('MHD-1');
    expect(folder.subject).toEqual(ref.subject);
    expect(folder.entry!.map((e) => e.item.reference)).toEqual([`DocumentReference/${ref.id}`]);
    const retrieved = await get(t, ref.content[0]!.attachment.url!);
    expect(retrieved.status).toBe(200);
    expect(retrieved.body).toMatchObject({ id: doc.id, type: 'document', entry: doc.entry });
  });

  it('when a second dose on the same HCID is generated, then it joins the same Folder and Patient', async () => {
    const first = await generate(dose('MHD-2', 1, '2021-04-05'));
    const second = await generate(dose('MHD-2', 2, '2021-05-05'));
    const folder = await folderOf('MHD-2');
    const refs = await Promise.all([first, second].map((d) => referenceOf(d.id)));
    expect(folder.entry!.map((e) => e.item.reference)).toEqual(refs.map((r) => `DocumentReference/${r.id}`));
    expect(new Set(refs.map((r) => r.subject!.reference))).toEqual(new Set([folder.subject!.reference]));
  });
});

describe('$revokeHealthCertificate as the IG declares it', () => {
  const def = igOperation('revokeHealthCertificate');
  const input = def.parameter!.find((p) => p.use === 'in')!;
  const output = def.parameter!.find((p) => p.use === 'out')!;
  const revoke = (id: string, path = 'QuestionnaireResponse/$revokeHealthCertificate') =>
    post(t, path, { resourceType: 'Parameters', parameter: [{ name: input.name, valueId: id }] });

  it('when a document is revoked, then the answer is the declared boolean, the registry forgets it and $verify says revoked', async () => {
    const doc = await generate(dose('REV-1', 1, '2021-04-05'));
    const kept = await generate(dose('REV-1', 2, '2021-05-05'));
    const ref = await referenceOf(doc.id);
    const res = await revoke(doc.id);
    expect(res.status).toBe(200);
    const out = (res.body as Parameters).parameter!;
    expect(out.map((p) => p.name)).toEqual([output.name]);
    expect(output.type).toBe('boolean');
    expect(out[0]!.valueBoolean).toBe(true);
    expect((await get(t, `DocumentReference/${ref.id}`)).body.status).toBe('entered-in-error');
    const folder = await folderOf('REV-1');
    const keptRef = await referenceOf(kept.id);
    expect(folder.entry!.map((e) => e.item.reference)).toEqual([`DocumentReference/${keptRef.id}`]);
    expect((await get(t, `Bundle/${doc.id}`)).status).toBe(410);
    const c = client(t);
    expect(notPassing(await c.verify(hc1Of(doc)))).toEqual([['revocation', 'fail', 'revoked']]);
    expect(notPassing(await c.verify(hc1Of(kept)))).toEqual([]);
  });

  it('when the same document is revoked twice, then the second answer is true too and nothing changes', async () => {
    const doc = await generate(dose('REV-2', 1, '2021-04-05'));
    expect((await revoke(doc.id)).body.parameter[0].valueBoolean).toBe(true);
    const ref = await referenceOf(doc.id);
    const again = await revoke(doc.id);
    expect(again.status).toBe(200);
    expect(again.body.parameter[0].valueBoolean).toBe(true);
    expect((await get(t, `DocumentReference/${ref.id}`)).body.meta.versionId).toBe(ref.meta!.versionId);
  });

  it.each(['Bundle', 'DocumentReference'])(
    'when called on the instance %s/{id} without a body, then the document it names is revoked',
    async (type) => {
      expect(def.instance).toBe(true);
      const doc = await generate(dose(`REV-${type}`, 1, '2021-04-05'));
      const ref = await referenceOf(doc.id);
      const id = type === 'Bundle' ? doc.id : ref.id;
      const res = await post(t, `${type}/${id}/$revokeHealthCertificate`, {
        resourceType: 'Parameters',
        parameter: [],
      });
      expect(res.status).toBe(200);
      expect(res.body.parameter[0].valueBoolean).toBe(true);
      expect((await get(t, `DocumentReference/${ref.id}`)).body.status).toBe('entered-in-error');
    },
  );

  it('when the id names no document of this server, then 404 DDCC_DOCUMENT_NOT_FOUND', async () => {
    const res = await revoke('no-such-document');
    expect(res.status).toBe(404);
    expect(idsOf(res.body)).toEqual(['DDCC_DOCUMENT_NOT_FOUND']);
  });

  it(`when the required "${input.name}" (min ${input.min}) is left out at type level, then 400 OPERATION_PARAM_MISSING`, async () => {
    const res = await post(t, 'QuestionnaireResponse/$revokeHealthCertificate', {
      resourceType: 'Parameters',
      parameter: [],
    });
    expect(res.status).toBe(400);
    expect(idsOf(res.body)).toEqual(['OPERATION_PARAM_MISSING']);
  });

  it('when the body names another document than the path, then 400 DDCC_REVOKE_TARGET', async () => {
    const res = await post(t, 'Bundle/a/$revokeHealthCertificate', {
      resourceType: 'Parameters',
      parameter: [{ name: input.name, valueId: 'b' }],
    });
    expect(res.status).toBe(400);
    expect(idsOf(res.body)).toEqual(['DDCC_REVOKE_TARGET']);
  });
});
