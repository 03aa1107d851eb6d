/**
 * The DDCC operations under access control (issue 11): each needs its own scope (401 without a token, 403 naming the
 * scope without it), a Submit Health Event entry is checked as the request it is, and every transaction leaves an
 * AuditEvent naming the caller and, for a generated document, the stored document.
 */
import request from 'supertest';
import { OPERATION_SCOPES } from '../../../src/auth/operation-scopes.ts';
import { createAuthTestApp, type AuthTestApp } from '../../helpers/auth-app.ts';
import { FHIR_JSON } from '../../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../../helpers/shared-packages.ts';
import { ISSUER_URL, makeKeys, NOW } from '../../unit/credentials/harness.ts';
import { idsOf, igResponses, parametersWith } from './ddcc-support.ts';

let t: AuthTestApp;
let generator: string;
let revoker: string;
let weak: string;
let auditor: string;
const GENERATE = 'QuestionnaireResponse/$generateHealthCertificate';

beforeAll(async () => {
  t = await createAuthTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: ISSUER_URL },
    { now: () => NOW, issuerKeys: await makeKeys() },
  );
  const scopes = [
    OPERATION_SCOPES.generateHealthCertificate,
    OPERATION_SCOPES.generateHealthFolder,
    OPERATION_SCOPES.revokeHealthCertificate,
    'system/AuditEvent.rs',
    'system/Observation.r',
  ];
  await t.registerClient('his-ddcc', scopes);
  generator = await t.tokenFor(OPERATION_SCOPES.generateHealthCertificate, 'his-ddcc');
  revoker = await t.tokenFor(OPERATION_SCOPES.revokeHealthCertificate, 'his-ddcc');
  weak = await t.tokenFor('system/Observation.r', 'his-ddcc');
  auditor = await t.tokenFor('system/AuditEvent.rs', 'his-ddcc');
});
afterAll(() => t.close());

const send = (path: string, body: unknown, token?: string) => {
  const req = request(t.app).post(`/fhir/${path}`).set('Content-Type', FHIR_JSON);
  return (token ? req.set('Authorization', `Bearer ${token}`) : req).send(JSON.stringify(body));
};

const OPERATIONS: Array<[string, string, unknown]> = [
  [GENERATE, OPERATION_SCOPES.generateHealthCertificate, parametersWith('response', igResponses()[0]!.resource)],
  [
    'Bundle/$generateHealthFolder',
    OPERATION_SCOPES.generateHealthFolder,
    parametersWith('bundle', { resourceType: 'Bundle', type: 'collection' }),
  ],
  [
    'QuestionnaireResponse/$revokeHealthCertificate',
    OPERATION_SCOPES.revokeHealthCertificate,
    { resourceType: 'Parameters', parameter: [{ name: 'id', valueId: 'x' }] },
  ],
];

describe('DDCC operations need their scopes', () => {
  it.each(OPERATIONS)('when %s is called without a token, then 401', async (path, _scope, body) => {
    expect((await send(path, body)).status).toBe(401);
  });

  it.each(OPERATIONS)('when %s is called with a token lacking %s, then 403 naming it', async (path, scope, body) => {
    const res = await send(path, body, weak);
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).toContain(scope);
  });

  it('when a Submit Health Event entry is sent with a token that cannot generate, then that entry alone is 403', async () => {
    const batch = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          request: { method: 'POST', url: GENERATE },
          resource: parametersWith('response', igResponses()[0]!.resource),
        },
      ],
    };
    const res = await send('', batch, weak);
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^403/);
  });
});

describe('DDCC transactions leave AuditEvents', () => {
  async function events(query: string) {
    await t.services.audit.flush();
    const res = await request(t.app)
      .get(`/fhir/AuditEvent?${query}&_count=1000`)
      .set('Authorization', `Bearer ${auditor}`);
    expect(res.status).toBe(200);
    return (res.body.entry ?? []).map((e: { resource: Record<string, unknown> }) => e.resource) as Array<{
      action: string;
      outcome: string;
      subtype: Array<{ code: string }>;
      agent: Array<{ name?: string }>;
      entity?: Array<{ what: { reference?: string } }>;
    }>;
  }

  it('when a document is generated and revoked, then each leaves one AuditEvent naming the client and the document', async () => {
    const made = await send(GENERATE, parametersWith('response', igResponses()[0]!.resource), generator);
    expect(made.status).toBe(201);
    const document = `Bundle/${made.body.id}`;
    const generated = await events(`entity=${document}&subtype=$generateHealthCertificate`);
    expect(generated).toHaveLength(1);
    expect(generated[0]).toMatchObject({ action: 'E', outcome: '0', agent: [{ name: 'his-ddcc' }] });

    const revoked = await send(
      `${document}/$revokeHealthCertificate`,
      { resourceType: 'Parameters', parameter: [] },
      revoker,
    );
    expect(revoked.status).toBe(200);
    const revokes = await events(`entity=${document}&subtype=$revokeHealthCertificate`);
    expect(revokes).toHaveLength(1);
    expect(revokes[0]).toMatchObject({ action: 'E', outcome: '0' });
  });

  it('when a response is refused, then the refusal is audited with its message id', async () => {
    const bad = igResponses()[0]!.resource;
    bad.status = 'in-progress';
    const res = await send(GENERATE, parametersWith('response', bad), generator);
    expect(res.status).toBe(422);
    expect(idsOf(res.body)).toEqual(['DDCC_RESPONSE_NOT_COMPLETED']);
    const refused = await events('subtype=$generateHealthCertificate&outcome=4');
    expect(refused.length).toBeGreaterThan(0);
    expect(JSON.stringify(refused)).toContain('DDCC_RESPONSE_NOT_COMPLETED');
  });
});
