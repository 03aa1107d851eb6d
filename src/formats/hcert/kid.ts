/**
 * HCERT key identifiers: the first 8 bytes of SHA-256 over the DSC's DER (EU eHN HCERT spec §3.3.1).
 */
import { hash, X509Certificate } from 'node:crypto';
import { FormatError } from '../errors.ts';
import type { CandidateKey } from './cose-sign1.ts';

/**
 * kid of a Document Signer Certificate.
 * @example Buffer.from(kidFromCertificate(der)).toString('base64') // e.g. 'DEsVUSvpFAE='
 * @see https://github.com/ehn-dcc-development/eu-dcc-hcert-spec/blob/main/hcert_spec.md#3-security-considerations
 */
export function kidFromCertificate(der: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', der, 'buffer').subarray(0, 8));
}

/**
 * A verification candidate from a DER certificate: parses it once so the KeyObject can be cached by the caller.
 * Throws KEY_INVALID when the bytes are not a certificate.
 * @example const candidate = candidateFromCertificate(der); await verifyHc1(qr, async () => [candidate], { validationTime })
 */
export function candidateFromCertificate(
  der: Uint8Array,
): CandidateKey & { kid: Uint8Array; certificate: X509Certificate } {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch (cause) {
    throw new FormatError('KEY_INVALID', 'The signer certificate is not a DER X.509 certificate', { cause });
  }
  return { publicKey: certificate.publicKey, kid: kidFromCertificate(der), certificate, ref: certificate };
}
