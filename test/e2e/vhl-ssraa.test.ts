/**
 * IHE ITI.VHL, OAuth with SSRAA Option (VHL_RECEIVER_TRUST_NETWORK): a VHL Receiver that is not a registered client
 * gets a token by signing its client assertion with a certificate (JWS `x5c`) that chains to a CSCA of our trust
 * list, and with it searches the manifest. The receivers' CAs and certificates are made here; the sharer's own CSCA
 * is in its trust list (TRUST_SELF), so it stands for "a trust anchor of the community".
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, importPKCS8, SignJWT, type CryptoKey } from 'jose';
import request from 'supertest';
import { createCsca, createDsc } from '../../src/trust/cert-factory.ts';
import { generateDevKeys } from '../../src/trust/dev-keys.ts';
import { loadIssuerKeys } from '../../src/trust/issuer-keys.ts';
import { decodeVhlink } from '../../src/formats/shl/vhlink.ts';
import { ASSERTION_TYPE, createAuthTestApp, type AuthTestApp } from '../helpers/auth-app.ts';
import { SHARED_PACKAGE_FILES } from '../helpers/shared-packages.ts';
import { FHIR_JSON } from '../helpers/test-app.ts';
import { SHL_BASE } from './shl-support.ts';
import { carriedLink, FHIR_BASE, manifestSearch, outputs } from './vhl-support.ts';

const DAY = 86_400_000;
let a: AuthTestApp;
let anchor: { der: Uint8Array; key: CryptoKey };
let sharerToken: string;

interface Receiver {
  der: Uint8Array;
  privateKey: CryptoKey;
}

/** A receiver certificate issued by `issuer` (a CSCA), valid from `from` to `to`. */
async function receiver(issuer: { der: Uint8Array; key: CryptoKey }, from: Date, to: Date): Promise<Receiver> {
  const keys = await generateKeyPair('ES256', { extractable: true });
  const der = await createDsc({
    country: 'YY',
    commonName: 'VHL receiver YY',
    issuerCert: issuer.der,
    issuerPrivateKey: issuer.key,
    publicKey: keys.publicKey as CryptoKey,
    notBefore: from,
    notAfter: to,
    extKeyUsage: null,
  });
  return { der, privateKey: keys.privateKey as CryptoKey };
}

function assertion(r: Receiver, options: { jti?: string; signWith?: CryptoKey } = {}): Promise<string> {
  const now = Math.floor(a.services.now().getTime() / 1000);
  return new SignJWT({ jti: options.jti ?? randomUUID() })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [Buffer.from(r.der).toString('base64')] })
    .setIssuer('receiver-yy')
    .setSubject('receiver-yy')
    .setAudience(a.tokenUrl)
    .setExpirationTime(now + 240)
    .sign(options.signWith ?? r.privateKey);
}

const tokenRequest = (clientAssertion: string, scope = 'system/List.s') =>
  request(a.app).post('/auth/token').type('form').send({
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: clientAssertion,
    scope,
  });

