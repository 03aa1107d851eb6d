/**
 * The EU DCC test vectors of ../shared/corpus (kind hcert) through `verifyCredential`, each with its DSC as
 * `trustedCertificates` and its clock as `validationTime`; every stated expectation is compared with the named check.
 * Agreement: 71 of 74 vectors (95.9 %). The three others are ES:2DCode:raw:401, 402 and 403: their header says ES256
 * (-7) but the DSC is a P-384 key with a 96-byte signature; ES256 is ECDSA P-256 (RFC 9053 §2.1, HCERT spec §3.3.2
 * allows ES256 and PS256 only), so we report signature-invalid where the vector expects a valid signature. The
 * formats suite (test/vectors/hcert-eu-dcc.test.ts) proves those signatures are mathematically valid with that key.
 * Vectors, expectation mapping and explained exceptions: test/vectors/eu-dcc-expectations.ts (shared with the HTTP run).
 */
import { verifyCredential } from '../../../src/credentials/verify.ts';
import type { CredentialVerdict } from '../../../src/credentials/verdict.ts';
import {
  disagreements,
  EU_DCC_VECTORS as vectors,
  EXPECTED_AGREEMENT,
  EXPLAINED_DISAGREEMENTS,
  validationTimeOf,
} from '../../vectors/eu-dcc-expectations.ts';

const WRONG_CURVE = new Set(Object.keys(EXPLAINED_DISAGREEMENTS));

describe('EU DCC vectors through verifyCredential', () => {
  const verdicts = new Map<string, CredentialVerdict>();
  beforeAll(async () => {
    for (const v of vectors)
      verdicts.set(
        v.id,
        await verifyCredential(v.qr, {
          validationTime: validationTimeOf(v),
          trustedCertificates: [v.certificateDerBase64],
        }),
      );
  });

  test(`when every vector is verified, then ${EXPECTED_AGREEMENT} of ${vectors.length} agree with their stated expectations (the rest are the explained disagreements)`, () => {
    const disagreeing = vectors.filter((v) => disagreements(v, verdicts.get(v.id)!.checks).length > 0).map((v) => v.id);
    expect(EXPECTED_AGREEMENT).toBeGreaterThanOrEqual(71); // the floor: 71/74 or better
    expect(disagreeing).toEqual([...WRONG_CURVE].filter((id) => verdicts.has(id)));
    expect(vectors.length - disagreeing.length).toBe(EXPECTED_AGREEMENT);
  });

  test('when a wrong-curve vector is verified, then only its signature check fails, with signature-invalid and the curve named', () => {
    for (const id of WRONG_CURVE) {
      const v = verdicts.get(id)!;
      expect(v.checks.filter((c) => c.status === 'fail').map((c) => [c.name, c.failure, c.message])).toEqual([
        ['signature', 'signature-invalid', 'COSE: ES256 needs an EC P-256 key; the candidate keys are secp384r1'],
      ]);
    }
  });

  test('when a vector verifies, then format, issuer, kid and the EU DCC content are reported', () => {
    const at = vectors.find((v) => v.expect.verify === true && v.expect.notExpired === true && !WRONG_CURVE.has(v.id))!;
    const v = verdicts.get(at.id)!;
    expect(v.format).toBe('hcert');
    expect(v.issuer).toMatch(/^[A-Z]{2}$/);
    expect(v.kid).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    expect(v.content?.entry?.[0]?.resource?.resourceType).toBe('Patient');
  });
});
