import fc from 'fast-check';
import { compactVerify, CompactSign, exportJWK } from 'jose';
import { deflate } from '../../../../src/formats/deflate.ts';
import { encodeBase64Url } from '../../../../src/formats/json.ts';
import { decodeShc, signShc, verifyShc, type ShcPayload } from '../../../../src/formats/shc/jws.ts';
import { shcKidFromJwk } from '../../../../src/formats/shc/keys.ts';
import {
  ecKeyPair,
  expectFormatError,
  expectFormatErrorAsync,
  IAT,
  onlyFormatErrorsAsync,
  rsaKeyPair,
} from '../fixtures.ts';

const es = ecKeyPair();
const kid = await shcKidFromJwk(await exportJWK(es.publicKey));
const lookup = async (k: string) => (k === kid ? [{ publicKey: es.publicKey }] : []);
const at = { validationTime: new Date((IAT + 60) * 1000) };
const bundle = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: [{ fullUrl: 'resource:0', resource: { resourceType: 'Patient', birthDate: '1951-01-20' } }],
};
const payload: ShcPayload = {
  iss: 'https://issuer.example',
  nbf: IAT,
  vc: {
    type: ['https://smarthealth.cards#health-card'],
    credentialSubject: { fhirVersion: '4.0.1', fhirBundle: bundle },
  },
};
const jws = await signShc(payload, { privateKey: es.privateKey, kid });

const b64json = (value: unknown): string => encodeBase64Url(new TextEncoder().encode(JSON.stringify(value)));
/** A JWS with any header/payload, signed correctly by our key (for shapes signShc never makes). */
async function custom(header: Record<string, unknown>, body: Uint8Array): Promise<string> {
  return new CompactSign(body).setProtectedHeader({ alg: 'ES256', ...header }).sign(es.privateKey);
}
const zipped = (value: unknown): Uint8Array => deflate(new TextEncoder().encode(JSON.stringify(value)), 'raw');

