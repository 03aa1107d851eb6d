/**
 * Two countries in one test (issue 13, "Must show"), end to end through the trust network:
 * - country A (XA) makes its upload (UP) and TLS certificates with the onboarding CLI (`keys csr --self-signed`) and
 *   is onboarded with them and its SCA in the TEST DOUBLE of the trust network gateway (127.0.0.1, mutual TLS);
 * - A's operator publishes A's DSCs with `trust upload` (CMS signed by the UP key, over mutual TLS);
 * - the double's DID trust list (v2, signed with the network's anchor key), built from what was uploaded to it plus
 *   the onboarded SCAs, is served next to it over plain HTTP; country B (XB), holding only that anchor, syncs it and
 *   verifies A's HCERT (valid, revocation `pass` on A's fresh list);
 * - A revokes the credential, B re-imports A's published EU DCC hash list, and the same HCERT is `revoked`;
 * - A withdraws its DSCs (`trust revoke-upload`), B re-syncs, and the HCERT no longer verifies: its key is gone.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Parameters } from '@medplum/fhirtypes';
import { runCli } from '../../src/cli/main.ts';
import type { IssuerKeySet } from '../../src/trust/issuer-keys.ts';
import { toPem } from '../../src/trust/x509.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { startTngGatewayDouble, type TngGatewayDouble } from '../helpers/tng-gateway-double.ts';
import { covidImmunization, patient } from '../unit/credentials/fixtures.ts';
import { makeKeys, NOW } from '../unit/credentials/harness.ts';
import { serve, type TestServer } from '../unit/trust/serve.ts';
import { client, notPassing, param, type Client } from './credential-client.ts';

const networkKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const dir = mkdtempSync(join(tmpdir(), 'round-trip-xa-'));
const file = (name: string) => join(dir, name);
let a: TestApp;
let b: TestApp;
let ca: Client;
let cb: Client;
let aKeys: IssuerKeySet;
let aServer: Server;
let gateway: TngGatewayDouble;
let listServer: TestServer;

const versionAt = (writes: number) => new Date(NOW.getTime() + writes * 1000);
const acceptedWrites = () => gateway.log.filter((l) => l.status < 300).length;

/** A's operator at the command line; every command must succeed. */
async function operatorA(...argv: string[]): Promise<string> {
  let out = '';
  const code = await runCli(argv, { DATA_DIR: dir }, (s) => {
    out += s;
  });
  expect({ argv, code, out }).toMatchObject({ code: 0 });
  return out;
}

/** `trust upload` or `trust revoke-upload` of each of A's DSCs, with A's UP and TLS material. */
async function eachDscOfA(command: 'upload' | 'revoke-upload'): Promise<void> {
  for (const [i] of aKeys.dscs.entries())
    await operatorA(
      ...['trust', command, '--gateway', gateway.url, '--gateway-ca', file('gateway-ca.pem')],
      ...['--cert', file(`dsc-${i}.crt.pem`), '--up-cert', file('up.crt.pem'), '--up-key', file('up.key.pem')],
      ...['--tls-cert', file('tls.crt.pem'), '--tls-key', file('tls.key.pem')],
    );
}

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

  for (const usage of ['UP', 'TLS'])
    await operatorA('keys', 'csr', '--usage', usage, '--country', 'XA', '--self-signed', '--dir', dir);
  writeFileSync(file('sca.crt.pem'), toPem(aKeys.csca.der));
  for (const [i, d] of aKeys.dscs.entries()) writeFileSync(file(`dsc-${i}.crt.pem`), toPem(d.certificate.der));
  gateway = await startTngGatewayDouble([
    {
      country: 'XA',
      tlsCertPem: readFileSync(file('tls.crt.pem'), 'utf8'),
      upCertPem: readFileSync(file('up.crt.pem'), 'utf8'),
      scaCertPem: readFileSync(file('sca.crt.pem'), 'utf8'),
    },
  ]);
  writeFileSync(file('gateway-ca.pem'), gateway.serverCertPem);

  // The double's publication, signed from its current state on every fetch; each accepted upload or withdrawal
  // makes a new version, signed a second later than the one before (so it is never mistaken for a rollback).
  listServer = await serve(() => undefined);
  const host = encodeURIComponent(new URL(listServer.url).host);
  listServer.setHandler((_req, res) => {
    void gateway
      .trustList({
        did: `did:web:${host}:v2:trustlist:DCC:XXA`,
        anchorKey: networkKey.privateKey,
        created: versionAt(acceptedWrites()),
        verificationMethod: `did:web:${host}#tng`,
      })
      .then((list) => res.writeHead(200, { 'content-type': 'application/did+json' }).end(JSON.stringify(list)))
      .catch((e: Error) => res.writeHead(500).end(e.message));
  });

  const aUrl = `http://127.0.0.1:${(aServer.address() as AddressInfo).port}`;
  b = await createTestApp(
    {
      fhirPackages: SHARED_PACKAGE_FILES,
      issuerUrl: 'https://xb.test',
      issuerCountry: 'XB',
      trustSelf: false,
      trustListUrl: listServer.url,
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
  await listServer?.close();
  await gateway?.close();
});

test("when A uploads its DSCs, B syncs the gateway's signed list and A later revokes, then A's HCERT verifies at B, then is revoked, then no longer trusted once withdrawn", async () => {
  await eachDscOfA('upload');
  expect(gateway.stored.map((s) => [s.country, s.domain, s.group, s.kid])).toEqual(
    aKeys.dscs.map((d) => ['XA', 'DCC', 'DSC', d.kid]),
  );
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
    proof: { state: 'verified', created: versionAt(aKeys.dscs.length).toISOString() },
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

  await eachDscOfA('revoke-upload');
  expect(gateway.stored).toEqual([]);
  expect(await b.services.trust.refresh()).toMatchObject({ ok: true });
  expect((await request(b.app).get('/trust/status')).body).toMatchObject({
    state: 'ok',
    proof: { state: 'verified', created: versionAt(2 * aKeys.dscs.length).toISOString() },
    counts: { csca: 1, dsc: 0 },
  });
  const withdrawn = await cb.verify(hc1);
  expect(withdrawn.valid).toBe(false);
  // The key is gone, so nothing chains; B still holds A's revocation list, which still names the credential.
  expect(notPassing(withdrawn)).toEqual([
    ['signature', 'fail', 'key-unknown'],
    ['trust-chain', 'skipped', undefined],
    ['revocation', 'fail', 'revoked'],
  ]);
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
