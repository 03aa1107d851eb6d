/**
 * "Read or fail" is one rule for every operation that starts from a stored resource, the same as a FHIR read:
 * never stored → 404 RESOURCE_NOT_FOUND; deleted → 410 RESOURCE_DELETED (https://hl7.org/fhir/R4/http.html#read).
 */
import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ validationProfiles: {} });
  const put = (path: string, body: object) =>
    request(t.app).put(`/fhir/${path}`).set('Content-Type', FHIR_JSON).send(body);
  await put('Patient/gone', { resourceType: 'Patient', id: 'gone' }).expect(201);
  await put('Immunization/gone', {
    resourceType: 'Immunization',
    id: 'gone',
    status: 'completed',
    vaccineCode: { text: 'x' },
    patient: { reference: 'Patient/gone' },
    occurrenceDateTime: '2021-01-01',
  }).expect(201);
  await put('Bundle/gone', { resourceType: 'Bundle', id: 'gone', type: 'collection' }).expect(201);
  for (const path of ['Immunization/gone', 'Patient/gone', 'Bundle/gone'])
    await request(t.app).delete(`/fhir/${path}`).expect(200);
});
afterAll(() => t.close());

const messageId = (body: { issue?: Array<{ details?: { coding?: Array<{ code?: string }> } }> }) =>
  body.issue?.[0]?.details?.coding?.[0]?.code;

const CASES: Array<[string, string, 'GET' | 'POST']> = [
  ['read', '{type}/{id}', 'GET'],
  ['$validate mode=delete', '{type}/{id}/$validate?mode=delete', 'POST'],
  ['$issue-hcert', '{type}/{id}/$issue-hcert', 'POST'],
  ['$credentials', '{type}/{id}/$credentials', 'GET'],
  ['$issue-shl', '{type}/{id}/$issue-shl', 'POST'],
];
const TYPE: Record<string, string> = {
  read: 'Patient',
  '$validate mode=delete': 'Patient',
  '$issue-hcert': 'Immunization',
  $credentials: 'Patient',
  '$issue-shl': 'Bundle',
};

describe.each(CASES)('%s', (name, template, method) => {
  const path = (id: string) => `/fhir/${template.replace('{type}', TYPE[name]!).replace('{id}', id)}`;
  const send = (id: string) => (method === 'GET' ? request(t.app).get(path(id)) : request(t.app).post(path(id)));

  test('when the resource was deleted, then 410 RESOURCE_DELETED', async () => {
    const res = await send('gone');
    expect(res.status).toBe(410);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(messageId(res.body)).toBe('RESOURCE_DELETED');
  });

  test('when the resource was never stored, then 404 RESOURCE_NOT_FOUND', async () => {
    const res = await send('never');
    expect(res.status).toBe(404);
    expect(messageId(res.body)).toBe('RESOURCE_NOT_FOUND');
  });
});
