/**
 * Hostile input to the DDCC operations (issue 15): unknown linkIds, answers of the wrong type, 10,000 repeated items,
 * groups 1,000 deep, a Submit Health Event batch of 10,000 entries. Each gets a clear answer, nothing is stored
 * half-way, and the server keeps answering.
 */
import type { Bundle, QuestionnaireResponse, QuestionnaireResponseItem } from '@medplum/fhirtypes';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../../helpers/shared-packages.ts';
import { ISSUER_URL, makeKeys, NOW } from '../../unit/credentials/harness.ts';
import { get, idsOf, igQuestionnaire, igResponses, parametersWith, post } from './ddcc-support.ts';
import { DDCC_VS_QUESTIONNAIRE } from '../../../src/credentials/mapping/ddcc-questionnaire.ts';

let t: TestApp;
beforeAll(async () => {
  // A batch of 10,000 responses is larger than the default 10 MiB body limit.
  t = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL, maxBodyBytes: 64 * 1024 * 1024 },
    { now: () => NOW, issuerKeys: await makeKeys() },
  );
});
afterAll(async () => {
  await t.close();
});

const GENERATE = 'QuestionnaireResponse/$generateHealthCertificate';
/** The IG's example response without its narrative (33 kB of XHTML; 10,000 of them would be 330 MB). */
const example = (): QuestionnaireResponse => {
  const { text: _text, ...qr } = igResponses().find((r) => r.file.endsWith('Example.json'))!.resource;
  return qr;
};
const generate = (qr: unknown) => post(t, GENERATE, parametersWith('response', qr));
const stillUp = async () => expect((await get(t, 'metadata')).status).toBe(200);
const storedDocuments = async () => (await get(t, 'Bundle?_summary=count')).body.total as number;

describe('hostile QuestionnaireResponses', () => {
  it('when every answer is of the wrong type, then 422 lists one QR_ANSWER_TYPE per question answered', async () => {
    const qr = example();
    for (const item of qr.item!) item.answer = [{ valueBoolean: true }];
    const res = await generate(qr);
    expect(res.status).toBe(422);
    const ids = idsOf(res.body);
    expect(ids[0]).toBe('DDCC_RESPONSE_INVALID');
    expect(ids.filter((id) => id === 'QR_ANSWER_TYPE')).toHaveLength(qr.item!.length);
    await stillUp();
  });

  it('when every linkId is unknown, then 422 lists each and the required questions as missing', async () => {
    const qr = example();
    for (const item of qr.item!) item.linkId = `x-${item.linkId}`;
    const res = await generate(qr);
    expect(res.status).toBe(422);
    const ids = idsOf(res.body);
    const required = igQuestionnaire(DDCC_VS_QUESTIONNAIRE).item.filter((i) => i.required).length;
    expect(ids.filter((id) => id === 'QR_LINKID_UNKNOWN')).toHaveLength(qr.item!.length);
    expect(ids.filter((id) => id === 'QR_REQUIRED_MISSING')).toHaveLength(required);
  });

  it('when a response holds 10,000 repeated items, then 422 DDCC_RESPONSE_TOO_LARGE before any check', async () => {
    const qr = example();
    qr.item!.push(...Array.from({ length: 10_000 }, (_, i) => ({ linkId: 'lot', answer: [{ valueString: `L${i}` }] })));
    const res = await generate(qr);
    expect(res.status).toBe(422);
    expect(idsOf(res.body)).toEqual(['DDCC_RESPONSE_TOO_LARGE']);
    await stillUp();
  });

  it('when a response has 300 unknown items (under the size cap), then the answer lists the first 100 errors and says how many', async () => {
    const qr = example();
    qr.item!.push(
      ...Array.from({ length: 300 }, (_, i) => ({ linkId: `colour_${i}`, answer: [{ valueString: 'x' }] })),
    );
    const res = await generate(qr);
    expect(res.status).toBe(422);
    expect(res.body.issue).toHaveLength(101);
    expect(res.body.issue[0].details.text).toContain('(300 error(s), the first 100 listed)');
  });

  it('when groups nest 1,000 deep, then 400 JSON_TOO_DEEP before the body is parsed', async () => {
    const qr = example();
    let group: QuestionnaireResponseItem = { linkId: 'g0' };
    const top = group;
    for (let i = 1; i < 1000; i++) {
      const inner: QuestionnaireResponseItem = { linkId: `g${i}` };
      group.item = [inner];
      group = inner;
    }
    qr.item!.push(top);
    const res = await generate(qr);
    expect(res.status).toBe(400);
    expect(idsOf(res.body)).toEqual(['JSON_TOO_DEEP']);
    await stillUp();
  });

  it('when groups nest as deep as the JSON limit allows, then 422 names the unknown group', async () => {
    const qr = example();
    let group: QuestionnaireResponseItem = { linkId: 'g0' };
    const top = group;
    for (let i = 1; i < 20; i++) {
      const inner: QuestionnaireResponseItem = { linkId: `g${i}` };
      group.item = [inner];
      group = inner;
    }
    qr.item!.push(top);
    const res = await generate(qr);
    expect(res.status).toBe(422);
    expect(idsOf(res.body)).toEqual(['DDCC_RESPONSE_INVALID', 'QR_LINKID_UNKNOWN']);
  });
});

describe('a Submit Health Event batch of 10,000 entries', () => {
  const ENTRIES = 10_000;

  it('when all 10,000 entries are good, then each gets a document or a budget refusal, and only the documents are stored', async () => {
    const before = await storedDocuments();
    const entry = { request: { method: 'POST', url: GENERATE }, resource: parametersWith('response', example()) };
    const batch = { resourceType: 'Bundle', type: 'batch', entry: Array.from({ length: ENTRIES }, () => entry) };
    const res = await post(t, '', batch);
    expect(res.status).toBe(200);
    const out = (res.body as Bundle).entry!;
    expect(out).toHaveLength(ENTRIES);
    const made = out.filter((e) => e.response!.status === '201 Created');
    const refused = out.filter((e) => e.response!.status !== '201 Created');
    expect(made.length).toBeGreaterThan(0);
    // What was not made was refused for the request's work budget, never half-done.
    expect(new Set(refused.map((e) => `${e.response!.status} ${idsOf(e.response!.outcome!).join()}`))).toEqual(
      new Set(refused.length > 0 ? ['422 Unprocessable Entity WORK_BUDGET_EXCEEDED'] : []),
    );
    expect(await storedDocuments()).toBe(before + made.length);
    await stillUp();
  }, 600_000);

  it('when all 10,000 entries are bad, then each gets its own OperationOutcome', async () => {
    const bad = example();
    bad.item!.push({ linkId: 'nope', answer: [{ valueString: 'x' }] });
    const entry = { request: { method: 'POST', url: GENERATE }, resource: parametersWith('response', bad) };
    const res = await post(t, '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: Array.from({ length: ENTRIES }, () => entry),
    });
    expect(res.status).toBe(200);
    const out = (res.body as Bundle).entry!;
    expect(out).toHaveLength(ENTRIES);
    for (const e of out) {
      expect(e.response!.status).toBe('422 Unprocessable Entity');
      expect(['DDCC_RESPONSE_INVALID', 'WORK_BUDGET_EXCEEDED']).toContain(idsOf(e.response!.outcome!)[0]);
    }
    await stillUp();
  }, 600_000);
});
