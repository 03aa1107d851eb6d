import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { decodeShlink, encodeShlink, newShlinkKey, type ShlinkPayload } from '../../../../src/formats/shl/link.ts';
import { expectFormatError, onlyFormatErrors } from '../fixtures.ts';

const key = newShlinkKey((n) => new Uint8Array(randomBytes(n)));
const payload: ShlinkPayload = {
  url: 'https://shl.example/m/Yx4mrsXq2c3Bn5T0j9zA1Jk8LwQvP7eR6uIoHgFdSaE',
  key,
  exp: 1_700_000_000,
  flag: 'LP',
  label: 'Immunizations',
  v: 1,
};

describe('shlink:/ links', () => {
  test('when a payload is encoded, then decoding returns it', () => {
    const link = encodeShlink(payload);
    expect(link.startsWith('shlink:/ey')).toBe(true);
    expect(decodeShlink(link)).toEqual(payload);
  });

  test('when the link sits behind a viewer URL, then decoding strips the viewer', () => {
    const link = encodeShlink(payload, { viewerUrl: 'https://viewer.example/shl#old' });
    expect(link.startsWith('https://viewer.example/shl#shlink:/')).toBe(true);
    expect(decodeShlink(link)).toEqual(payload);
  });

  test('when random valid payloads are encoded, then they round-trip', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.subarray(['L', 'P']),
        fc.string({ maxLength: 80 }),
        (bytes, flags, label) => {
          const p: ShlinkPayload = {
            url: 'https://shl.example/m/abc',
            key: newShlinkKey(() => bytes),
            flag: flags.join(''),
            label,
          };
          expect(decodeShlink(encodeShlink(p))).toEqual(p);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('when the link has expired at the given time, then SHLINK_EXPIRED', () => {
    expectFormatError(
      () => decodeShlink(encodeShlink(payload), { now: new Date(1_800_000_000_000) }),
      'SHLINK_EXPIRED',
      'SHL: the link expired at 2023-11-14T22:13:20.000Z',
    );
  });

  test.each([
    ['an http url', { url: 'http://x.example/m' }, 'SHL: url must be an https URL of at most 128 characters'],
    [
      'a url over 128 characters',
      { url: `https://x.example/${'a'.repeat(120)}` },
      'SHL: url must be an https URL of at most 128 characters',
    ],
    ['a url with a bad host', { url: 'https://a b/m' }, 'SHL: url is not a valid URL'],
    ['a short key', { key: 'abc' }, 'SHL: key must be 32 bytes in base64url (43 characters)'],
    ['flags P and U', { flag: 'PU' }, 'SHL: flags P and U cannot be combined'],
    ['an unknown flag', { flag: 'X' }, 'SHL: flag must be distinct letters from L, P, U'],
    ['a long label', { label: 'x'.repeat(81) }, 'SHL: label must be text of at most 80 characters'],
    ['version 2', { v: 2 }, 'SHL: version 2 is not supported'],
  ])('when the payload has %s, then SHLINK_INVALID', (_name, change, message) => {
    expectFormatError(() => encodeShlink({ ...payload, ...change }), 'SHLINK_INVALID', message);
  });

  test.each(['http://localhost:8080/shl/m', 'http://127.0.0.1/shl/m', 'http://[::1]:9/m'])(
    'when the url is plain http on the loopback host %s (a server on a laptop), then it is accepted',
    (url) => {
      const p = { ...payload, url };
      expect(decodeShlink(encodeShlink(p))).toEqual(p);
    },
  );

  test.each(['http://localhost.evil.example/m', 'http://127.0.0.1.nip.io/m', 'http://10.0.0.1/m'])(
    'when the url is plain http on %s, then SHLINK_INVALID',
    (url) => {
      expectFormatError(
        () => encodeShlink({ ...payload, url }),
        'SHLINK_INVALID',
        'SHL: url must be an https URL of at most 128 characters',
      );
    },
  );

  test('when the prefix is absent, then PREFIX_MISSING', () => {
    expectFormatError(
      () => decodeShlink('https://viewer.example/#nothing'),
      'PREFIX_MISSING',
      'SHL: no "shlink:/" in the link',
    );
  });

  test('when thousands of random or mutated links are decoded, then each returns or fails typed', () => {
    const link = encodeShlink(payload);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }).map((s) => `shlink:/${s}`),
          fc
            .tuple(fc.nat(link.length), fc.string({ maxLength: 3 }))
            .map(([i, s]) => link.slice(0, i) + s + link.slice(i + 1)),
        ),
        (text) => {
          onlyFormatErrors(() => decodeShlink(text));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
