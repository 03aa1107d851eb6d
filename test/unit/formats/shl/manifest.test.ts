import fc from 'fast-check';
import {
  buildManifestResponse,
  parseManifestRequest,
  parseManifestResponse,
} from '../../../../src/formats/shl/manifest.ts';
import { expectFormatError, onlyFormatErrors } from '../fixtures.ts';

const jwe = 'eyJhbGciOiJkaXIifQ..aXY.Y3Q.dGFn';

describe('SHL manifest shapes', () => {
  test('when a request has recipient, passcode and embeddedLengthMax, then it is accepted as is', () => {
    expect(
      parseManifestRequest(
        { recipient: 'Clinic A', passcode: '1234', embeddedLengthMax: 4096 },
        { requirePasscode: true },
      ),
    ).toEqual({ recipient: 'Clinic A', passcode: '1234', embeddedLengthMax: 4096 });
  });

  test.each([
    ['no recipient', {}, {}, 'SHL manifest: recipient is required (text, at most 1024 characters)'],
    [
      'a missing passcode on a P link',
      { recipient: 'A' },
      { requirePasscode: true },
      'SHL manifest: this link needs a passcode',
    ],
    [
      'a negative embeddedLengthMax',
      { recipient: 'A', embeddedLengthMax: -1 },
      {},
      'SHL manifest: embeddedLengthMax must be a non-negative integer',
    ],
    ['a numeric passcode', { recipient: 'A', passcode: 1234 }, {}, 'SHL manifest: passcode must be text'],
  ])('when a request has %s, then MANIFEST_INVALID', (_name, body, options, message) => {
    expectFormatError(() => parseManifestRequest(body, options), 'MANIFEST_INVALID', message);
  });

  test('when files fit embeddedLengthMax, then they are embedded; otherwise they get their location', () => {
    const files = [
      { contentType: 'application/fhir+json' as const, jwe, location: 'https://shl.example/f/1' },
      {
        contentType: 'application/smart-health-card' as const,
        jwe: `${jwe}${'x'.repeat(100)}`,
        location: 'https://shl.example/f/2',
      },
    ];
    expect(buildManifestResponse(files, 50)).toEqual({
      files: [
        { contentType: 'application/fhir+json', embedded: jwe },
        { contentType: 'application/smart-health-card', location: 'https://shl.example/f/2' },
      ],
    });
  });

  test.each([
    ['no files array', {}, 'SHL manifest: the response must be an object with a files array'],
    [
      'an unknown content type',
      { files: [{ contentType: 'text/plain', embedded: jwe }] },
      'SHL manifest: files[0].contentType "text/plain" is not an SHL content type',
    ],
    [
      'both embedded and location',
      { files: [{ contentType: 'application/fhir+json', embedded: jwe, location: 'https://x' }] },
      'SHL manifest: files[0] needs exactly one of embedded or location',
    ],
    [
      'a non-JWE embedded',
      { files: [{ contentType: 'application/fhir+json', embedded: 'abc' }] },
      'SHL manifest: files[0].embedded is not a compact JWE',
    ],
    [
      'an http location',
      { files: [{ contentType: 'application/fhir+json', location: 'http://x' }] },
      'SHL manifest: files[0].location is not an https URL',
    ],
  ])('when a response has %s, then MANIFEST_INVALID', (_name, body, message) => {
    expectFormatError(() => parseManifestResponse(body), 'MANIFEST_INVALID', message);
  });
});

describe('SHL manifest shapes under fuzzing', () => {
  test('when thousands of arbitrary JSON bodies are checked, then each is accepted or fails with MANIFEST_INVALID', () => {
    const fileLike = fc.record({
      contentType: fc.constantFrom('application/fhir+json', 'text/plain', 3),
      embedded: fc.option(fc.constantFrom(jwe, 'x', 1), { nil: undefined }),
      location: fc.option(fc.constantFrom('https://a', 'http://b'), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ files: fc.array(fc.oneof(fileLike, fc.jsonValue()), { maxLength: 4 }) }),
          fc.record({ recipient: fc.jsonValue(), passcode: fc.jsonValue() }),
        ),
        (body) => {
          for (const parse of [parseManifestResponse, parseManifestRequest]) {
            const err = onlyFormatErrors(() => parse(body));
            if (err !== undefined) expect(err.code).toBe('MANIFEST_INVALID');
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
