import fc from 'fast-check';
import { readCertificate } from '../../../src/trust/x509.ts';
import { TrustError } from '../../../src/trust/errors.ts';
import { makeCa, makeDsc } from './pki.ts';

describe('readCertificate on hostile bytes', () => {
  test('when arbitrary bytes are read, then the only failure is CERT_UNPARSEABLE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          readCertificate(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(TrustError);
          expect((e as TrustError).code).toBe('CERT_UNPARSEABLE');
        }
      }),
      { numRuns: 300 },
    );
  });

  test('when a real certificate is truncated or has one byte flipped, then it is parsed or refused cleanly', async () => {
    const der = (await makeDsc(await makeCa('XA'))).der;
    fc.assert(
      fc.property(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, xor, truncate) => {
        const bytes = truncate ? der.slice(0, at) : der.map((b, i) => (i === at ? b ^ xor : b));
        try {
          const facts = readCertificate(bytes);
          expect(facts.kid).toHaveLength(12);
        } catch (e) {
          expect((e as TrustError).code).toBe('CERT_UNPARSEABLE');
        }
      }),
      { numRuns: 300 },
    );
  });
});
