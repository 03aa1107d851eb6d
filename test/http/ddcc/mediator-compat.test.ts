/**
 * Compatibility with WHO's reference DDCC transactions mediator: the request shapes it accepts (its
 * `generateHealthCertificate` route takes a Parameters with `response` or a bare QuestionnaireResponse; its
 * `submitHealthEvent` route a batch of `POST QuestionnaireResponse/$generateHealthCertificate` entries; responses to
 * the IG's pre-release questionnaire canonical) get equivalent answers here: a DDCC document linked to the response's
 * HCID, per batch entry with status 201, and an OperationOutcome where the mediator answers one.
 */
import type { Bundle, Composition, QuestionnaireResponse } from '@medplum/fhirtypes';
import { LEGACY_DDCC_VS_QUESTIONNAIRE } from '../../../src/credentials/mapping/ddcc-questionnaire.ts';
import type { TestApp } from '../../helpers/test-app.ts';
import { ddccServer, idsOf, igResponses, parametersWith, post } from './ddcc-support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await ddccServer();
});
afterAll(async () => {
  await t.close();
});

const GENERATE = 'QuestionnaireResponse/$generateHealthCertificate';
/** A response as the mediator's clients send it: the pre-release canonical, its own hcid. */
function mediatorResponse(hcid: string): QuestionnaireResponse {
  const { text: _text, meta: _meta, ...qr } = igResponses().find((r) => r.file.endsWith('Example.json'))!.resource;
  qr.questionnaire = LEGACY_DDCC_VS_QUESTIONNAIRE;
  qr.item!.find((i) => i.linkId === 'hcid')!.answer = [{ valueString: hcid }];
  return qr;
}

/** What the mediator's answer holds: a document whose first entry is the Composition, linked to the HCID. */
function expectDocumentFor(doc: Bundle, hcid: string): void {
  expect(doc.type).toBe('document');
  expect(doc.link).toEqual([{ relation: 'publication', url: `urn:HCID:${hcid}` }]);
  expect((doc.entry![0]!.resource as Composition).resourceType).toBe('Composition');
  expect(doc.entry!.map((e) => e.resource!.resourceType)).toEqual(
    expect.arrayContaining(['Patient', 'Organization', 'Immunization', 'DocumentReference']),
  );
}

describe('the mediator generateHealthCertificate shapes', () => {
  it('when a Parameters with "response" is posted, then a DDCC document for its HCID comes back', async () => {
    const res = await post(t, GENERATE, parametersWith('response', mediatorResponse('COMPAT-1')));
    expect(res.status).toBe(201);
    expectDocumentFor(res.body, 'COMPAT-1');
  });

  it('when a bare QuestionnaireResponse is posted, then the same', async () => {
    const res = await post(t, GENERATE, mediatorResponse('COMPAT-2'));
    expect(res.status).toBe(201);
    expectDocumentFor(res.body, 'COMPAT-2');
  });

  it('when the response names a questionnaire the service does not handle, then an OperationOutcome says so', async () => {
    const qr = { ...mediatorResponse('COMPAT-3'), questionnaire: 'http://example.org/Questionnaire/other' };
    const res = await post(t, GENERATE, parametersWith('response', qr));
    expect(res.status).toBe(422);
    expect(idsOf(res.body)).toEqual(['DDCC_RESPONSE_UNSUPPORTED']);
  });

  it('when the "response" parameter is missing, then an OperationOutcome says so', async () => {
    const res = await post(t, GENERATE, { resourceType: 'Parameters', parameter: [] });
    expect(res.status).toBe(400);
    expect(idsOf(res.body)).toEqual(['OPERATION_PARAM_MISSING']);
  });
});

describe('the mediator submitHealthEvent shape', () => {
  it('when a batch of generate entries and one other request is posted, then each generate entry gets 201 and a document, the other 404', async () => {
    const hcids = ['COMPAT-B1', 'COMPAT-B2', 'COMPAT-B3'];
    const entry = hcids.map((h) => ({
      request: { method: 'POST', url: GENERATE },
      resource: parametersWith('response', mediatorResponse(h)),
    }));
    const other = {
      request: { method: 'POST', url: 'QuestionnaireResponse/$somethingElse' },
      resource: parametersWith('response', mediatorResponse('X')),
    };
    const res = await post(t, '', { resourceType: 'Bundle', type: 'batch', entry: [...entry, other] });
    expect(res.status).toBe(200);
    const out = res.body as Bundle;
    expect(out.type).toBe('batch-response');
    expect(out.entry!.map((e) => e.response!.status.slice(0, 3))).toEqual(['201', '201', '201', '404']);
    hcids.forEach((h, i) => expectDocumentFor(out.entry![i]!.resource as Bundle, h));
    expect(out.entry![3]!.response!.outcome!.resourceType).toBe('OperationOutcome');
  });

  it('when the body is no batch Bundle, then an OperationOutcome says so', async () => {
    const res = await post(t, '', { resourceType: 'Bundle', type: 'collection', entry: [] });
    expect(res.status).toBe(400);
    expect(idsOf(res.body)).toEqual(['BUNDLE_TYPE_UNSUPPORTED']);
  });
});
