import { sign, verify } from 'node:crypto';
import { Tag } from 'cbor-x';
import { encodeCbor } from '../../../../src/formats/cbor.ts';
import { COSE_SIGN1_TAG } from '../../../../src/formats/hcert/claim-keys.ts';
import {
  decodeCoseSign1,
  signCoseSign1,
  verifyCoseSignature,
  type CandidateKey,
} from '../../../../src/formats/hcert/cose-sign1.ts';
import { encodeCwtClaims } from '../../../../src/formats/hcert/cwt.ts';
import { ecKeyPair, expectFormatError, expectFormatErrorAsync, KID, rsaKeyPair, sampleClaims } from '../fixtures.ts';

const LIMITS = { maxDepth: 32, maxItems: 50000 };
const es = ecKeyPair();
const other = ecKeyPair();
const rsa = rsaKeyPair();
const payload = encodeCwtClaims(sampleClaims());
const only =
  (...keys: CandidateKey[]) =>
  async () =>
    keys;

/** Build a COSE_Sign1 by hand, for shapes our signer never makes. */
function handmade(
  protectedMap: Map<number, unknown>,
  unprotected: Map<number, unknown>,
  signWith = es.privateKey,
  der = false,
): Uint8Array {
  const protectedBytes = encodeCbor(protectedMap);
  const toBeSigned = encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const signature = sign('sha256', toBeSigned, { key: signWith, dsaEncoding: der ? 'der' : 'ieee-p1363' });
  return encodeCbor(new Tag([protectedBytes, unprotected, payload, signature], COSE_SIGN1_TAG));
}

