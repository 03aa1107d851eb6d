import request from 'supertest';
import { createTestApp, FHIR_JSON, immunization, patient, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

const postBundle = (bundle: unknown) =>
  request(t.app).post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
const count = async (type: string) => (await request(t.app).get(`/fhir/${type}?_summary=count`)).body.total as number;

describe('transaction', () => {
  test('when entries reference each other by urn:uuid, then the references are rewritten to the new ids', async () => {
    const pUrn = 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0';
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:7f7a0c8e-1111-4c3c-9d25-3b6c2f0b1a01',
          resource: immunization({ patient: { reference: pUrn } }),
          request: { method: 'POST', url: 'Immunization' },
        },
        { fullUrl: pUrn, resource: patient(), request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '201 Created',
      '201 Created',
    ]);
    const patientId = res.body.entry[1].resource.id;
    expect(res.body.entry[0].resource.patient.reference).toBe(`Patient/${patientId}`);
    expect(res.body.entry[0].response.location).toMatch(/\/Immunization\/[^/]+\/_history\/1$/);
  });

  test('when one entry is invalid, then nothing of the transaction is stored and the entry is named', async () => {
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { resource: immunization({ status: 42 }), request: { method: 'POST', url: 'Immunization' } },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression[0]).toMatch(/^Bundle\.entry\[1\]/);
    expect(await count('Patient')).toBe(0);
    expect(await count('Immunization')).toBe(0);
  });

  test('when a conditional reference matches one resource, then it is resolved; with none, 412 and nothing stored', async () => {
    await request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient()));
    const ok = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: immunization({
            patient: { reference: 'Patient?identifier=urn:oid:2.16.840.1.113883.2.4.6.3|999999999' },
          }),
          request: { method: 'POST', url: 'Immunization' },
        },
      ],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.entry[0].resource.patient.reference).toMatch(/^Patient\/[^?]+$/);
    const bad = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: immunization({ patient: { reference: 'Patient?identifier=urn:x|nobody' } }),
          request: { method: 'POST', url: 'Immunization' },
        },
      ],
    });
    expect(bad.status).toBe(412);
    expect(bad.body.issue[0].details.coding[0].code).toBe('CONDITIONAL_REFERENCE_UNRESOLVED');
    expect(await count('Immunization')).toBe(1);
  });

  test('when a transaction re-pushes a record with ifNoneExist, then the existing one is used', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: patient(),
          request: {
            method: 'POST',
            url: 'Patient',
            ifNoneExist: 'identifier=urn:oid:2.16.840.1.113883.2.4.6.3|999999999',
          },
        },
      ],
    };
    const first = await postBundle(bundle);
    const second = await postBundle(bundle);
    expect(first.body.entry[0].response.status).toBe('201 Created');
    expect(second.body.entry[0].response.status).toBe('200 OK');
    expect(await count('Patient')).toBe(1);
  });

  test('when a transaction updates and deletes, then both happen', async () => {
    const { body: p } = await request(t.app)
      .post('/fhir/Patient')
      .set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(patient()));
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'DELETE', url: `Patient/${p.id}` } },
        { resource: patient({ id: 'kept' }), request: { method: 'PUT', url: 'Patient/kept' } },
        { request: { method: 'GET', url: 'Patient/kept' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[2].resource.id).toBe('kept');
    expect((await request(t.app).get(`/fhir/Patient/${p.id}`)).status).toBe(410);
  });
});

describe('batch', () => {
  test('when one entry fails, then the others still happen and the failure is reported in its entry', async () => {
    const res = await postBundle({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/missing' } },
        { resource: immunization(), request: { method: 'POST', url: 'Immunization' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '201 Created',
      '404 Not Found',
      '201 Created',
    ]);
    expect(res.body.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
  });

  test('when the Bundle is neither batch nor transaction, then 400', async () => {
    const res = await postBundle({ resourceType: 'Bundle', type: 'collection' });
    expect(res.status).toBe(400);
    expect(res.body.issue[0].details.coding[0].code).toBe('BUNDLE_TYPE_UNSUPPORTED');
  });
});
