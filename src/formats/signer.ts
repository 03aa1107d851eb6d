/**
 * The one signing seam. Every signature the server makes on its own behalf — HCERT/VHL (COSE_Sign1), SMART Health
 * Cards (JWS), the CMS upload to the trust network gateway — is asked of a `Signer`, never of a raw private key.
 * A hardware module (PKCS#11) or cloud KMS plugs in by implementing `sign`; see docs/decisions/0049-*.md.
 * `sign` is async because remote signers are; the local KeyObject signer answers at once.
 */
import { constants, createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { FormatError } from './errors.ts';
import { derToP1363 } from './es256.ts';

/** Algorithms our credentials use: ES256 (EC P-256, SHA-256) and PS256 (RSASSA-PSS, SHA-256, salt 32). */
export type SignatureAlg = 'ES256' | 'PS256';

export interface Signer {
  readonly alg: SignatureAlg;
  /** The public half, so callers can check a certificate matches before they publish it. */
  readonly publicKey: KeyObject;
  /**
   * Signs `data` (the whole to-be-signed bytes; the signer hashes with SHA-256). Returns the signature in the
   * JOSE/COSE form: raw r||s (64 bytes) for ES256, the PSS octets for PS256.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

const IS_P256 = new WeakMap<KeyObject, boolean>();

/** True when the key can serve the algorithm: ES256 needs EC P-256, PS256 needs RSA. */
export function keyFitsAlg(alg: SignatureAlg, key: KeyObject): boolean {
  if (alg !== 'ES256') return key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss';
  // Kept per key object (an issuer's key, never a credential): `asymmetricKeyDetails` builds a new object from the
  // native key on every read, ≈ 1-2 % of each verification and signature.
  let p256 = IS_P256.get(key);
  if (p256 === undefined) {
    p256 = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    IS_P256.set(key, p256);
  }
  return p256;
}

/** The algorithm a private key signs with: ES256 for EC P-256, PS256 for RSA. */
export function algForKey(key: KeyObject): SignatureAlg {
  return key.asymmetricKeyType === 'ec' ? 'ES256' : 'PS256';
}

/**
 * Synchronous signature with a local key, in the wire form of `alg`. Pure codecs and benches use it; the server
 * goes through `keyObjectSigner`, which wraps it.
 * @example rawSign('ES256', bytes, privateKey).length // 64
 */
export function rawSign(alg: SignatureAlg, data: Uint8Array, key: KeyObject): Uint8Array {
  if (!keyFitsAlg(alg, key))
    throw new FormatError('KEY_INVALID', `The ${key.asymmetricKeyType ?? 'given'} key cannot make ${alg} signatures`);
  if (alg === 'ES256') return derToP1363(nodeSign('sha256', data, key));
  return nodeSign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
}

/**
 * A Signer over a private key held in this process (a PEM file on disk).
 * @example const signer = keyObjectSigner(createPrivateKey(pem)); (await signer.sign(bytes)).length // 64 for ES256
 */
export function keyObjectSigner(privateKey: KeyObject, alg: SignatureAlg = algForKey(privateKey)): Signer {
  if (!keyFitsAlg(alg, privateKey))
    throw new FormatError(
      'KEY_INVALID',
      `The ${privateKey.asymmetricKeyType ?? 'given'} key cannot make ${alg} signatures`,
    );
  const publicKey = createPublicKey(privateKey);
  return { alg, publicKey, sign: async (data) => rawSign(alg, data, privateKey) };
}
