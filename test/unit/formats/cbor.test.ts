import fc from 'fast-check';
import { decodeCbor, encodeCbor, scanCbor } from '../../../src/formats/cbor.ts';
import { expectFormatError, onlyFormatErrors } from './fixtures.ts';

const LIMITS = { maxDepth: 32, maxItems: 1000 };
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('strict CBOR', () => {
  test('when an integer-keyed map is encoded, then it decodes to an equal Map', () => {
    const value = new Map<number, unknown>([
      [1, 'AT'],
      [-260, new Map([[1, { a: [1, 2.5, 'x', true, null] }]])],
      [4, new Uint8Array([1, 2])],
    ]);
    const decoded = decodeCbor(encodeCbor(value), LIMITS) as Map<number, unknown>;
    expect(decoded.get(1)).toBe('AT');
    expect(new Uint8Array(decoded.get(4) as Uint8Array)).toEqual(new Uint8Array([1, 2]));
    expect((decoded.get(-260) as Map<number, Map<string, unknown>>).get(1)!.get('a')).toEqual([
      1,
      2.5,
      'x',
      true,
      null,
    ]);
  });

  test('when JSON-like values are encoded, then they round-trip', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const normal = JSON.parse(JSON.stringify(value)) as unknown;
        const back = decodeCbor(encodeCbor(normal), { maxDepth: 32, maxItems: 100000 });
        expect(JSON.stringify(back, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v))).toBe(
          JSON.stringify(normal),
        );
      }),
      { numRuns: 500 },
    );
  });

  test('when nesting is deeper than the cap, then CBOR_LIMIT', () => {
    expectFormatError(
      () => scanCbor(new Uint8Array(40).fill(0x81), LIMITS),
      'CBOR_LIMIT',
      'CBOR: nesting deeper than 32 at byte 33',
    );
  });

  test('when a byte string declares more bytes than remain, then CBOR_LIMIT before any allocation', () => {
    expectFormatError(
      () => scanCbor(hex('5b 7fffffffffffffff 00'), LIMITS),
      'CBOR_LIMIT',
      /^CBOR: declared string length \d+ exceeds the 1 bytes left at byte 0$/,
    );
  });

  test('when an array declares more items than the cap, then CBOR_LIMIT', () => {
    expectFormatError(
      () => scanCbor(hex('9a 00100000'), LIMITS),
      'CBOR_LIMIT',
      'CBOR: declared count 1048576 exceeds the input or the item cap at byte 5',
    );
  });

  test('when there are more items than the cap, then CBOR_LIMIT', () => {
    const many = encodeCbor(new Array(2000).fill(0));
    expectFormatError(
      () => scanCbor(many, LIMITS),
      'CBOR_LIMIT',
      /^CBOR: declared count 2000 exceeds the input or the item cap/,
    );
  });

  test('when bytes trail the item, then CBOR_INVALID', () => {
    expectFormatError(
      () => scanCbor(hex('01 02'), LIMITS),
      'CBOR_INVALID',
      'CBOR: 1 trailing bytes after the item at byte 1',
    );
  });

  test('when a tag is not on the allow-list (e.g. cbor-x record tag 105), then CBOR_INVALID', () => {
    expectFormatError(
      () => scanCbor(hex('d8 69 80'), LIMITS),
      'CBOR_INVALID',
      'CBOR: tag 105 is not allowed at byte 0',
    );
  });

  test('when the data ends early, then CBOR_INVALID (or CBOR_LIMIT when a count promises more than remains)', () => {
    expectFormatError(() => scanCbor(hex(''), LIMITS), 'CBOR_INVALID', 'CBOR: unexpected end of data at byte 0');
    expectFormatError(() => scanCbor(hex('82 01 18'), LIMITS), 'CBOR_INVALID', 'CBOR: truncated head at byte 2');
    expectFormatError(
      () => scanCbor(hex('82 01'), LIMITS),
      'CBOR_LIMIT',
      'CBOR: declared count 2 exceeds the input or the item cap at byte 1',
    );
  });

  test('when indefinite-length items are well formed, then they decode', () => {
    expect(decodeCbor(hex('9f 01 02 ff'), LIMITS)).toEqual([1, 2]);
    expectFormatError(
      () => scanCbor(hex('9f 01 02'), LIMITS),
      'CBOR_INVALID',
      'CBOR: unterminated indefinite-length container at byte 1',
    );
  });

  test('when reserved additional information is used, then CBOR_INVALID', () => {
    expectFormatError(
      () => scanCbor(hex('1c'), LIMITS),
      'CBOR_INVALID',
      'CBOR: reserved additional information 28 at byte 0',
    );
  });

  test('when thousands of random and mutated documents are decoded, then each returns or fails typed', () => {
    const seed = encodeCbor(
      new Map<number, unknown>([
        [1, 'AT'],
        [-260, new Map([[1, { nam: { fn: 'X' }, v: [{ dn: 1 }] }]])],
      ]),
    );
    const mutated = fc
      .tuple(
        fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat(seed.length),
      )
      .map(([edits, cut]) => {
        const bytes = seed.slice(0, cut);
        for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
        return bytes;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
        const err = onlyFormatErrors(() => decodeCbor(bytes, LIMITS));
        if (err !== undefined) expect(['CBOR_INVALID', 'CBOR_LIMIT']).toContain(err.code);
      }),
      { numRuns: 5000 },
    );
  });
});
