import fc from 'fast-check';
import { decodeShcQr, encodeShcQr, SHC_SINGLE_CHUNK_MAX } from '../../../../src/formats/shc/qr-numeric.ts';
import { expectFormatError, onlyFormatErrors } from '../fixtures.ts';

const jwsChars = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'.split('')),
  minLength: 1,
  maxLength: 5000,
});

describe('shc:/ numeric QR form', () => {
  test('when "-" (code 45) and "z" (code 122) are encoded, then they become 00 and 77', () => {
    expect(encodeShcQr('-z')).toEqual(['shc:/0077']);
  });

  test('when any JWS-like text is encoded, then decoding the chunks (in any order) returns it', () => {
    fc.assert(
      fc.property(jwsChars, (jws) => {
        const chunks = encodeShcQr(jws);
        expect(chunks.length).toBe(jws.length <= SHC_SINGLE_CHUNK_MAX ? 1 : Math.ceil(jws.length / 1191));
        expect(decodeShcQr(chunks)).toBe(jws);
        expect(decodeShcQr([...chunks].reverse())).toBe(jws);
      }),
      { numRuns: 300 },
    );
  });

  test('when a 3000-character JWS is encoded, then it becomes three balanced shc:/i/3/ chunks', () => {
    const chunks = encodeShcQr('a'.repeat(3000));
    expect(chunks.map((c) => c.slice(0, 10))).toEqual(['shc:/1/3/5', 'shc:/2/3/5', 'shc:/3/3/5']);
    expect(chunks.map((c) => c.length)).toEqual([9 + 2000, 9 + 2000, 9 + 2000]);
  });

  test('when a chunk is missing or repeated, then SHC_QR_INVALID', () => {
    const chunks = encodeShcQr('a'.repeat(3000));
    expectFormatError(
      () => decodeShcQr(chunks.slice(0, 2)),
      'SHC_QR_INVALID',
      'SHC QR: expected 3 chunks, got 2 with inconsistent totals',
    );
    expectFormatError(
      () => decodeShcQr([chunks[0]!, chunks[0]!, chunks[2]!]),
      'SHC_QR_INVALID',
      'SHC QR: chunk 1 appears twice',
    );
    expectFormatError(() => decodeShcQr(['shc:/4/3/00']), 'SHC_QR_INVALID', 'SHC QR: chunk 4 of 3 is out of range');
  });

  test('when digits are wrong, then SHC_QR_INVALID with the offset', () => {
    expectFormatError(() => decodeShcQr('shc:/00x0'), 'SHC_QR_INVALID', 'SHC QR: non-digit at offset 7');
    expectFormatError(() => decodeShcQr('shc:/001'), 'SHC_QR_INVALID', 'SHC QR: odd number of digits');
    expectFormatError(() => decodeShcQr('shc:/0078'), 'SHC_QR_INVALID', 'SHC QR: pair 78 at offset 7 is above 77');
    expectFormatError(() => decodeShcQr('http://x'), 'PREFIX_MISSING', 'SHC QR: the text does not start with "shc:/"');
  });

  test('when a character cannot be represented, then encoding refuses with SHC_QR_INVALID', () => {
    expectFormatError(
      () => encodeShcQr('a b'),
      'SHC_QR_INVALID',
      'SHC QR: character at offset 1 cannot be encoded numerically',
    );
  });

  test('when thousands of random strings are decoded, then each returns text or fails typed', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.string({ unit: fc.constantFrom(...'0123456789/'.split('')), maxLength: 80 }).map((s) => `shc:/${s}`),
        ),
        (s) => {
          const err = onlyFormatErrors(() => decodeShcQr(s));
          if (err !== undefined) expect(['SHC_QR_INVALID', 'PREFIX_MISSING']).toContain(err.code);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
