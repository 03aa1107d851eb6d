import fc from 'fast-check';
import { Tag } from 'cbor-x';
import { encodeCbor } from '../../../../src/formats/cbor.ts';
import { signCoseSign1 } from '../../../../src/formats/hcert/cose-sign1.ts';
import { encodeCwtClaims } from '../../../../src/formats/hcert/cwt.ts';
import { verifyCoseSign1 } from '../../../../src/formats/hcert/verify.ts';
import { AT_VALIDATION, ecKeyPair, KID, sampleClaims } from '../fixtures.ts';

const es = ecKeyPair();
const lookup = async () => [{ publicKey: es.publicKey }];
const cose = signCoseSign1(encodeCwtClaims(sampleClaims()), { privateKey: es.privateKey, alg: 'ES256', kid: KID });

/** CBOR-encodable values, including the shapes COSE/CWT code inspects (Maps with int keys, byte strings, tags). */
const cborish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.string({ maxLength: 8 }),
    fc.uint8Array({ maxLength: 16 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(fc.tuple(fc.integer({ min: -300, max: 10 }), tie('value')), { maxLength: 4 })
      .map((entries) => new Map(entries)),
    tie('value').map((v) => new Tag(v, 18)),
  ),
}));

describe('COSE_Sign1 verification under fuzzing', () => {
  test('when the untouched COSE bytes are verified, then every step from cbor on passes', async () => {
    const verdict = await verifyCoseSign1(cose, lookup, AT_VALIDATION);
    expect(verdict.valid).toBe(true);
    expect(verdict.steps.map((s) => s.step)).toEqual(['cbor', 'cose', 'signature', 'notExpired', 'notBefore']);
  });

  test('when thousands of bit-flipped, truncated or extended COSE documents are verified, then none throws or verifies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(cose.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.nat(cose.length + 8),
        async (flips, cut) => {
          const bytes = new Uint8Array(Math.max(1, cut));
          bytes.set(cose.subarray(0, Math.min(cut, cose.length)));
          for (const [at, mask] of flips) if (at < bytes.length) bytes[at]! ^= mask;
          const verdict = await verifyCoseSign1(bytes, lookup, AT_VALIDATION);
          expect(verdict.valid).toBe(false);
          expect(verdict.error?.name).toBe('FormatError');
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('when thousands of random CBOR structures are verified as COSE, then each fails with a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(cborish.value, async (value) => {
        const verdict = await verifyCoseSign1(encodeCbor(value), lookup, AT_VALIDATION);
        expect(verdict.valid).toBe(false);
        expect(verdict.error?.name).toBe('FormatError');
      }),
      { numRuns: 2000 },
    );
  });
});
