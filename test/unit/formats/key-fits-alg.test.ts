/**
 * keyFitsAlg decides which candidate keys may check an ES256 or PS256 signature. It remembers the answer per key
 * object (issue 18: reading `asymmetricKeyDetails` builds an object on every call), so asking twice must give the
 * same answer, for each key on its own.
 */
import { generateKeyPairSync } from 'node:crypto';
import { keyFitsAlg } from '../../../src/formats/signer.ts';

describe('keyFitsAlg', () => {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  test('when asked twice for each key, then only EC P-256 keys serve ES256 and only RSA keys PS256', () => {
    for (let round = 0; round < 2; round++) {
      expect(
        [p256.publicKey, p256.privateKey, p384.publicKey, rsa.publicKey].map((k) => keyFitsAlg('ES256', k)),
      ).toEqual([true, true, false, false]);
      expect(
        [p256.publicKey, p384.publicKey, rsa.publicKey, rsa.privateKey].map((k) => keyFitsAlg('PS256', k)),
      ).toEqual([false, false, true, true]);
    }
  });
});
