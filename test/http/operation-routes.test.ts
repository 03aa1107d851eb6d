/** The operations as the CapabilityStatement lists them, now that each route is read from its OperationDefinition. */
import request from 'supertest';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
let rest: NonNullable<CapabilityStatement['rest']>[number];

beforeAll(async () => {
  t = await createTestApp();
  const res = await request(t.app).get('/fhir/metadata');
  expect(res.status).toBe(200);
  rest = (res.body as CapabilityStatement).rest![0]!;
});

afterAll(() => t.close());

const ops = (list: Array<{ name: string; definition: string }> | undefined) =>
  (list ?? []).map((o) => `${o.name} ${o.definition}`);
const ourDef = (id: string) => `https://gdhcn-gateway.org/fhir/OperationDefinition/${id}`;

describe('operations in the CapabilityStatement', () => {
  test('when metadata is read, then the system operations are the six system-level definitions', () => {
    expect(ops(rest.operation)).toEqual([
      `packages ${ourDef('packages')}`,
      `install-package ${ourDef('install-package')}`,
      `issue-hcert-bulk ${ourDef('issue-hcert-bulk')}`,
      `verify ${ourDef('verify')}`,
      `revoke-credential ${ourDef('revoke-credential')}`,
      `unrevoke-credential ${ourDef('unrevoke-credential')}`,
    ]);
  });

  test.each([
    [
      'Patient',
      ['validate', 'issue-hcert', 'health-cards-issue', 'issue-shl', 'credentials', 'summary', 'generate-vhl'],
    ],
    ['Immunization', ['validate', 'issue-hcert']],
    ['Bundle', ['validate', 'issue-shl']],
    ['Observation', ['validate']],
  ])('when metadata is read, then %s lists the operations whose definition names it (or any type)', (type, names) => {
    const entry = rest.resource!.find((r) => r.type === type)!;
    expect((entry.operation ?? []).map((o) => o.name)).toEqual(names);
  });

  test('when metadata is read, then each operation points to its canonical and says which scope it needs', () => {
    const patient = rest.resource!.find((r) => r.type === 'Patient')!.operation!;
    expect(patient.find((o) => o.name === 'health-cards-issue')!.definition).toBe(
      'http://hl7.org/fhir/uv/smart-health-cards-and-links/OperationDefinition/patient-i-health-cards-issue',
    );
    expect(patient.find((o) => o.name === 'validate')!.definition).toBe(
      'http://hl7.org/fhir/OperationDefinition/Resource-validate',
    );
    expect(rest.operation!.find((o) => o.name === 'verify')!.documentation).toMatch(/public|no scope/i);
  });
});

describe('methods read from affectsState', () => {
  test.each([
    ['GET', '/fhir/$revoke-credential', 405],
    ['GET', '/fhir/Patient/nobody/$credentials', 404],
    ['GET', '/fhir/Patient/nobody/$summary', 404],
    ['POST', '/fhir/$packages', 405],
    ['GET', '/fhir/$packages', 200],
  ] as const)('when %s %s, then %i', async (method, path, status) => {
    const res = await (method === 'GET'
      ? request(t.app).get(path)
      : request(t.app).post(path).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Parameters' }));
    expect([res.status, res.body.resourceType]).toEqual([status, status === 200 ? 'Parameters' : 'OperationOutcome']);
  });
});
