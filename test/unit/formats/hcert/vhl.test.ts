import { randomBytes } from 'node:crypto';
import { HCERT_KEY } from '../../../../src/formats/hcert/claim-keys.ts';
import { decodeHc1, verifyHc1 } from '../../../../src/formats/hcert/verify.ts';
import { signVhl, vhlLinks } from '../../../../src/formats/hcert/vhl.ts';
import { encodeShlink, newShlinkKey } from '../../../../src/formats/shl/link.ts';
import { AT_VALIDATION, ecKeyPair, expectFormatError, IAT, KID } from '../fixtures.ts';

const es = ecKeyPair();
const signer = { privateKey: es.privateKey, alg: 'ES256' as const, kid: KID };
const link = {
  url: 'https://shl.example/m/abc',
  key: newShlinkKey((n) => new Uint8Array(randomBytes(n))),
  flag: 'P',
  label: 'IPS',
};

describe('Verifiable Health Links (HCERT carrying an SHL)', () => {
  test('when a VHL is signed, then the hcert claim holds the bare shlink under sub-key 5 and a verified HCERT yields it', async () => {
    const qr = signVhl(
      {
        iss: 'XX',
        iat: IAT,
        exp: IAT + 86400 * 30,
        shlinks: [encodeShlink(link, { viewerUrl: 'https://viewer.example/' })],
      },
      signer,
    );
    const decoded = decodeHc1(qr);
    expect(decoded.claims.hcert.get(HCERT_KEY.smartHealthLink)).toEqual([encodeShlink(link)]);
    const verdict = await verifyHc1(qr, async () => [{ publicKey: es.publicKey }], AT_VALIDATION);
    expect(vhlLinks(verdict)).toEqual([link]);
  });

  test('when the VHL does not verify, then vhlLinks refuses with the verdict error', async () => {
    const qr = signVhl({ iss: 'XX', iat: IAT, shlinks: [encodeShlink(link)] }, signer);
    const verdict = await verifyHc1(qr, async () => [{ publicKey: ecKeyPair().publicKey }], AT_VALIDATION);
    expectFormatError(
      () => vhlLinks(verdict),
      'COSE_BAD_SIGNATURE',
      'COSE: the signature does not verify with any of the 1 candidate keys',
    );
  });

  test('when no link is given, then HCERT_INVALID', () => {
    expectFormatError(
      () => signVhl({ iss: 'XX', iat: IAT, shlinks: [] }, signer),
      'HCERT_INVALID',
      'VHL: at least one SMART Health Link is required',
    );
  });
});
