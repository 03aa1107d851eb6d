/**
 * SHL passcodes are stored only as salted scrypt hashes (RFC 7914) and compared in constant time.
 */
import { scrypt, timingSafeEqual } from 'node:crypto';

const N = 16384;
const KEY_LENGTH = 32;

function derive(passcode: string, salt: Buffer, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(passcode.normalize('NFC'), salt, KEY_LENGTH, { N: n, r: 8, p: 1 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * `scrypt$<N>$<salt b64url>$<hash b64url>` with a fresh 16-byte salt from `randomBytes`.
 * @example const stored = await hashPasscode('1234', NODE_RANDOMNESS.randomBytes)
 */
export async function hashPasscode(passcode: string, randomBytes: (n: number) => Uint8Array): Promise<string> {
  const salt = Buffer.from(randomBytes(16));
  const key = await derive(passcode, salt, N);
  return `scrypt$${N}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * True when `passcode` matches the stored hash.
 * @example await passcodeMatches('1234', stored) // true
 */
export async function passcodeMatches(passcode: string, stored: string): Promise<boolean> {
  const [scheme, n, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(passcode, Buffer.from(salt, 'base64url'), Number(n));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
