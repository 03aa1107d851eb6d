/**
 * The closed set of failures raised by `trust/`. Callers branch on `code`; tests pin `code` and `message`.
 * HTTP-facing code maps these to OperationOutcome issues (message id = code).
 */
export type TrustErrorCode =
  | 'CERT_UNPARSEABLE'
  | 'KEY_UNPARSEABLE'
  | 'FILE_UNREADABLE'
  | 'ISSUER_KEYS_INVALID'
  | 'DEV_KEYS_EXIST'
  | 'TRUSTLIST_FETCH_FAILED'
  | 'TRUSTLIST_TOO_LARGE'
  | 'TRUSTLIST_MALFORMED'
  | 'TRUSTLIST_EMPTY'
  | 'TRUSTLIST_SHRUNK'
  | 'TRUSTLIST_PROOF_MISSING'
  | 'TRUSTLIST_PROOF_INVALID'
  | 'TRUSTLIST_ROLLBACK'
  | 'TRUSTLIST_REF_REFUSED'
  | 'SHC_DIRECTORY_MALFORMED'
  | 'CMS_INVALID'
  | 'CERT_REFUSED'
  | 'KEY_FILE_EXISTS'
  | 'GATEWAY_REFUSED'
  | 'GATEWAY_UNREACHABLE';

export class TrustError extends Error {
  readonly code: TrustErrorCode;
  /** Every individual problem when one check found several (e.g. issuer key validation). */
  readonly problems: readonly string[];

  constructor(code: TrustErrorCode, message: string, problems: readonly string[] = []) {
    super(message);
    this.name = 'TrustError';
    this.code = code;
    this.problems = problems;
  }
}
