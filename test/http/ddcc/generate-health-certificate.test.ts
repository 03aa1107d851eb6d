/**
 * `$generateHealthCertificate` against the IG's OperationDefinition (read from the who.ddcc package) and its
 * example QuestionnaireResponses: each makes a signed DDCC:VS document, stored and registered (MHD).
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { TestApp } from '../../helpers/test-app.ts';
import { ddccServer, get, idsOf, igOperation, igResponses, parametersWith, post } from './ddcc-support.ts';

let t: TestApp;
beforeAll(async () => {
  t = await ddccServer();
});
afterAll(async () => {
  await t.close();
});

describe('$generateHealthCertificate as the IG declares it', () => {
  const def = igOperation('generateHealthCertificate');

  it('when the CapabilityStatement is read, then it lists the operation under the IG canonical', async () => {
    const res = await get(t, 'metadata');
    const ops = (
      res.body.rest[0].resource as Array<{ type: string; operation?: Array<{ name: string; definition: string }> }>
    )
      .filter((r) => (def.resource ?? []).includes(r.type as never))
      .flatMap((r) => r.operation ?? []);
    expect(ops.filter((o) => o.name === def.code).map((o) => o.definition)).toEqual(
      (def.resource ?? []).map(() => def.url),
    );
  });

  it.each(igResponses().map((r) => [r.file, r.resource] as const))(
    'when %s is sent as the "response" parameter, then a DDCC:VS document comes back, stored under Location',
    async (_file, qr) => {
      const input = def.parameter!.find((p) => p.use === 'in')!;
      const res = await post(t, 'QuestionnaireResponse/$generateHealthCertificate', parametersWith(input.name!, qr));
      expect(res.status).toBe(201);
      const doc = res.body as Bundle;
      expect(doc.resourceType).toBe(def.parameter!.find((p) => p.use === 'out')!.type);
      expect(doc.type).toBe('document');
      const hcid = qr.item!.find((i) => i.linkId === 'hcid')!.answer![0]!.valueString;
      expect(doc.link).toEqual([{ relation: 'publication', url: `urn:HCID:${hcid}` }]);
      const stored = await get(t, res.headers.location!.replace(/^.*\/fhir\//, ''));
      expect(stored.status).toBe(200);
      expect(stored.body.id).toBe(doc.id);
    },
  );
});

describe('$generateHealthCertificate input, per the OperationDefinition', () => {
  const def = igOperation('generateHealthCertificate');
  const inputs = def.parameter!.filter((p) => p.use === 'in');
  const qr = () => igResponses()[0]!.resource;

  it.each(inputs.filter((p) => (p.min ?? 0) > 0).map((p) => [p.name!] as const))(
    'when the required parameter %s is left out, then 400 OPERATION_PARAM_MISSING names it',
    async (name) => {
      const res = await post(t, 'QuestionnaireResponse/$generateHealthCertificate', {
        resourceType: 'Parameters',
        parameter: [],
      });
      expect(res.status).toBe(400);
      expect(idsOf(res.body)).toEqual(['OPERATION_PARAM_MISSING']);
      expect(res.body.issue[0].expression).toEqual([name]);
    },
  );

  it.each(inputs.filter((p) => p.max !== '*').map((p) => [p.name!, Number(p.max)] as const))(
    'when %s is given more than its max (%i) times, then 400 OPERATION_PARAM_REPEATED',
    async (name, max) => {
      const res = await post(t, 'QuestionnaireResponse/$generateHealthCertificate', {
        resourceType: 'Parameters',
        parameter: Array.from({ length: max + 1 }, () => ({ name, resource: qr() })),
      });
      expect(res.status).toBe(400);
      expect(idsOf(res.body)).toEqual(['OPERATION_PARAM_REPEATED']);
    },
  );

  it('when a parameter the definition does not declare is sent, then 400 OPERATION_PARAM_UNKNOWN', async () => {
    const res = await post(t, 'QuestionnaireResponse/$generateHealthCertificate', {
      resourceType: 'Parameters',
      parameter: [
        { name: inputs[0]!.name, resource: qr() },
        { name: 'format', valueCode: 'x' },
      ],
    });
    expect(res.status).toBe(400);
    expect(idsOf(res.body)).toEqual(['OPERATION_PARAM_UNKNOWN']);
  });

  it('when the QuestionnaireResponse is posted bare (its only resource input), then it is read as that input', async () => {
    const res = await post(t, 'QuestionnaireResponse/$generateHealthCertificate', qr());
    expect(res.status).toBe(201);
    expect((res.body as Bundle).type).toBe('document');
  });

  it.each(def.resource!.map((r) => [r] as const))(
    'when called on %s with a Bundle holding the response, then it makes the document too',
    async (type) => {
      const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: qr() }] };
      const res = await post(t, `${type}/$generateHealthCertificate`, parametersWith(inputs[0]!.name!, bundle));
      expect(res.status).toBe(201);
      expect((res.body as Bundle).type).toBe('document');
    },
  );

  it('when called on an instance (the definition says instance: false), then 404 OPERATION_UNKNOWN', async () => {
    expect(def.instance).toBe(false);
    const res = await post(t, 'QuestionnaireResponse/x/$generateHealthCertificate', parametersWith('response', qr()));
    expect(res.status).toBe(404);
    expect(idsOf(res.body)).toEqual(['OPERATION_UNKNOWN']);
  });
});

describe('$generateHealthCertificate refusals leave nothing stored', () => {
  const qr = () => igResponses()[0]!.resource;
  const counts = async () =>
    Promise.all(
      ['Bundle', 'Patient', 'Immunization', 'DocumentReference', 'List', 'QuestionnaireResponse'].map(
        async (type) => (await get(t, `${type}?_summary=count`)).body.total as number,
      ),
    );

  it.each([
    [
      'an unknown linkId',
      'QR_LINKID_UNKNOWN',
      (q: ReturnType<typeof qr>) => q.item!.push({ linkId: 'favourite_colour', answer: [{ valueString: 'blue' }] }),
    ],
    [
      'an answer of the wrong type',
      'QR_ANSWER_TYPE',
      (q: ReturnType<typeof qr>) => (q.item!.find((i) => i.linkId === 'dose')!.answer = [{ valueString: 'one' }]),
    ],
    [
      'a required item missing',
      'QR_REQUIRED_MISSING',
      (q: ReturnType<typeof qr>) => (q.item = q.item!.filter((i) => i.linkId !== 'lot')),
    ],
    [
      'two answers to an item that does not repeat',
      'QR_ITEM_REPEATED',
      (q: ReturnType<typeof qr>) =>
        (q.item!.find((i) => i.linkId === 'lot')!.answer = [{ valueString: 'A' }, { valueString: 'B' }]),
    ],
  ] as const)(
    'when the response has %s, then 422 DDCC_RESPONSE_INVALID with %s, and nothing is written',
    async (_what, id, spoil) => {
      const before = await counts();
      const q = qr();
      spoil(q);
      const res = await post(t, 'QuestionnaireResponse/$generateHealthCertificate', parametersWith('response', q));
      expect(res.status).toBe(422);
      expect(idsOf(res.body)[0]).toBe('DDCC_RESPONSE_INVALID');
      expect(idsOf(res.body)).toContain(id);
      expect(await counts()).toEqual(before);
    },
  );

  it.each([
    ['another questionnaire', { questionnaire: 'http://example.org/Questionnaire/other' }, 'DDCC_RESPONSE_UNSUPPORTED'],
    ['status in-progress', { status: 'in-progress' }, 'DDCC_RESPONSE_NOT_COMPLETED'],
    ['not a QuestionnaireResponse', { resourceType: 'Basic' }, 'DDCC_RESPONSE_UNSUPPORTED'],
  ])('when the response is %s, then 422 %s and nothing is written', async (_what, change, id) => {
    const before = await counts();
    const res = await post(
      t,
      'QuestionnaireResponse/$generateHealthCertificate',
      parametersWith('response', { ...qr(), ...change }),
    );
    expect(res.status).toBe(422);
    expect(idsOf(res.body)).toEqual([id]);
    expect(await counts()).toEqual(before);
  });
});
