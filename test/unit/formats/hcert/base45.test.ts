import fc from 'fast-check';
import { createRequire } from 'node:module';
import { decodeBase45, encodeBase45 } from '../../../../src/formats/hcert/base45.ts';
import { expectFormatError, onlyFormatErrors } from '../fixtures.ts';

/** The npm package, measured here (ADR 0004); it ships no types. */
const base45npm = createRequire(import.meta.url)('base45') as { decode(text: string): Uint8Array };

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('base45 (RFC 9285)', () => {
  test.each([
    ['AB', 'BB8'],
    ['Hello!!', '%69 VD92EX0'],
    ['base-45', 'UJCLQE7W581'],
    ['ietf!', 'QED8WEX0'],
  ])('when %j is encoded, then the RFC 9285 §4.3 example %j comes out and decodes back', (plain, encoded) => {
    expect(encodeBase45(text(plain))).toBe(encoded);
    expect(new TextDecoder().decode(decodeBase45(encoded))).toBe(plain);
  });

  test('when any bytes are encoded, then decoding returns the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) =>
        expect(decodeBase45(encodeBase45(bytes))).toEqual(bytes),
      ),
      { numRuns: 2000 },
    );
  });

  test('when a character is outside the alphabet, then BASE45_INVALID names it and its offset', () => {
    expectFormatError(
      () => decodeBase45('BB8BBa', 4),
      'BASE45_INVALID',
      'Base45: character "a" at offset 9 is not in the RFC 9285 alphabet',
    );
  });

  test('when one character dangles, then BASE45_INVALID reports the length', () => {
    expectFormatError(
      () => decodeBase45('BB8B'),
      'BASE45_INVALID',
      'Base45: length 4 leaves a single dangling character at offset 3',
    );
  });

  test('when a triplet encodes more than 65535, then BASE45_INVALID (the npm base45 package accepts it)', () => {
    expectFormatError(
      () => decodeBase45(':::'),
      'BASE45_INVALID',
      'Base45: group at offset 0 encodes 91124, above 65535',
    );
    expect(base45npm.decode(':::').length).toBe(2); // why we do not use it: silent garbage
  });

  test('when a final pair encodes more than 255, then BASE45_INVALID', () => {
    expectFormatError(
      () => decodeBase45('::'),
      'BASE45_INVALID',
      'Base45: final pair at offset 0 encodes 2024, above 255',
    );
  });

  test('when thousands of random strings are decoded, then each returns bytes or a typed BASE45_INVALID', () => {
    fc.assert(
      fc.property(
        fc.string({
          maxLength: 200,
          unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:ab~\u00e9\u{1F600}'.split('')),
        }),
        (s) => {
          const err = onlyFormatErrors(() => decodeBase45(s));
          if (err !== undefined) expect(err.code).toBe('BASE45_INVALID');
        },
      ),
      { numRuns: 3000 },
    );
  });
});
