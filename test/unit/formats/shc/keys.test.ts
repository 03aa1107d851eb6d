import { exportJWK } from 'jose';
import { shcKidFromJwk, shcLookupFromJwks, shcPublicJwk } from '../../../../src/formats/shc/keys.ts';
import { ecKeyPair, expectFormatErrorAsync } from '../fixtures.ts';

describe('SHC issuer keys', () => {
  test('when the RFC 7638 §3.1 example key is hashed, then its published thumbprint comes out', async () => {
    const jwk = {
      kty: 'RSA',
      e: 'AQAB',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    };
    await expect(shcKidFromJwk(jwk)).resolves.toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  test('when a JWKS is imported, then the lookup answers by kid with a KeyObject and nothing for other kids', async () => {
    const { publicKey } = ecKeyPair();
    const jwk = await exportJWK(publicKey);
    const kid = await shcKidFromJwk(jwk);
    const lookup = await shcLookupFromJwks({ keys: [{ ...jwk, kid, use: 'sig', alg: 'ES256' }] });
    const [candidate] = await lookup(kid, 'https://any.example');
    expect(candidate!.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    await expect(lookup('other', 'https://any.example')).resolves.toEqual([]);
  });

  test('when a JWKS kid is not the key thumbprint, then KEY_INVALID', async () => {
    const jwk = await exportJWK(ecKeyPair().publicKey);
    await expectFormatErrorAsync(
      () => shcLookupFromJwks({ keys: [{ ...jwk, kid: 'wrong' }] }),
      'KEY_INVALID',
      /^SHC: kid wrong is not the key's RFC 7638 thumbprint /,
    );
  });

  test('when a JWKS holds a private key, a non-P-256 key or no keys array, then KEY_INVALID', async () => {
    const priv = await exportJWK(ecKeyPair().privateKey);
    await expectFormatErrorAsync(
      () => shcLookupFromJwks({ keys: [priv] }),
      'KEY_INVALID',
      'SHC: a published issuer key must not contain the private part d',
    );
    const p384 = await exportJWK(ecKeyPair('P-384').publicKey);
    await expectFormatErrorAsync(
      () => shcLookupFromJwks({ keys: [p384] }),
      'KEY_INVALID',
      'SHC: issuer keys must be EC P-256 JWKs',
    );
    await expectFormatErrorAsync(
      () => shcLookupFromJwks({}),
      'KEY_INVALID',
      'SHC: a JWKS is an object with a keys array',
    );
  });
});

describe('SHC issuer JWK publication', () => {
  test('when a P-256 public key is published, then the JWK carries kid = thumbprint, use sig, alg ES256, and imports back', async () => {
    const { publicKey } = ecKeyPair();
    const jwk = await shcPublicJwk(publicKey);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
    expect(jwk.kid).toBe(await shcKidFromJwk(jwk));
    const lookup = await shcLookupFromJwks({ keys: [jwk] });
    expect(await lookup(jwk.kid!, 'https://x.example')).toHaveLength(1);
  });

  test('when a private or non-P-256 key is given, then KEY_INVALID', async () => {
    await expectFormatErrorAsync(
      () => shcPublicJwk(ecKeyPair().privateKey),
      'KEY_INVALID',
      'SHC: issuer keys must be EC P-256 public keys',
    );
    await expectFormatErrorAsync(
      () => shcPublicJwk(ecKeyPair('P-384').publicKey),
      'KEY_INVALID',
      'SHC: issuer keys must be EC P-256 public keys',
    );
  });
});