describe('COSE_Sign1', () => {
  test('when ES256 signs, then the signature verifies and kid/alg sit in the protected header', async () => {
    const sign1 = decodeCoseSign1(
      signCoseSign1(payload, { privateKey: es.privateKey, alg: 'ES256', kid: KID }),
      LIMITS,
    );
    expect(sign1.tagged).toBe(true);
    expect(sign1.alg).toBe(-7);
    expect(sign1.kidSource).toBe('protected');
    expect(sign1.signature.length).toBe(64);
    await expect(verifyCoseSignature(sign1, only({ publicKey: es.publicKey, ref: 'dsc' }))).resolves.toEqual({
      publicKey: es.publicKey,
      ref: 'dsc',
    });
  });

  test('when PS256 signs with RSA, then it verifies', async () => {
    const sign1 = decodeCoseSign1(
      signCoseSign1(payload, { privateKey: rsa.privateKey, alg: 'PS256', kid: KID }),
      LIMITS,
    );
    expect(sign1.alg).toBe(-37);
    await expect(verifyCoseSignature(sign1, only({ publicKey: rsa.publicKey }))).resolves.toBeDefined();
  });

  test('when one byte of the payload flips, then COSE_BAD_SIGNATURE', async () => {
    const sign1 = decodeCoseSign1(
      signCoseSign1(payload, { privateKey: es.privateKey, alg: 'ES256', kid: KID }),
      LIMITS,
    );
    const tampered = { ...sign1, payload: sign1.payload.map((b, i) => (i === 10 ? b ^ 1 : b)) };
    await expectFormatErrorAsync(
      () => verifyCoseSignature(tampered, only({ publicKey: es.publicKey })),
      'COSE_BAD_SIGNATURE',
      'COSE: the signature does not verify with any of the 1 candidate keys',
    );
  });

  test('when several candidates share the kid, then each is tried and the one that verifies is returned', async () => {
    const sign1 = decodeCoseSign1(
      signCoseSign1(payload, { privateKey: es.privateKey, alg: 'ES256', kid: KID }),
      LIMITS,
    );
    const right = { publicKey: es.publicKey, ref: 'second' };
    await expect(verifyCoseSignature(sign1, only({ publicKey: other.publicKey, ref: 'first' }, right))).resolves.toBe(
      right,
    );
  });

  test('when the lookup knows no key, then KID_UNKNOWN with the kid in base64', async () => {
    const sign1 = decodeCoseSign1(
      signCoseSign1(payload, { privateKey: es.privateKey, alg: 'ES256', kid: KID }),
      LIMITS,
    );
    await expectFormatErrorAsync(
      () => verifyCoseSignature(sign1, only()),
      'KID_UNKNOWN',
      'COSE: no key is known for kid AQIDBAUGBwg=',
    );
  });

  test('when the lookup receives the kid and the issuer country, then it can scope its answer', async () => {
    const sign1 = decodeCoseSign1(
      signCoseSign1(payload, { privateKey: es.privateKey, alg: 'ES256', kid: KID }),
      LIMITS,
    );
    const seen: unknown[] = [];
    await verifyCoseSignature(
      sign1,
      async (kid, country) => (seen.push([kid, country]), [{ publicKey: es.publicKey }]),
      { issuerCountry: 'AT' },
    );
    expect(seen).toEqual([[KID, 'AT']]);
  });

  test('when the signature is DER-encoded, then SIGNATURE_ENCODING tells the issuer the real cause', async () => {
    const sign1 = decodeCoseSign1(
      handmade(
        new Map<number, unknown>([
          [1, -7],
          [4, KID],
        ]),
        new Map(),
        es.privateKey,
        true,
      ),
      LIMITS,
    );
    await expectFormatErrorAsync(
      () => verifyCoseSignature(sign1, only({ publicKey: es.publicKey })),
      'SIGNATURE_ENCODING',
      'COSE: the ES256 signature is DER-encoded; COSE requires the raw 64-byte r||s form',
    );
  });

  test.each([
    ['absent', new Map<number, unknown>([[4, KID]]), 'COSE: the protected header has no alg (1)'],
    [
      '"none"',
      new Map<number, unknown>([
        [1, 'none'],
        [4, KID],
      ]),
      'COSE: algorithm none is not allowed (allowed: ES256, PS256)',
    ],
    [
      'ES384 (-35)',
      new Map<number, unknown>([
        [1, -35],
        [4, KID],
      ]),
      'COSE: algorithm -35 is not allowed (allowed: ES256, PS256)',
    ],
  ])('when alg is %s, then ALG_NOT_ALLOWED', async (_name, header, message) => {
    const sign1 = decodeCoseSign1(handmade(header, new Map()), LIMITS);
    await expectFormatErrorAsync(
      () => verifyCoseSignature(sign1, only({ publicKey: es.publicKey })),
      'ALG_NOT_ALLOWED',
      message,
    );
  });

  test('when alg sits only in the unprotected header, then it does not count (ALG_NOT_ALLOWED)', async () => {
    const sign1 = decodeCoseSign1(
      handmade(new Map<number, unknown>([[4, KID]]), new Map<number, unknown>([[1, -7]])),
      LIMITS,
    );
    await expectFormatErrorAsync(
      () => verifyCoseSignature(sign1, only({ publicKey: es.publicKey })),
      'ALG_NOT_ALLOWED',
      'COSE: the protected header has no alg (1)',
    );
  });

  test('when the caller allows ES256 only, then PS256 is refused', async () => {
    const sign1 = decodeCoseSign1(
      signCoseSign1(payload, { privateKey: rsa.privateKey, alg: 'PS256', kid: KID }),
      LIMITS,
    );
    await expectFormatErrorAsync(
      () => verifyCoseSignature(sign1, only({ publicKey: rsa.publicKey }), { allowedAlgs: ['ES256'] }),
      'ALG_NOT_ALLOWED',
      'COSE: algorithm -37 is not allowed (allowed: ES256)',
    );
  });

  test('when the only candidate is an RSA key for ES256, then KEY_INVALID', async () => {
    const sign1 = decodeCoseSign1(
      signCoseSign1(payload, { privateKey: es.privateKey, alg: 'ES256', kid: KID }),
      LIMITS,
    );
    await expectFormatErrorAsync(
      () => verifyCoseSignature(sign1, only({ publicKey: rsa.publicKey })),
      'KEY_INVALID',
      'COSE: ES256 needs an EC P-256 key; the candidate keys are rsa',
    );
  });

  test('when the signer key does not fit the algorithm, then signing refuses with KEY_INVALID', () => {
    expectFormatError(
      () => signCoseSign1(payload, { privateKey: rsa.privateKey, alg: 'ES256', kid: KID }),
      'KEY_INVALID',
      'The rsa key cannot make ES256 signatures',
    );
    expectFormatError(
      () => signCoseSign1(payload, { privateKey: ecKeyPair('P-384').privateKey, alg: 'ES256', kid: KID }),
      'KEY_INVALID',
      'The ec key cannot make ES256 signatures',
    );
  });

  test('when kid is only in the unprotected header, then it is used; when in both, the protected one wins', () => {
    const other8 = new Uint8Array(8).fill(9);
    const unprotectedOnly = decodeCoseSign1(
      handmade(new Map<number, unknown>([[1, -7]]), new Map<number, unknown>([[4, other8]])),
      LIMITS,
    );
    expect(unprotectedOnly.kidSource).toBe('unprotected');
    expect(unprotectedOnly.kid).toEqual(other8);
    const both = decodeCoseSign1(
      handmade(
        new Map<number, unknown>([
          [1, -7],
          [4, KID],
        ]),
        new Map<number, unknown>([[4, other8]]),
      ),
      LIMITS,
    );
    expect(both.kidSource).toBe('protected');
    expect(both.kid).toEqual(KID);
  });

  test.each([
    ['not an array', encodeCbor('x'), 'COSE: a COSE_Sign1 is an array of four items'],
    [
      'three items',
      encodeCbor([new Uint8Array(0), new Map(), new Uint8Array(0)]),
      'COSE: a COSE_Sign1 is an array of four items',
    ],
    [
      'a text payload',
      encodeCbor([new Uint8Array(0), new Map(), 'p', new Uint8Array(0)]),
      'COSE: protected header, payload and signature must be byte strings',
    ],
    ['another tag', encodeCbor(new Tag([], 61)), 'COSE: tag 61 is not COSE_Sign1 (18)'],
    [
      'a text kid',
      encodeCbor([encodeCbor(new Map([[4, 'k']])), new Map(), new Uint8Array(0), new Uint8Array(0)]),
      'COSE: kid (4) must be a byte string',
    ],
  ])('when the structure is %s, then COSE_INVALID', (_name, bytes, message) => {
    expectFormatError(() => decodeCoseSign1(bytes, LIMITS), 'COSE_INVALID', message);
  });
});

describe('Sig_structure', () => {
  test.each([0, 23, 24, 255, 256, 70000])(
    'when the payload has %i bytes, then the hand-written Sig_structure equals the CBOR encoding',
    async (size) => {
      const body = new Uint8Array(size).fill(7);
      const bytes = signCoseSign1(body, { privateKey: es.privateKey, alg: 'ES256', kid: KID });
      const sign1 = decodeCoseSign1(bytes, LIMITS);
      const expected = encodeCbor(['Signature1', sign1.protectedBytes, new Uint8Array(0), body]);
      expect(verify('sha256', expected, { key: es.publicKey, dsaEncoding: 'ieee-p1363' }, sign1.signature)).toBe(true);
    },
  );
});
