/**
 * SMART Health Cards spec examples (smart-on-fhir/health-cards, gh-pages examples/), read from ../shared/corpus.
 * The examples were signed long ago; they carry no exp, so verifying "now" applies no age limit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeShc, verifyShc } from '../../src/formats/shc/jws.ts';
import { shcLookupFromJwks } from '../../src/formats/shc/keys.ts';
import { minifyBundle } from '../../src/formats/shc/minify.ts';
import { decodeShcQr, encodeShcQr } from '../../src/formats/shc/qr-numeric.ts';
import { renderCredentialQr } from '../../src/formats/qr.ts';

interface ShcVector {
  id: string;
  jws: string;
  numericQr: string[];
  issuerJwks: unknown;
  expectedFhirBundle: Record<string, unknown>;
  expect: { verify?: boolean };
}

const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');
const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as {
  files: { kind: string; file: string }[];
};
const vectors: ShcVector[] = manifest.files
  .filter((f) => f.kind === 'shc')
  .flatMap((f) => (JSON.parse(readFileSync(join(CORPUS, f.file), 'utf8')) as { cases: ShcVector[] }).cases);
const cases = vectors.map((v) => [v.id, v] as const);

describe('SMART Health Card examples (kind shc)', () => {
  test('when the manifest is read, then it yields the SHC examples', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(2);
  });

  test.each(cases)(
    'when %s is verified with its issuer JWKS, then it verifies and carries the expected bundle',
    async (_id, vector) => {
      const lookup = await shcLookupFromJwks(vector.issuerJwks);
      const verdict = await verifyShc(vector.jws, lookup, { validationTime: new Date() });
      expect(verdict.valid).toBe(vector.expect.verify ?? true);
      expect(verdict.steps.every((s) => s.status === 'passed')).toBe(true);
      expect(verdict.payload?.vc.credentialSubject.fhirBundle).toEqual(vector.expectedFhirBundle);
    },
  );

  test.each(cases)(
    'when %s is bound to another issuer URL, then the lookup finds no key (KID_UNKNOWN)',
    async (_id, vector) => {
      const lookup = await shcLookupFromJwks(vector.issuerJwks, 'https://other.example');
      const verdict = await verifyShc(vector.jws, lookup, { validationTime: new Date() });
      expect(verdict.error?.code).toBe('KID_UNKNOWN');
    },
  );

  test.each(cases)(
    'when %s numeric QR chunks are decoded, then they give the JWS, and encoding gives the same chunks',
    (_id, vector) => {
      expect(decodeShcQr(vector.numericQr)).toBe(vector.jws);
      expect(decodeShcQr([...vector.numericQr].reverse())).toBe(vector.jws);
      expect(encodeShcQr(vector.jws)).toEqual(vector.numericQr);
    },
  );

  test.each(cases)(
    'when %s bundle is minified again, then it is unchanged (the example is already minified)',
    (_id, vector) => {
      expect(minifyBundle(decodeShc(vector.jws).payload.vc.credentialSubject.fhirBundle)).toEqual(
        vector.expectedFhirBundle,
      );
    },
  );

  test.each(cases)('when each %s chunk is rendered, then it fits QR version 22 or lower', async (_id, vector) => {
    for (const chunk of vector.numericQr) {
      const image = await renderCredentialQr('shc', chunk, 'svg');
      expect(image.version).toBeLessThanOrEqual(22);
    }
  });
});
