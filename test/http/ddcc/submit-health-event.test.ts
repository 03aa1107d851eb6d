/**
 * Submit Health Event (DDCC IG transactions page): a batch of `POST QuestionnaireResponse/$generateHealthCertificate`
 * entries answered by a batch-response with one DDCC document, or one OperationOutcome, per entry. The IG's own
 * DDCCSubmitHealthEventRequest examples are replayed as they are in the package.
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { TestApp } from '../../helpers/test-app.ts';
import { ddccServer, igExamples, igResponses, parametersWith, post } from './ddcc-support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await ddccServer();
});
afterAll(async () => {
  await t.close();
});

const GENERATE = 'QuestionnaireResponse/$generateHealthCertificate';
const requests = igExamples<Bundle>('Bundle-DDCCTXSHEbundle');

describe('Submit Health Event with the IG examples', () => {
  it('when the package is read, then it holds Submit Health Event examples', () => {
    expect(requests.length).toBeGreaterThan(0);
  });

  it.each(requests.map((r) => [r.file, r.resource] as const))(
    'when %s is posted to the base, then each entry gets a DDCC document (201) in a batch-response',
    async (_file, batch) => {
      const res = await post(t, '', batch);
      expect(res.status).toBe(200);
      const out = res.body as Bundle;
      expect(out.type).toBe('batch-response');
      expect(out.identifier?.value).toMatch(/^urn:uuid:/);
      expect(out.timestamp).toBeDefined();
      expect(out.entry).toHaveLength(batch.entry!.length);
      for (const entry of out.entry!) {
        expect(entry.response?.status).toBe('201 Created');
        expect(entry.response?.location).toMatch(/\/Bundle\/[0-9a-f-]{36}$/);
        expect((entry.resource as Bundle).type).toBe('document');
      }
    },
  );
});

describe('Submit Health Event with good and bad entries mixed', () => {
  it('when one entry is bad, then it alone gets its OperationOutcome and the others their documents', async () => {
    const good = () => parametersWith('response', igResponses()[0]!.resource);
    const bad = igResponses()[0]!.resource;
    bad.item!.push({ linkId: 'not_in_the_questionnaire', answer: [{ valueString: 'x' }] });
    const entries: BundleEntry[] = [
      { request: { method: 'POST', url: GENERATE }, resource: good() as never },
      { request: { method: 'POST', url: GENERATE }, resource: parametersWith('response', bad) as never },
      // The profile's other slice: the QuestionnaireResponse itself as the entry resource.
      { request: { method: 'POST', url: GENERATE }, resource: igResponses()[1]!.resource },
      { request: { method: 'POST', url: 'QuestionnaireResponse/$noSuchOperation' }, resource: good() as never },
    ];
    const res = await post(t, '', { resourceType: 'Bundle', type: 'batch', entry: entries });
    expect(res.status).toBe(200);
    const out = (res.body as Bundle).entry!;
    expect(out.map((e) => e.response!.status)).toEqual([
      '201 Created',
      '422 Unprocessable Entity',
      '201 Created',
      '404 Not Found',
    ]);
    expect(out.map((e) => e.resource?.resourceType ?? e.response?.outcome?.resourceType)).toEqual([
      'Bundle',
      'OperationOutcome',
      'Bundle',
      'OperationOutcome',
    ]);
    const ids = out[1]!.response!.outcome!.issue.map((i) => i.details?.coding?.[0]?.code);
    expect(ids).toEqual(['DDCC_RESPONSE_INVALID', 'QR_LINKID_UNKNOWN']);
  });
});
