/**
 * SHL files as compact JWE: alg "dir", enc "A256GCM", cty = content type, optional zip "DEF". jose picks a
 * fresh random IV per encryption.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#encrypting-and-decrypting-files
 */
import { CompactEncrypt, compactDecrypt } from 'jose';
import { FormatError } from '../errors.ts';
import { decodeBase64Url, isJsonObject, parseJson } from '../json.ts';
import { resolveLimits, type CodecLimits } from '../limits.ts';

export type ShlContentType = 'application/fhir+json' | 'application/smart-health-card' | 'application/smart-api-access';
export const SHL_CONTENT_TYPES: readonly ShlContentType[] = [
  'application/fhir+json',
  'application/smart-health-card',
  'application/smart-api-access',
];

function keyBytes(key: string | Uint8Array): Uint8Array {
  const bytes = typeof key === 'string' ? decodeBase64Url(key, 'SHL key') : key;
  if (bytes.length !== 32)
    throw new FormatError('KEY_INVALID', `SHL: the key has ${bytes.length} bytes; A256GCM needs 32`);
  return bytes;
}

/**
 * Encrypt one SHL file.
 * @example await encryptShlFile(JSON.stringify(bundle), link.key, { contentType: 'application/fhir+json', zip: true })
 */
export async function encryptShlFile(
  content: string | Uint8Array,
  key: string | Uint8Array,
  options: { contentType: ShlContentType; zip?: boolean },
): Promise<string> {
  const plaintext = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const header = {
    alg: 'dir',
    enc: 'A256GCM',
    cty: options.contentType,
    ...(options.zip === true ? { zip: 'DEF' } : {}),
  };
  return new CompactEncrypt(plaintext).setProtectedHeader(header).encrypt(keyBytes(key));
}

/** Files (IPS bundles, card sets) are far larger than QR payloads: their own defaults, still capped. */
export const SHL_FILE_LIMITS: Partial<CodecLimits> = Object.freeze({
  maxInputChars: 16 * 1024 * 1024,
  maxInflatedBytes: 32 * 1024 * 1024,
});

export interface DecryptedShlFile {
  contentType: ShlContentType;
  content: Uint8Array;
}

function checkHeader(jwe: string, limits: CodecLimits): ShlContentType {
  if (typeof jwe !== 'string' || jwe.length === 0)
    throw new FormatError('INPUT_INVALID', 'SHL: the JWE is empty or not text');
  if (jwe.length > limits.maxInputChars)
    throw new FormatError(
      'INPUT_TOO_LARGE',
      `SHL: the JWE has ${jwe.length} characters, above the cap of ${limits.maxInputChars}`,
    );
  const parts = jwe.split('.');
  if (parts.length !== 5)
    throw new FormatError('JWE_INVALID', `SHL: a compact JWE has 5 parts, this one ${parts.length}`);
  const header = parseJson(decodeBase64Url(parts[0]!, 'SHL JWE header'), limits, 'SHL JWE header');
  if (!isJsonObject(header)) throw new FormatError('JWE_INVALID', 'SHL: the JWE header is not a JSON object');
  if (header.alg !== 'dir' || header.enc !== 'A256GCM') {
    throw new FormatError(
      'ALG_NOT_ALLOWED',
      `SHL: alg ${JSON.stringify(header.alg)} / enc ${JSON.stringify(header.enc)} not allowed (dir / A256GCM)`,
    );
  }
  if (!SHL_CONTENT_TYPES.includes(header.cty as ShlContentType))
    throw new FormatError('JWE_INVALID', `SHL: cty ${JSON.stringify(header.cty)} is not an SHL content type`);
  return header.cty as ShlContentType;
}

/**
 * Decrypt one SHL file; the inflated size is capped. Throws JWE_INVALID / ALG_NOT_ALLOWED / JWE_DECRYPT_FAILED /
 * INFLATE_TOO_LARGE / INFLATE_INVALID.
 * @example new TextDecoder().decode((await decryptShlFile(jwe, link.key)).content)
 */
export async function decryptShlFile(
  jwe: string,
  key: string | Uint8Array,
  limits: Partial<CodecLimits> = {},
): Promise<DecryptedShlFile> {
  const resolved = resolveLimits({ ...SHL_FILE_LIMITS, ...limits });
  const contentType = checkHeader(jwe, resolved);
  try {
    const { plaintext } = await compactDecrypt(jwe, keyBytes(key), {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
      maxDecompressedLength: resolved.maxInflatedBytes,
    });
    return { contentType, content: plaintext };
  } catch (cause) {
    if (cause instanceof FormatError) throw cause;
    const message = (cause as Error).message;
    // jose checks its cap after each DecompressionStream chunk, so it may overshoot by one chunk (tens of KiB)
    if (/exceeded the configured limit/.test(message))
      throw new FormatError(
        'INFLATE_TOO_LARGE',
        `SHL: the decompressed file exceeds the cap of ${resolved.maxInflatedBytes} bytes`,
        { cause },
      );
    if (/Failed to decompress/.test(message))
      throw new FormatError('INFLATE_INVALID', 'SHL: the decrypted file is not valid raw DEFLATE', { cause });
    throw new FormatError(
      'JWE_DECRYPT_FAILED',
      'SHL: the file does not decrypt with this key (wrong key or tampered data)',
      { cause },
    );
  }
}
