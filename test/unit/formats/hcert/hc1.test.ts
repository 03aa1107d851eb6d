import fc from 'fast-check';
import { Tag } from 'cbor-x';
import { encodeBase45 } from '../../../../src/formats/hcert/base45.ts';
import { encodeCbor } from '../../../../src/formats/cbor.ts';
import { deflate } from '../../../../src/formats/deflate.ts';
import { signCoseSign1 } from '../../../../src/formats/hcert/cose-sign1.ts';
import { encodeCwtClaims } from '../../../../src/formats/hcert/cwt.ts';
import { signHc1 } from '../../../../src/formats/hcert/hc1.ts';
import { decodeHc1, verifyHc1 } from '../../../../src/formats/hcert/verify.ts';
import { AT_VALIDATION, ecKeyPair, expectFormatError, IAT, KID, SAMPLE_DCC, sampleClaims } from '../fixtures.ts';

const es = ecKeyPair();
const signer = { privateKey: es.privateKey, alg: 'ES256' as const, kid: KID };
const lookup = async () => [{ publicKey: es.publicKey }];
const qr = signHc1(sampleClaims(), signer);
const statuses = (v: { steps: { step: string; status: string }[] }) =>
  Object.fromEntries(v.steps.map((s) => [s.step, s.status]));

describe('HC1 transport and step-wise verification', () => {
  test('when an HCERT is signed, then it starts with HC1: and verifies with every step passed', async () => {
    expect(qr.startsWith('HC1:')).toBe(true);
    const verdict = await verifyHc1(qr, lookup, AT_VALIDATION);
    expect(verdict.valid).toBe(true);
    expect(verdict.error).toBeUndefined();
    expect(verdict.steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'unprefix:passed',
      'base45:passed',
      'decompress:passed',
      'cbor:passed',
      'cose:passed',
      'signature:passed',
      'notExpired:passed',
      'notBefore:passed',
    ]);
    expect(verdict.payloads?.euDcc).toEqual(SAMPLE_DCC);
    expect(verdict.claims).toMatchObject({ iss: 'AT', iat: IAT });
    expect(verdict.compressed).toBe(true);
  });

  test('when decoded without verification, then the payload comes back equal', () => {
    expect(decodeHc1(qr).payloads.euDcc).toEqual(SAMPLE_DCC);
  });

  test('when outer whitespace surrounds the text, then it is trimmed', async () => {
    expect((await verifyHc1(`  ${qr}\n`, lookup, AT_VALIDATION)).valid).toBe(true);
  });

  test('when the prefix is missing, then unprefix fails with PREFIX_MISSING and later steps are skipped', async () => {
    const verdict = await verifyHc1(qr.slice(4), lookup, AT_VALIDATION);
    expect(verdict.error?.code).toBe('PREFIX_MISSING');
    expect(verdict.error?.message).toBe('HC1: the text does not start with "HC1:" (offset 0)');
    expect(statuses(verdict)).toMatchObject({ unprefix: 'failed', base45: 'skipped', signature: 'skipped' });
  });

  test('when a base45 character is wrong, then BASE45_INVALID reports its offset in the whole text', async () => {
    const bad = `${qr.slice(0, 20)}a${qr.slice(21)}`;
    const verdict = await verifyHc1(bad, lookup, AT_VALIDATION);
    expect(verdict.error?.code).toBe('BASE45_INVALID');
    expect(verdict.error?.message).toBe('Base45: character "a" at offset 20 is not in the RFC 9285 alphabet');
    expect(verdict.error?.offset).toBe(20);
  });

  test('when the HCERT expired, then the signature still passes and notExpired fails with CWT_EXPIRED', async () => {
    const expired = signHc1(sampleClaims({ exp: IAT + 10 }), signer);
    const verdict = await verifyHc1(expired, lookup, AT_VALIDATION);
    expect(statuses(verdict)).toMatchObject({ signature: 'passed', notExpired: 'failed', notBefore: 'passed' });
    expect(verdict.error?.code).toBe('CWT_EXPIRED');
    expect(verdict.error?.message).toBe(
      'The credential expired at 2021-06-01T00:00:10.000Z (validation time 2021-06-02T00:00:00.000Z)',
    );
  });

  test('when the HCERT is issued after the validation time, then notBefore fails with CWT_NOT_YET_VALID', async () => {
    const verdict = await verifyHc1(qr, lookup, { validationTime: new Date((IAT - 60) * 1000) });
    expect(verdict.error?.code).toBe('CWT_NOT_YET_VALID');
    expect(verdict.error?.message).toBe(
      'The credential is not valid before 2021-06-01T00:00:00.000Z (validation time 2021-05-31T23:59:00.000Z)',
    );
    expect(
      (await verifyHc1(qr, lookup, { validationTime: new Date((IAT - 60) * 1000), clockToleranceSeconds: 120 })).valid,
    ).toBe(true);
  });

  test('when the COSE was signed by another key, then signature fails with COSE_BAD_SIGNATURE', async () => {
    const verdict = await verifyHc1(
      signHc1(sampleClaims(), { ...signer, privateKey: ecKeyPair().privateKey }),
      lookup,
      AT_VALIDATION,
    );
    expect(statuses(verdict).signature).toBe('failed');
    expect(verdict.error?.code).toBe('COSE_BAD_SIGNATURE');
  });

  test('when the data is not compressed but is a COSE_Sign1, then it is accepted as the EU test data allows', async () => {
    const cose = signCoseSign1(encodeCwtClaims(sampleClaims()), signer);
    const verdict = await verifyHc1(`HC1:${encodeBase45(cose)}`, lookup, AT_VALIDATION);
    expect(verdict.valid).toBe(true);
    expect(verdict.compressed).toBe(false);
  });

  test('when the bytes are neither zlib nor COSE, then decompress fails with INFLATE_INVALID', async () => {
    const verdict = await verifyHc1(`HC1:${encodeBase45(new Uint8Array([1, 2, 3, 4]))}`, lookup, AT_VALIDATION);
    expect(verdict.error?.code).toBe('INFLATE_INVALID');
    expect(verdict.error?.message).toBe('HC1: the data is neither a zlib stream nor an uncompressed COSE_Sign1');
  });

  test('when the payload is a zlib bomb, then decompress fails fast with INFLATE_TOO_LARGE', async () => {
    const bomb = deflate(new Uint8Array(4 * 1024 * 1024), 'zlib');
    const verdict = await verifyHc1(`HC1:${encodeBase45(bomb)}`, lookup, {
      ...AT_VALIDATION,
      limits: { maxInflatedBytes: 64 * 1024 },
    });
    expect(verdict.error?.code).toBe('INFLATE_TOO_LARGE');
    expect(verdict.error?.message).toBe('Decompressed data exceeds the cap of 65536 bytes');
  });

  test('when the input is longer than the cap, then INPUT_TOO_LARGE', () => {
    expectFormatError(
      () => decodeHc1(`HC1:${'0'.repeat(100)}`, { maxInputChars: 50 }),
      'INPUT_TOO_LARGE',
      'HC1: the input has 104 characters, above the cap of 50',
    );
  });

  test('when the COSE payload lacks the hcert claim, then cose fails with HCERT_INVALID', async () => {
    const noHcert = encodeCbor(new Map<number, unknown>([[1, 'AT']]));
    const cose = encodeCbor(new Tag([encodeCbor(new Map([[1, -7]])), new Map(), noHcert, new Uint8Array(64)], 18));
    const verdict = await verifyHc1(`HC1:${encodeBase45(deflate(cose, 'zlib'))}`, lookup, AT_VALIDATION);
    expect(statuses(verdict)).toMatchObject({ cbor: 'passed', cose: 'failed', signature: 'skipped' });
    expect(verdict.error?.message).toBe('The hcert claim (-260) is missing or not a map');
  });

  test('when thousands of mutated HC1 strings are verified, then none throws and each invalid one names a typed step error', async () => {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(qr.length - 1), fc.nat(alphabet.length - 1)), { minLength: 1, maxLength: 3 }),
        fc.nat(qr.length),
        async (edits, cut) => {
          const chars = qr.slice(0, Math.max(4, cut)).split('');
          for (const [at, c] of edits) if (at >= 4 && at < chars.length) chars[at] = alphabet[c]!;
          const verdict = await verifyHc1(chars.join(''), lookup, AT_VALIDATION);
          if (!verdict.valid) {
            expect(verdict.error?.name).toBe('FormatError');
            expect(verdict.steps.find((s) => s.status === 'failed')?.error).toBe(verdict.error);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('HC1 verification when the key lookup itself fails', () => {
  test('when the lookup rejects (e.g. the trust store is down), then the error propagates instead of an "invalid" verdict', async () => {
    await expect(
      verifyHc1(qr, async () => Promise.reject(new Error('trust store unavailable')), AT_VALIDATION),
    ).rejects.toThrow('trust store unavailable');
  });
});
