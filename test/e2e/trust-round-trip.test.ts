/**
 * Two countries in one test (issue 13, "Must show"): country A (XA) issues an HCERT; a trust-network gateway
 * double on 127.0.0.1 publishes A's SCA and DSC in a DID list signed with the network's anchor key; country B
 * (XB), holding only that anchor, syncs the list and verifies A's HCERT (valid, revocation `pass` on A's fresh
 * list); A revokes the credential, B re-imports A's published EU DCC hash list, and the same HCERT is `revoked`.
 * (The CMS upload of A's DSC to the gateway is not part of this branch: the double takes A's certificates directly.)
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Parameters } from '@medplum/fhirtypes';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { makeKeys, NOW } from '../unit/credentials/harness.ts';
import { buildDidDocument } from '../../src/trust/publish.ts';
import { signTrustList } from '../../src/trust/trustlist-proof.ts';
import type { IssuerKeySet } from '../../src/trust/issuer-keys.ts';
import { json, serve, type TestServer } from '../unit/trust/serve.ts';
import { client, notPassing, param, type Client } from './credential-client.ts';

const networkKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let a: TestApp;
let b: TestApp;
let ca: Client;
let cb: Client;
let aKeys: IssuerKeySet;
let aServer: Server;
let gateway: TestServer;

beforeAll(async () => {
  aKeys = await makeKeys('XA');
  a = await createTestApp(
    { fhirPackages: SHARED_PACKAGE_FILES, issuerUrl: 'https://xa.test', issuerCountry: 'XA' },
    { now: () => NOW, issuerKeys: aKeys },
  );
  ca = client(a);
  aServer = await new Promise<Server>((resolve) => {
    const s = a.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  gateway = await serve(json({}));
  const host = encodeURIComponent(new URL(gateway.url).host);
  const did = `did:web:${host}:v2:trustlist:DCC:XXA`;
  const list = buildDidDocument(did, [
    { der: aKeys.csca.der },
    ...aKeys.dscs.map((d) => ({ der: d.certificate.der, chain: [aKeys.csca.der] })),
  ]);
  gateway.setHandler(
    json(
      await signTrustList(list as unknown as Record<string, unknown>, networkKey.privateKey, {
        created: NOW,
        verificationMethod: `did:web:${host}#tng`,
      }),
    ),
  );
  const aUrl = `http://127.0.0.1:${(aServer.address() as AddressInfo).port}`;
  b = await createTestApp(
    {
      fhirPackages: SHARED_PACKAGE_FILES,
      issuerUrl: 'https://xb.test',
      issuerCountry: 'XB',
      trustSelf: false,
      trustListUrl: gateway.url,
      trustListAnchor: JSON.stringify(networkKey.publicKey.export({ format: 'jwk' })),
      revocationDccSources: [`${aUrl}/trust/revocation/dcc.json`],
    },
    { now: () => NOW },
  );
  cb = client(b);
});

afterAll(async () => {
  await b?.close();
  aServer.closeAllConnections();
  await new Promise<void>((resolve) => aServer.close(() => resolve()));
  await a?.close();
  await gateway?.close();
});

test("when B syncs the signed list and A later revokes, then A's HCERT verifies at B and then is revoked at B", async () => {
  await ca.push(patient(), covidImmunization());
  const issued = await ca.post(
    'Immunization/imm1/$issue-hcert',
    ca.parameters([{ name: 'qrFormat', valueCode: 'none' }]),
  );
  expect(issued.status).toBe(200);
  const hc1 = param(issued.body as Parameters, 'hc1')!.valueString!;
  const certificateId = param(issued.body as Parameters, 'certificateId')!.valueString!;

  expect(await b.services.trust.refresh()).toMatchObject({ ok: true });
  await b.services.revocations.refresh();
  const status = (await request(b.app).get('/trust/status')).body;
  expect(status).toMatchObject({
    state: 'ok',
    proof: { state: 'verified', created: NOW.toISOString() },
    counts: { csca: 1, dsc: aKeys.dscs.length },
    revocation: { dccKids: aKeys.dscs.length, problems: [] },
    renewal: { marginDays: 60 },
  });

  const before = await cb.verify(hc1);
  expect(notPassing(before)).toEqual([]);
  expect(before.valid).toBe(true);

  const revoked = await ca.post(
    '$revoke-credential',
    ca.parameters([{ name: 'credentialId', valueString: certificateId }]),
  );
  expect(revoked.status).toBe(200);
  const published = (await request(a.app).get('/trust/revocation/dcc.json')).body as {
    kid: string;
    hashType: string;
    entries: unknown[];
  }[];
  expect(published).toEqual(
    aKeys.dscs.map((d) =>
      expect.objectContaining({ country: 'XA', kid: d.kid, hashType: 'UCI', entries: [{ hash: expect.any(String) }] }),
    ),
  );
  expect(JSON.stringify(published)).not.toContain(certificateId);

  await b.services.revocations.refresh();
  const after = await cb.verify(hc1);
  expect(after.valid).toBe(false);
  expect(notPassing(after)).toEqual([['revocation', 'fail', 'revoked']]);
});

test('when a CRL is asked for a kid this server does not sign with, then 404 with a stable message id', async () => {
  const res = await request(a.app).get('/.well-known/crl/not-our-kid.json');
  expect(res.status).toBe(404);
  expect(res.body).toMatchObject({
    resourceType: 'OperationOutcome',
    issue: [{ details: { coding: [{ code: 'CRL_UNKNOWN_KID' }] } }],
  });
});

test('when our SHC CRL is asked for our SHC kid, then it lists rids only (never an HCERT id)', async () => {
  const kid = aKeys.shc!.kid;
  const res = await request(a.app).get(`/.well-known/crl/${kid}.json`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ kid, method: 'rid', ctr: 1, rids: [] });
});
