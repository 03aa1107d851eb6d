import fc from 'fast-check';
import { deflateSync } from 'node:zlib';
import { deflate, hasZlibHeader, inflate } from '../../../src/formats/deflate.ts';
import { expectFormatError, onlyFormatErrors } from './fixtures.ts';

/** 16 MiB of zeros compress to ~16 KiB: a classic bomb. */
const BOMB = new Uint8Array(deflateSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 }));

describe('deflate / inflate with a hard cap', () => {
  test.each(['zlib', 'raw'] as const)('when %s data is deflated and inflated, then the bytes come back', (flavour) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), (bytes) =>
        expect(inflate(deflate(bytes, flavour), flavour, 8000)).toEqual(bytes),
      ),
      { numRuns: 300 },
    );
  });

  test('when a zlib bomb inflates past the cap, then INFLATE_TOO_LARGE stops it', () => {
    expect(BOMB.length).toBeLessThan(64 * 1024);
    expectFormatError(
      () => inflate(BOMB, 'zlib', 1024 * 1024),
      'INFLATE_TOO_LARGE',
      'Decompressed data exceeds the cap of 1048576 bytes',
    );
  });

  test('when the stream is corrupt, then INFLATE_INVALID says so', () => {
    expectFormatError(
      () => inflate(new Uint8Array([0x78, 0x9c, 0xff, 0xff, 0xff]), 'zlib', 1000),
      'INFLATE_INVALID',
      /^The zlib stream is corrupt: /,
    );
  });

  test('when the stream is truncated, then INFLATE_INVALID', () => {
    const whole = deflate(new TextEncoder().encode('hello hello hello hello'), 'raw');
    expectFormatError(
      () => inflate(whole.subarray(0, whole.length - 3), 'raw', 1000),
      'INFLATE_INVALID',
      /^The raw DEFLATE stream is corrupt: /,
    );
  });

  test('when bytes start with a valid zlib header, then hasZlibHeader is true; otherwise false', () => {
    expect(hasZlibHeader(deflate(new Uint8Array(10), 'zlib'))).toBe(true);
    expect(hasZlibHeader(new Uint8Array([0xd2, 0x84]))).toBe(false);
    expect(hasZlibHeader(new Uint8Array([0x78]))).toBe(false);
  });

  test('when thousands of mutated streams are inflated, then each returns or fails typed within the cap', () => {
    const seed = deflate(new TextEncoder().encode('x'.repeat(3000) + 'abcdef'.repeat(200)), 'zlib');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(seed.length),
        (edits, cut) => {
          const bytes = seed.slice(0, Math.max(2, cut));
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const err = onlyFormatErrors(() => expect(inflate(bytes, 'zlib', 8192).length).toBeLessThanOrEqual(8192));
          if (err !== undefined) expect(['INFLATE_INVALID', 'INFLATE_TOO_LARGE']).toContain(err.code);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