describe('SMART Health Card JWS', () => {
  test('when a card is signed, then it verifies and decodes to the same payload with the spec header', async () => {
    const verdict = await verifyShc(jws, lookup, at);
    expect(verdict.valid).toBe(true);
    expect(verdict.header).toEqual({ zip: 'DEF', alg: 'ES256', kid });
    expect(verdict.payload).toEqual(payload);
    expect(verdict.steps.map((s) => s.step)).toEqual([
      'jws',
      'decompress',
      'json',
      'signature',
      'notExpired',
      'notBefore',
    ]);
  });

  test('when jose checks our signature and we check a jose signature, then both agree (interop)', async () => {
    await expect(compactVerify(jws, es.publicKey, { algorithms: ['ES256'] })).resolves.toBeDefined();
    const joseSigned = await custom({ zip: 'DEF', kid }, zipped(payload));
    expect((await verifyShc(joseSigned, lookup, at)).valid).toBe(true);
  });

  test('when many cards are signed and many jose signatures checked, then jose and we agree on every one (r||s halves with leading zeros included)', async () => {
    for (let i = 0; i < 40; i++) {
      const card = { ...payload, nbf: IAT + i };
      await expect(
        compactVerify(await signShc(card, { privateKey: es.privateKey, kid }), es.publicKey, { algorithms: ['ES256'] }),
      ).resolves.toBeDefined();
      expect((await verifyShc(await custom({ zip: 'DEF', kid }, zipped(card)), lookup, at)).valid).toBe(true);
    }
  });

  test('when one character of the signature changes, then JWS_BAD_SIGNATURE', async () => {
    const [h, p, s] = jws.split('.');
    const flipped = `${h}.${p}.${s![0] === 'A' ? 'B' : 'A'}${s!.slice(1)}`;
    const verdict = await verifyShc(flipped, lookup, at);
    expect(verdict.error?.code).toBe('JWS_BAD_SIGNATURE');
    expect(verdict.error?.message).toBe('SHC: the signature does not verify with any of the 1 candidate keys');
  });

  test('when alg is "none", then ALG_NOT_ALLOWED before any key is looked up', () => {
    const unsigned = `${b64json({ alg: 'none', zip: 'DEF', kid })}.${encodeBase64Url(zipped(payload))}.`;
    expectFormatError(
      () => decodeShc(unsigned),
      'ALG_NOT_ALLOWED',
      'SHC: algorithm "none" is not allowed (allowed: ES256)',
    );
  });

  test('when zip is missing, then JWS_INVALID', async () => {
    expectFormatError(
      () => decodeShc(`${b64json({ alg: 'ES256', kid })}.${encodeBase64Url(zipped(payload))}.AA`),
      'JWS_INVALID',
      'SHC: the JWS header must carry zip "DEF"',
    );
  });

  test('when the kid is unknown, then KID_UNKNOWN', async () => {
    const verdict = await verifyShc(jws, async () => [], at);
    expect(verdict.error?.code).toBe('KID_UNKNOWN');
    expect(verdict.error?.message).toBe(`SHC: no key is known for kid ${kid} of https://issuer.example`);
  });

  test('when the candidate is an RSA key, then KEY_INVALID', async () => {
    const verdict = await verifyShc(jws, async () => [{ publicKey: rsaKeyPair().publicKey }], at);
    expect(verdict.error?.code).toBe('KEY_INVALID');
  });

  test('when the signature is DER-encoded, then SIGNATURE_ENCODING', async () => {
    const { sign } = await import('node:crypto');
    const [h, p] = jws.split('.');
    const der = sign('sha256', Buffer.from(`${h}.${p}`), { key: es.privateKey, dsaEncoding: 'der' });
    const verdict = await verifyShc(`${h}.${p}.${encodeBase64Url(der)}`, lookup, at);
    expect(verdict.error?.code).toBe('SIGNATURE_ENCODING');
  });

  test('when the card has expired, then SHC_EXPIRED; when nbf is ahead, then SHC_NOT_YET_VALID', async () => {
    const expired = await signShc({ ...payload, exp: IAT + 10 }, { privateKey: es.privateKey, kid });
    const v1 = await verifyShc(expired, lookup, at);
    expect([v1.error?.code, v1.error?.message]).toEqual([
      'SHC_EXPIRED',
      'SHC: the card expired at 2021-06-01T00:00:10.000Z',
    ]);
    const v2 = await verifyShc(jws, lookup, { validationTime: new Date((IAT - 10) * 1000) });
    expect([v2.error?.code, v2.error?.message]).toEqual([
      'SHC_NOT_YET_VALID',
      'SHC: the card is not valid before 2021-06-01T00:00:00.000Z',
    ]);
  });

  test('when the payload is a DEFLATE bomb, then INFLATE_TOO_LARGE', async () => {
    const bomb = await custom({ zip: 'DEF', kid }, deflate(new Uint8Array(8 * 1024 * 1024).fill(32), 'raw'));
    const verdict = await verifyShc(bomb, lookup, { ...at, limits: { maxInflatedBytes: 100_000 } });
    expect([verdict.error?.code, verdict.error?.message]).toEqual([
      'INFLATE_TOO_LARGE',
      'Decompressed data exceeds the cap of 100000 bytes',
    ]);
  });

  test.each([
    [
      'iss with a trailing slash',
      { ...payload, iss: 'https://issuer.example/' },
      'SHC: iss must be an https URL without a trailing slash',
    ],
    [
      'a plain http iss off the loopback host',
      { ...payload, iss: 'http://issuer.example' },
      'SHC: iss must be an https URL without a trailing slash',
    ],
    [
      'no health-card type',
      { ...payload, vc: { ...payload.vc, type: ['x'] } },
      'SHC: vc.type must include https://smarthealth.cards#health-card',
    ],
    [
      'no bundle',
      { ...payload, vc: { ...payload.vc, credentialSubject: { fhirVersion: '4.0.1' } } },
      'SHC: vc.credentialSubject needs fhirVersion and a fhirBundle of resourceType Bundle',
    ],
  ])('when the payload has %s, then SHC_INVALID', async (_name, bad, message) => {
    const verdict = await verifyShc(await custom({ zip: 'DEF', kid }, zipped(bad)), lookup, at);
    expect([verdict.error?.code, verdict.error?.message]).toEqual(['SHC_INVALID', message]);
  });

  test('when thousands of mutated JWS are verified, then none throws and failures are typed', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~';
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(jws.length - 1), fc.nat(alphabet.length - 1)), { maxLength: 3 }),
        fc.nat(jws.length),
        async (edits, cut) => {
          const chars = jws.slice(0, cut).split('');
          for (const [i, c] of edits) if (i < chars.length) chars[i] = alphabet[c]!;
          const text = chars.join('');
          const verdict = await verifyShc(text, lookup, at);
          if (!verdict.valid) expect(verdict.error?.name).toBe('FormatError');
          await onlyFormatErrorsAsync(async () => decodeShc(text));
        },
      ),
      { numRuns: 2500 },
    );
  });

  test('when the signer key is not P-256, then signShc refuses with KEY_INVALID', async () => {
    await expectFormatErrorAsync(
      () => signShc(payload, { privateKey: ecKeyPair('P-384').privateKey, kid }),
      'KEY_INVALID',
      'SHC: ES256 needs an EC P-256 private key',
    );
  });
});
