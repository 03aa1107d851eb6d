/** Key publication and the trust list, through HTTP, as another GDHCN gateway would consume them. */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import request from 'supertest';
import { signHc1With } from '../../src/formats/hcert/hc1.ts';
import { verifyHc1 } from '../../src/formats/hcert/verify.ts';
import { signerAt } from '../../src/trust/issuer-keys.ts';
import { hcertKeyLookup } from '../../src/trust/hcert-key-lookup.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let issuer: TestApp;
beforeAll(async () => {
  issuer = await createTestApp({ issuerCountry: 'XA' });
});
afterAll(() => issuer.close());

describe('key publication', () => {
  test('when /.well-known/jwks.json is read, then it holds the public SHC key under its RFC 7638 thumbprint and no private part', async () => {
    const res = await request(issuer.app).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    const keys = res.body.keys as JWK[];
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
      expect(key.d).toBeUndefined();
      expect(key.kid).toBe(await calculateJwkThumbprint(key));
    }
  });

  test('when /trust/did.json is read, then it is a did:web document whose keys carry the DSC in x5c', async () => {
    const res = await request(issuer.app).get('/trust/did.json');
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.text);
    expect(doc.id).toBe('did:web:gateway.test:trust');
    expect(doc.verificationMethod.length).toBeGreaterThanOrEqual(1);
    const jwk = doc.verificationMethod[0].publicKeyJwk;
    expect(jwk.d).toBeUndefined();
    const dsc = new X509Certificate(Buffer.from(jwk.x5c[0], 'base64'));
    expect(dsc.subject).toContain('C=XA');
  });

  test('when /trust/certificates is read, then every PEM block is a certificate', async () => {
    const res = await request(issuer.app).get('/trust/certificates');
    expect(res.status).toBe(200);
    const blocks = res.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const pem of blocks) expect(() => new X509Certificate(pem)).not.toThrow();
    expect(res.text).not.toContain('PRIVATE KEY');
  });

  test('when /trust/status is read with TRUST_SELF, then our own DSC is counted and valid', async () => {
    const res = await request(issuer.app).get('/trust/status?detail=true');
    expect(res.status).toBe(200);
    expect(res.body.counts.validDsc).toBeGreaterThanOrEqual(1);
    expect(res.body.counts.byCountry.XA).toBeDefined();
  });
});

describe('a peer gateway verifying our credentials', () => {
  function sign(app: TestApp): Promise<string> {
    const { issuerKeys } = app.services;
    const signer = signerAt(issuerKeys, new Date());
    if (!signer) throw new Error('no signer');
    const now = Math.floor(Date.now() / 1000);
    return signHc1With(
      {
        iss: 'XA',
        iat: now,
        exp: now + 3600,
        hcert: new Map([[1, { ver: '1.3.0', nam: { fnt: 'MUSTERMANN' }, dob: '1964-08-12' }]]),
      },
      { signer: signer.signer, kid: signer.kidBytes },
    );
  }

  test('when the peer loads our DID document as its trust list, then our HC1 verifies there; without it, the kid is unknown', async () => {
    const didDocument = (await request(issuer.app).get('/trust/did.json')).text;
    const dir = mkdtempSync(join(tmpdir(), 'peer-'));
    writeFileSync(join(dir, 'trustlist.json'), didDocument);
    const peer = await createTestApp({ trustSelf: false, trustListFile: join(dir, 'trustlist.json') });
    const stranger = await createTestApp({ trustSelf: false });
    try {
      expect((await peer.services.trust.refresh()).ok).toBe(true);
      const hc1 = await sign(issuer);
      const asOf = new Date();
      const accepted = await verifyHc1(
        hc1,
        hcertKeyLookup(() => peer.services.trust.list(), { asOf }),
        { validationTime: asOf },
      );
      expect(accepted.valid).toBe(true);
      const refused = await verifyHc1(
        hc1,
        hcertKeyLookup(() => stranger.services.trust.list(), { asOf }),
        { validationTime: asOf },
      );
      expect(refused.valid).toBe(false);
      expect(refused.error?.code).toBe('KID_UNKNOWN');
    } finally {
      await peer.close();
      await stranger.close();
    }
  });
});
