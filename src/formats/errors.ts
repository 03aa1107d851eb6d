/**
 * The one error type of `formats/`: a closed set of stable codes, each with a message a person understands.
 * Decoders never let a raw library error escape; they wrap it in a FormatError (jose's habit of stable codes).
 */

/** Every way a credential codec can fail. Codes are stable: `$verify` reports them and tests pin them. */
export type FormatErrorCode =
  | 'INPUT_INVALID' // wrong type or empty input
  | 'INPUT_TOO_LARGE' // input over the configured length cap
  | 'PREFIX_MISSING' // HC1:/shc:/shlink:/ prefix absent
  | 'BASE45_INVALID' // RFC 9285 violation
  | 'BASE64URL_INVALID'
  | 'INFLATE_INVALID' // corrupt zlib / raw DEFLATE stream
  | 'INFLATE_TOO_LARGE' // decompressed size over the cap (bomb)
  | 'CBOR_INVALID' // not well-formed CBOR, or a construct we refuse
  | 'CBOR_LIMIT' // nesting depth, item count or declared length over the cap
  | 'COSE_INVALID' // not a COSE_Sign1 structure
  | 'COSE_BAD_SIGNATURE' // no candidate key verified the signature
  | 'SIGNATURE_ENCODING' // DER ECDSA signature where raw r||s is required
  | 'ALG_NOT_ALLOWED' // alg absent, `none`, or not on the allow-list
  | 'KID_UNKNOWN' // the key lookup returned no candidate
  | 'KEY_INVALID' // key of the wrong type/curve for the algorithm, or unusable
  | 'CWT_INVALID' // claims map malformed
  | 'CWT_EXPIRED'
  | 'CLOCK_INVALID' // the validation time is not a real instant: time checks fail closed
  | 'CRIT_UNSUPPORTED' // a crit header names an extension this verifier does not understand (RFC 7515 §4.1.11, RFC 9052 §3.1)
  | 'CWT_NOT_YET_VALID'
  | 'HCERT_INVALID' // -260 claim missing or malformed
  | 'JSON_INVALID'
  | 'JSON_TOO_LARGE'
  | 'JWS_INVALID' // compact JWS malformed / header wrong
  | 'JWS_BAD_SIGNATURE'
  | 'SHC_INVALID' // payload is not a SMART Health Card
  | 'SHC_EXPIRED'
  | 'SHC_NOT_YET_VALID'
  | 'SHC_QR_INVALID' // shc:/ numeric form or chunk set malformed
  | 'SHLINK_INVALID'
  | 'SHLINK_EXPIRED'
  | 'JWE_INVALID'
  | 'JWE_DECRYPT_FAILED'
  | 'MANIFEST_INVALID'
  | 'SHL_FETCH_REFUSED' // the SHL URL is not allowed (SHL_FETCH_ALLOW, scheme, credentials, non-public address); never contacted
  | 'SHL_FETCH_FAILED' // network error, timeout, redirect or HTTP error status while fetching an SHL
  | 'SHL_FETCH_TOO_LARGE' // the SHL response is over the byte cap
  | 'QR_TOO_LARGE' // the payload does not fit the QR version allowed (rendering)
  | 'QR_IMAGE_UNSUPPORTED' // uploaded image is neither PNG nor JPEG
  | 'QR_IMAGE_CORRUPT' // PNG/JPEG that does not decode (truncated, bad chunks or markers)
  | 'QR_IMAGE_TOO_LARGE' // image file or declared pixel size over the cap
  | 'QR_NOT_FOUND'; // image decodes but holds no readable QR: a misread, not "not a credential"

export interface FormatErrorDetails {
  /** Character or byte offset of the fault in the input of the failing step, when one exists. */
  offset?: number;
  /** The underlying library error, kept for logs; never shown as the message. */
  cause?: unknown;
}

/**
 * A typed codec failure. `code` is stable; `message` is for people.
 * @example throw new FormatError('BASE45_INVALID', 'Base45: character "a" at offset 9 is not in the RFC 9285 alphabet', { offset: 9 })
 */
export class FormatError extends Error {
  readonly code: FormatErrorCode;
  readonly offset: number | undefined;

  constructor(code: FormatErrorCode, message: string, details: FormatErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FormatError';
    this.code = code;
    this.offset = details.offset;
  }
}

/**
 * Narrowing helper for callers that catch `unknown`.
 * @example if (isFormatError(err)) return outcomeFor(err.code)
 */
export function isFormatError(value: unknown): value is FormatError {
  return value instanceof FormatError;
}
