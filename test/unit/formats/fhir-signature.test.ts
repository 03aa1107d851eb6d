/**
 * Document signatures (Bundle.signature, detached JWS over the JCS form): ES256 and PS256 keys of our own making,
 * what the signature covers, and what a reader refuses.
 */
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { createDsc } from '../../../src/trust/cert-factory.ts';
import { makeCa } from '../trust/pki.ts';
import { FormatError } from '../../../src/formats/errors.ts';
import { documentSigningInput, signDocument, verifyDocumentSignature } from '../../../src/formats/fhir-signature.ts';
import { keyObjectSigner } from '../../../src/formats/signer.ts';
import { makeKeys } from '../credentials/harness.ts';

const keys = await makeKeys();
const dsc = keys.dscs[0]!;
const bundle = {
  resourceType: 'Bundle',
  id: 'b1',
  meta: { lastUpdated: '2026-01-01T00:00:00Z' },
  type: 'document',
  entry: [{ fullUrl: 'urn:uuid:1', resource: { resourceType: 'Organization', name: 'Ministry é' } }],
};
const input = { signer: dsc.signer, kid: dsc.kid, certificateDer: dsc.certificate.der, who: 'urn:uuid:1' };

test('when a document is signed, then the signature verifies with the x5c certificate, and id, meta and key order are outside it', async () => {
  const signed = await signDocument(bundle, { ...input, when: new Date('2026-02-03T04:05:06Z') });
  expect(signed.signature).toMatchObject({ when: '2026-02-03T04:05:06.000Z', who: { reference: 'urn:uuid:1' } });
  const check = verifyDocumentSignature(signed);
  expect(check).toMatchObject({ valid: true, kid: dsc.kid });
  expect(check.certificateDer.equals(Buffer.from(dsc.certificate.der))).toBe(true);
  const { id: _id, meta: _meta, ...withoutIdMeta } = signed;
  expect(verifyDocumentSignature({ ...withoutIdMeta, id: 'stored-as-other-id' }).valid).toBe(true);
  expect(documentSigningInput(signed).toString('utf8')).toBe(
    '{"entry":[{"fullUrl":"urn:uuid:1","resource":{"name":"Ministry é","resourceType":"Organization"}}],"resourceType":"Bundle","type":"document"}',
  );
  expect(bundle).not.toHaveProperty('signature');
});

test('when the signed content changes or the signature bytes change, then it does not verify', async () => {
  const signed = await signDocument(bundle, { ...input, when: new Date() });
  expect(verifyDocumentSignature({ ...signed, type: 'collection' }).valid).toBe(false);
  const jws = Buffer.from(signed.signature.data, 'base64').toString('ascii');
  const flipped = `${jws.slice(0, -2)}${jws.endsWith('AA') ? 'AB' : 'AA'}`;
  const tampered = { ...signed, signature: { ...signed.signature, data: Buffer.from(flipped).toString('base64') } };
  expect(verifyDocumentSignature(tampered).valid).toBe(false);
});

test('when the key is RSA, then the JWS says PS256, and the EC certificate in x5c cannot check it (JWS_INVALID)', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signer = keyObjectSigner(privateKey);
  // The certificate in x5c decides the key a reader uses: an EC certificate cannot check a PS256 signature.
  const signed = await signDocument(bundle, { ...input, signer, when: new Date() });
  expect(Buffer.from(signed.signature.data, 'base64').toString('ascii').split('.')[0]).toBe(
    Buffer.from(
      JSON.stringify({ alg: 'PS256', kid: dsc.kid, x5c: [Buffer.from(dsc.certificate.der).toString('base64')] }),
    ).toString('base64url'),
  );
  expect(() => verifyDocumentSignature(signed)).toThrow(/does not fit alg PS256/);
});

test('when the x5c certificate holds an Ed25519 key, then JWS_INVALID (never an exception from the crypto library)', async () => {
  const ca = await makeCa('XX');
  const ed = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as unknown as webcrypto.CryptoKeyPair;
  const der = await createDsc({
    country: 'XX',
    issuerCert: ca.der,
    issuerPrivateKey: ca.keys.privateKey,
    publicKey: ed.publicKey,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
  });
  const signed = await signDocument(bundle, { ...input, certificateDer: der, when: new Date() });
  expect(() => verifyDocumentSignature(signed)).toThrow(FormatError);
  expect(() => verifyDocumentSignature(signed)).toThrow(/key \(ed25519\) does not fit alg ES256/);
});

test.each([
  ['no signature', {}],
  ['another format', { signature: { sigFormat: 'application/signature+xml', data: 'AA==' } }],
  ['an attached JWS', { signature: { sigFormat: 'application/jose', data: Buffer.from('a.b.c').toString('base64') } }],
  [
    'a header without x5c',
    {
      signature: {
        sigFormat: 'application/jose',
        data: Buffer.from(`${Buffer.from('{"alg":"ES256"}').toString('base64url')}..AA`).toString('base64'),
      },
    },
  ],
])('when the Bundle has %s, then JWS_INVALID', (_name, extra) => {
  expect(() => verifyDocumentSignature({ ...bundle, ...extra })).toThrow(FormatError);
});
