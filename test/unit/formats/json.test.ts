import fc from 'fast-check';
import { decodeBase64Url, encodeBase64Url, parseJson } from '../../../src/formats/json.ts';
import { expectFormatError, onlyFormatErrors } from './fixtures.ts';

const LIMITS = { maxJsonBytes: 1000, maxJsonDepth: 5 };

describe('capped JSON and strict base64url', () => {
  test('when JSON is within the caps, then it parses; brackets inside strings do not count as depth', () => {
    expect(parseJson('{"a":"[[[[[[[[[[","b":[1,{"c":2}]}', LIMITS)).toEqual({ a: '[[[[[[[[[[', b: [1, { c: 2 }] });
  });

  test('when JSON is too big, too deep, not UTF-8 or malformed, then a typed error', () => {
    expectFormatError(
      () => parseJson('x'.repeat(1001), LIMITS),
      'JSON_TOO_LARGE',
      'JSON: 1001 bytes exceed the cap of 1000',
    );
    expectFormatError(() => parseJson('[[[[[[1]]]]]]', LIMITS), 'JSON_INVALID', 'JSON: nesting deeper than 5');
    expectFormatError(
      () => parseJson(new Uint8Array([0x22, 0xff, 0x22]), LIMITS),
      'JSON_INVALID',
      'JSON: not valid UTF-8',
    );
    expectFormatError(() => parseJson('{"a":', LIMITS), 'JSON_INVALID', /^JSON: /);
  });

  test('when bytes are base64url-encoded, then they decode back; bad characters and lengths are typed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => expect(decodeBase64Url(encodeBase64Url(b))).toEqual(b)),
      { numRuns: 500 },
    );
    expectFormatError(
      () => decodeBase64Url('ab+c'),
      'BASE64URL_INVALID',
      'base64url: character at offset 2 is not base64url',
    );
    expectFormatError(
      () => decodeBase64Url('abcde'),
      'BASE64URL_INVALID',
      'base64url: length 5 is not a base64url length',
    );
  });

  test('when thousands of random texts are parsed, then each returns or fails typed', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[]",:1a\\ '.split('')), maxLength: 60 }), (s) => {
        onlyFormatErrors(() => parseJson(s, LIMITS));
      }),
      { numRuns: 3000 },
    );
  });
});
