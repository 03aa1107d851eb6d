import fc from 'fast-check';
import { createCipheriv, randomBytes } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { decryptShlFile, encryptShlFile } from '../../../../src/formats/shl/jwe.ts';
import { encodeBase64Url } from '../../../../src/formats/json.ts';
import { expectFormatErrorAsync, onlyFormatErrorsAsync } from '../fixtures.ts';

const key = encodeBase64Url(new Uint8Array(randomBytes(32)));
const bundle = JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [] });
const header = (jwe: string): unknown => JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString());

describe('SHL file JWE', () => {
  test('when a file is encrypted, then it is dir/A256GCM with cty, and decrypts to the same bytes', async () => {
    const jwe = await encryptShlFile(bundle, key, { contentType: 'application/fhir+json' });
    expect(header(jwe)).toEqual({ alg: 'dir', enc: 'A256GCM', cty: 'application/fhir+json' });
    const file = await decryptShlFile(jwe, key);
    expect(file.contentType).toBe('application/fhir+json');
    expect(new TextDecoder().decode(file.content)).toBe(bundle);
  });

  test('when zip is asked for, then the header says DEF and the content still round-trips', async () => {
    const jwe = await encryptShlFile(bundle, key, { contentType: 'application/smart-health-card', zip: true });
    expect(header(jwe)).toMatchObject({ zip: 'DEF' });
    expect(new TextDecoder().decode((await decryptShlFile(jwe, key)).content)).toBe(bundle);
  });

  test('when the same file is encrypted twice, then the IVs differ', async () => {
    const a = await encryptShlFile(bundle, key, { contentType: 'application/fhir+json' });
    const b = await encryptShlFile(bundle, key, { contentType: 'application/fhir+json' });
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  test('when arbitrary bytes are encrypted, then they decrypt equal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), async (bytes, zip) => {
        const jwe = await encryptShlFile(bytes, key, { contentType: 'application/fhir+json', zip });
        expect((await decryptShlFile(jwe, key)).content).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  test('when the key is wrong or the ciphertext flipped, then JWE_DECRYPT_FAILED', async () => {
    const jwe = await encryptShlFile(bundle, key, { contentType: 'application/fhir+json' });
    const message = 'SHL: the file does not decrypt with this key (wrong key or tampered data)';
    await expectFormatErrorAsync(() => decryptShlFile(jwe, new Uint8Array(32)), 'JWE_DECRYPT_FAILED', message);
    const parts = jwe.split('.');
    parts[3] = (parts[3]![0] === 'A' ? 'B' : 'A') + parts[3]!.slice(1);
    await expectFormatErrorAsync(() => decryptShlFile(parts.join('.'), key), 'JWE_DECRYPT_FAILED', message);
  });

  test('when the JWE uses another algorithm, then ALG_NOT_ALLOWED', async () => {
    const other = await new CompactEncrypt(new Uint8Array(3))
      .setProtectedHeader({ alg: 'dir', enc: 'A128GCM', cty: 'application/fhir+json' })
      .encrypt(new Uint8Array(16));
    await expectFormatErrorAsync(
      () => decryptShlFile(other, key),
      'ALG_NOT_ALLOWED',
      'SHL: alg "dir" / enc "A128GCM" not allowed (dir / A256GCM)',
    );
  });

  test('when the key is not 32 bytes, then KEY_INVALID', async () => {
    await expectFormatErrorAsync(
      () => encryptShlFile(bundle, new Uint8Array(16), { contentType: 'application/fhir+json' }),
      'KEY_INVALID',
      'SHL: the key has 16 bytes; A256GCM needs 32',
    );
  });

  test('when a zipped file inflates past the cap, then INFLATE_TOO_LARGE', async () => {
    const jwe = await encryptShlFile(new Uint8Array(4 * 1024 * 1024), key, {
      contentType: 'application/fhir+json',
      zip: true,
    });
    await expectFormatErrorAsync(
      () => decryptShlFile(jwe, key, { maxInflatedBytes: 65536 }),
      'INFLATE_TOO_LARGE',
      'SHL: the decompressed file exceeds the cap of 65536 bytes',
    );
  });

  test('when thousands of mutated JWEs are decrypted, then each fails typed', async () => {
    const jwe = await encryptShlFile(bundle, key, { contentType: 'application/fhir+json', zip: true });
    await fc.assert(
      fc.asyncProperty(
        fc.nat(jwe.length - 1),
        fc.constantFrom('A', 'b', '.', '-', '~'),
        fc.nat(jwe.length),
        async (at, c, cut) => {
          const text = (jwe.slice(0, at) + c + jwe.slice(at + 1)).slice(0, Math.max(1, cut));
          await onlyFormatErrorsAsync(() => decryptShlFile(text, key));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/** A dir/A256GCM JWE built by hand, so the header can claim zip DEF over bytes that are not DEFLATE. */
function handmadeJwe(protectedHeader: object, plaintext: Uint8Array): string {
  const h = encodeBase64Url(new TextEncoder().encode(JSON.stringify(protectedHeader)));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64url'), iv);
  cipher.setAAD(Buffer.from(h, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [h, '', encodeBase64Url(iv), encodeBase64Url(ciphertext), encodeBase64Url(cipher.getAuthTag())].join('.');
}

describe('SHL file JWE with a corrupt compressed body', () => {
  test('when a hand-made JWE without zip is decrypted, then it yields its plaintext (the helper is sound)', async () => {
    const jwe = handmadeJwe(
      { alg: 'dir', enc: 'A256GCM', cty: 'application/fhir+json' },
      new TextEncoder().encode('{}'),
    );
    expect(new TextDecoder().decode((await decryptShlFile(jwe, key)).content)).toBe('{}');
  });

  test('when the header says zip DEF but the plaintext is not DEFLATE, then INFLATE_INVALID', async () => {
    const jwe = handmadeJwe(
      { alg: 'dir', enc: 'A256GCM', cty: 'application/fhir+json', zip: 'DEF' },
      Uint8Array.of(0xff, 0xff, 0xff, 0xff),
    );
    await expectFormatErrorAsync(
      () => decryptShlFile(jwe, key),
      'INFLATE_INVALID',
      'SHL: the decrypted file is not valid raw DEFLATE',
    );
  });
});
