/**
 * CMS SignedData for gateway uploads (RFC 5652 §5): made through the signing seam (ES256 and PS256), read back
 * with the content, signer certificate and signing time; any changed byte of content, signature or signer is
 * refused as CMS_INVALID. (Interoperability with `openssl cms -verify` was checked by hand when this was written.)
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { keyObjectSigner } from '../../../src/formats/signer.ts';
import { createCsca, generateKeyPair, privateKeyToPem, type KeyAlgorithm } from '../../../src/trust/cert-factory.ts';
import { signCms, verifyCms } from '../../../src/trust/cms.ts';
import { days, NOW } from './pki.ts';

async function upCertificate(alg: KeyAlgorithm = 'ES256') {
  const keys = await generateKeyPair(alg);
  const der = await createCsca({ country: 'XA', commonName: 'UP XA', keys, notBefore: days(-1), notAfter: days(300) });
  return { der, signer: keyObjectSigner(createPrivateKey(await privateKeyToPem(keys.privateKey))) };
}

const content = Buffer.from('the DER of a DSC would be here');

test.each(['ES256', 'RS3072'] as const)(
  'when signed with a %s upload key, then the CMS verifies and gives back content, signer and time',
  async (alg) => {
    const up = await upCertificate(alg);
    const cms = await signCms({ content, signerCertificate: up.der, signer: up.signer, signingTime: NOW });
    const verified = verifyCms(cms);
    expect(verified.content.equals(content)).toBe(true);
    expect(verified.signerCertificate.equals(Buffer.from(up.der))).toBe(true);
    expect(verified.signingTime).toEqual(NOW);
  },
);

test('when any part is changed, then verification refuses with CMS_INVALID and says which check failed', async () => {
  const up = await upCertificate();
  const cms = Buffer.from(await signCms({ content, signerCertificate: up.der, signer: up.signer, signingTime: NOW }));
  const at = cms.indexOf(content);
  const tampered = Buffer.from(cms);
  tampered[at] ^= 1;
  expect(() => verifyCms(tampered)).toThrow(
    expect.objectContaining({
      code: 'CMS_INVALID',
      message: 'CMS: the messageDigest attribute does not match the content',
    }),
  );
  const badSignature = Buffer.from(cms);
  badSignature[badSignature.length - 5] ^= 1;
  expect(() => verifyCms(badSignature)).toThrow(expect.objectContaining({ code: 'CMS_INVALID' }));
  expect(() => verifyCms(Buffer.from('not der at all'))).toThrow(
    expect.objectContaining({ code: 'CMS_INVALID', message: expect.stringMatching(/^CMS: not a SignedData/) }),
  );
});

test('when the signer holds another key than the upload certificate, then nothing is signed', async () => {
  const up = await upCertificate();
  const stranger = keyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  await expect(
    signCms({ content, signerCertificate: up.der, signer: stranger, signingTime: NOW }),
  ).rejects.toMatchObject({
    code: 'CMS_INVALID',
    message: 'The upload signer does not hold the key of the upload certificate',
  });
});