beforeAll(async () => {
  const now = new Date();
  const keyDir = mkdtempSync(join(tmpdir(), 'ssraa-keys-'));
  const paths = await generateDevKeys({ dir: keyDir, country: 'XX', now });
  anchor = {
    der: new Uint8Array(
      Buffer.from(readFileSync(paths.cscaCertPath, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64'),
    ),
    key: await importPKCS8(readFileSync(paths.cscaKeyPath, 'utf8'), 'ES256', { extractable: true }),
  };
  a = await createAuthTestApp(
    {
      fhirPackages: SHARED_PACKAGE_FILES,
      shlBaseUrl: SHL_BASE,
      fhirBaseUrl: FHIR_BASE,
      trustSelf: true,
      vhlReceiverTrustNetwork: true,
    },
    { issuerKeys: await loadIssuerKeys({ ...paths, now }) },
  );
  const scopes = ['system/Patient.$generate-vhl', 'system/Patient.cu'];
  sharerToken = await (await a.registerClient('portal', scopes)).token(scopes.join(' '));
  const put = await request(a.app)
    .put('/fhir/Patient/ssraa')
    .set({ Authorization: `Bearer ${sharerToken}`, 'Content-Type': FHIR_JSON })
    .send(
      JSON.stringify({
        resourceType: 'Patient',
        id: 'ssraa',
        identifier: [{ system: 'urn:oid:1.2.3.4.5', value: 'SSRAA-1' }],
        name: [{ family: 'Ssraa', given: ['Vhl'] }],
        gender: 'female',
        birthDate: '1975-05-05',
      }),
    );
  expect([200, 201]).toContain(put.status);
});
afterAll(() => a.close());

test('when the option is on, then the VHL carries extension.fhirBaseUrl, and a receiver whose certificate chains to a trust-list CSCA gets a List-search-only token and reads the manifest', async () => {
  const generated = await request(a.app)
    .get('/fhir/Patient/$generate-vhl?sourceIdentifier=urn:oid:1.2.3.4.5%7CSSRAA-1')
    .set('Authorization', `Bearer ${sharerToken}`);
  expect(generated.status).toBe(200);
  const payload = decodeVhlink(carriedLink(outputs(generated).hcert!.valueString as string));
  expect(payload.extension).toEqual({ fhirBaseUrl: FHIR_BASE });
  const now = a.services.now();
  const yy = await receiver(anchor, new Date(now.getTime() - DAY), new Date(now.getTime() + 30 * DAY));
  const granted = await tokenRequest(await assertion(yy), 'system/List.s system/Patient.r system/*.cruds');
  expect(granted.status).toBe(200);
  expect(granted.body.scope).toBe('system/List.s');
  const token = granted.body.access_token as string;
  const manifest = await manifestSearch(a, payload, { recipient: 'Clinic YY' }).set('Authorization', `Bearer ${token}`);
  expect(manifest.status).toBe(200);
  expect(manifest.body.entry[0].resource.resourceType).toBe('List');
  const read = await request(a.app).get('/fhir/Patient/ssraa').set('Authorization', `Bearer ${token}`);
  expect(read.status).toBe(403);
});

test('when the certificate chains to a CA outside the trust list, then invalid_client and no token', async () => {
  const now = a.services.now();
  const keys = await generateKeyPair('ES256', { extractable: true });
  const stranger = {
    der: await createCsca({
      country: 'ZZ',
      keys: keys as Parameters<typeof createCsca>[0]['keys'],
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 365 * DAY),
    }),
    key: keys.privateKey as CryptoKey,
  };
  const zz = await receiver(stranger, new Date(now.getTime() - DAY), new Date(now.getTime() + 30 * DAY));
  const res = await tokenRequest(await assertion(zz));
  expect(res.status).toBe(401);
  expect(res.body).toEqual({
    error: 'invalid_client',
    error_description: 'the client certificate does not chain to a trust anchor (CSCA) of the trust list',
  });
});

test('when the receiver certificate has expired, then invalid_client naming it', async () => {
  const now = a.services.now();
  const old = await receiver(anchor, new Date(now.getTime() - 30 * DAY), new Date(now.getTime() - DAY));
  const res = await tokenRequest(await assertion(old));
  expect(res.status).toBe(401);
  expect(res.body.error).toBe('invalid_client');
  expect(res.body.error_description).toMatch(/^the client certificate is not usable: /);
});

test('when the assertion is not signed by the x5c key, or its jti is replayed, then invalid_client', async () => {
  const now = a.services.now();
  const yy = await receiver(anchor, new Date(now.getTime() - DAY), new Date(now.getTime() + 30 * DAY));
  const other = await generateKeyPair('ES256');
  const forged = await tokenRequest(await assertion(yy, { signWith: other.privateKey as CryptoKey }));
  expect(forged.status).toBe(401);
  expect(forged.body.error_description).toBe('client_assertion signature does not verify with this client’s keys');
  const jti = randomUUID();
  expect((await tokenRequest(await assertion(yy, { jti }))).status).toBe(200);
  const replay = await tokenRequest(await assertion(yy, { jti }));
  expect(replay.status).toBe(401);
  expect(replay.body.error_description).toBe('client_assertion jti was already used');
});
