/**
 * The verdict of `$verify`, the same shape for every format (issue 7): named checks with pass | fail | skipped, a
 * stable failure code per failed check, and what was decoded. `verdictToParameters` renders it as the FHIR
 * Parameters resource of the operation. A misread QR (`decode-error`), "not a credential" (`not-a-credential`) and
 * an invalid credential (signature, trust, time, revocation, payload, profile codes) stay distinguishable.
 */
import type {
  Bundle,
  OperationOutcome,
  OperationOutcomeIssue,
  Parameters,
  ParametersParameter,
} from '@medplum/fhirtypes';
import { issue } from '../fhir/outcome.ts';
import type { MessageId } from '../fhir/message-ids.ts';
import type { FormatErrorCode } from '../formats/errors.ts';
import type { RuleResult } from '../rules/evaluate-rules.ts';

/** `document`: a FHIR document Bundle signed in `Bundle.signature` (what `$summary` returns). */
export type CredentialKind = 'hcert' | 'shc' | 'shl' | 'vhl' | 'document';

export type CheckName =
  | 'unprefix'
  | 'base45'
  | 'decompress'
  | 'cbor'
  | 'cose'
  | 'jws'
  | 'signature'
  | 'signer'
  | 'trust-chain'
  | 'not-before'
  | 'not-expired'
  | 'payload-schema'
  | 'fhir-profile'
  | 'revocation'
  | 'business-rules';

export type CheckStatus = 'pass' | 'fail' | 'skipped';

export type FailureCode =
  | 'not-a-credential'
  | 'decode-error'
  | 'signature-encoding'
  | 'signature-invalid'
  | 'signature-missing'
  | 'signer-mismatch'
  | 'key-unknown'
  | 'untrusted-chain'
  | 'expired'
  | 'not-yet-valid'
  | 'revoked'
  | 'payload-invalid'
  | 'profile-invalid'
  | 'rules-failed'
  | 'clock-invalid';

/** The system of the failure codes in `issue.details.coding`. */
export const FAILURE_SYSTEM = 'https://gdhcn-gateway.org/fhir/CodeSystem/verify-failure';

export interface VerifyCheck {
  name: CheckName;
  status: CheckStatus;
  message?: string;
  /** Set when status is fail. */
  failure?: FailureCode;
  /** The codec's own code (FormatError code) when one caused the failure. */
  detail?: string;
}

export interface CredentialVerdict {
  valid: boolean;
  format?: CredentialKind;
  /** Country (HCERT `iss`) or SHC `iss` URL, or the SHL manifest host. */
  issuer?: string;
  kid?: string;
  issuedAt?: string;
  expiresAt?: string;
  checks: VerifyCheck[];
  /** The decoded FHIR content (DDCC document, SHC bundle, IPS). */
  content?: Bundle;
  /** The decoded claim set. */
  payload?: unknown;
  /** One result per business rule evaluated (with the `business-rules` check). */
  rules?: RuleResult[];
  /** For a VHL: the link form seen, `vhlink` (IHE ITI.VHL) or `shlink` (the earlier SHL-in-claim-5 form). */
  linkForm?: 'vhlink' | 'shlink';
  /** One issue per failed check, plus warnings (stale trust list, profile warnings…). */
  outcome: OperationOutcome;
}

/**
 * FormatError code → failure code of `$verify`.
 * @example failureOf('BASE45_INVALID') // 'decode-error'
 */
export function failureOf(code: FormatErrorCode | string): FailureCode {
  switch (code) {
    case 'PREFIX_MISSING':
    case 'INPUT_INVALID':
      return 'not-a-credential';
    case 'SIGNATURE_ENCODING':
      return 'signature-encoding';
    case 'COSE_BAD_SIGNATURE':
    case 'JWS_BAD_SIGNATURE':
    case 'ALG_NOT_ALLOWED':
    case 'KEY_INVALID':
      return 'signature-invalid';
    case 'KID_UNKNOWN':
      return 'key-unknown';
    case 'CWT_EXPIRED':
    case 'SHC_EXPIRED':
    case 'SHLINK_EXPIRED':
      return 'expired';
    case 'CWT_NOT_YET_VALID':
    case 'SHC_NOT_YET_VALID':
      return 'not-yet-valid';
    case 'SHC_INVALID':
      return 'payload-invalid';
    case 'CLOCK_INVALID':
      return 'clock-invalid';
    default:
      return 'decode-error';
  }
}

const ISSUE_TYPE: Record<FailureCode, OperationOutcomeIssue['code']> = {
  'not-a-credential': 'structure',
  'decode-error': 'structure',
  'signature-encoding': 'security',
  'signature-invalid': 'security',
  'signature-missing': 'security',
  'signer-mismatch': 'security',
  'key-unknown': 'security',
  'untrusted-chain': 'security',
  expired: 'expired',
  'not-yet-valid': 'business-rule',
  revoked: 'security',
  'payload-invalid': 'invalid',
  'profile-invalid': 'invalid',
  'rules-failed': 'business-rule',
  'clock-invalid': 'invalid',
};

/** The message id of each failure code. */
const FAILURE_ID = {
  'not-a-credential': 'VERIFY_NOT_A_CREDENTIAL',
  'decode-error': 'VERIFY_DECODE_ERROR',
  'signature-encoding': 'VERIFY_SIGNATURE_ENCODING',
  'signature-invalid': 'VERIFY_SIGNATURE_INVALID',
  'signature-missing': 'VERIFY_SIGNATURE_MISSING',
  'signer-mismatch': 'VERIFY_SIGNER_MISMATCH',
  'key-unknown': 'VERIFY_KEY_UNKNOWN',
  'untrusted-chain': 'VERIFY_UNTRUSTED_CHAIN',
  expired: 'VERIFY_EXPIRED',
  'not-yet-valid': 'VERIFY_NOT_YET_VALID',
  revoked: 'VERIFY_REVOKED',
  'payload-invalid': 'VERIFY_PAYLOAD_INVALID',
  'profile-invalid': 'VERIFY_PROFILE_INVALID',
  'rules-failed': 'VERIFY_RULES_FAILED',
  'clock-invalid': 'VERIFY_CLOCK_INVALID',
} as const satisfies Record<FailureCode, MessageId>;

/**
 * The OperationOutcome issue of one failed check: failure code in details.coding, the check name as expression.
 * @example failedCheckIssue({ name: 'signature', status: 'fail', failure: 'signature-invalid' })
 */
export function failedCheckIssue(check: VerifyCheck): OperationOutcomeIssue {
  const failure = check.failure ?? 'decode-error';
  const base = issue({
    code: ISSUE_TYPE[failure],
    id: FAILURE_ID[failure],
    text: check.message ?? `${check.name} failed`,
  });
  base.details!.coding = [{ system: FAILURE_SYSTEM, code: failure }, ...(base.details!.coding ?? [])];
  return { ...base, diagnostics: `check ${check.name}${check.detail ? ` (${check.detail})` : ''}` };
}

/**
 * Assemble the verdict: valid when no check failed; one issue per failed check, then the extra issues.
 * @example finishVerdict({ format: 'shc', checks })
 */
export function finishVerdict(
  partial: Omit<CredentialVerdict, 'valid' | 'outcome'>,
  extra: OperationOutcomeIssue[] = [],
): CredentialVerdict {
  const failed = partial.checks.filter((c) => c.status === 'fail');
  const issues = [...failed.map(failedCheckIssue), ...extra];
  if (issues.length === 0)
    issues.push(issue({ severity: 'information', code: 'informational', id: 'VERIFY_OK', text: 'All checks passed' }));
  return { ...partial, valid: failed.length === 0, outcome: { resourceType: 'OperationOutcome', issue: issues } };
}

/**
 * Failure codes of the failed checks, in order (handy for callers and tests).
 * @example failuresOf(verdict) // ['expired']
 */
export function failuresOf(verdict: CredentialVerdict): FailureCode[] {
  return verdict.checks.filter((c) => c.status === 'fail').map((c) => c.failure ?? 'decode-error');
}

function rulePart(r: RuleResult): ParametersParameter {
  const part: ParametersParameter[] = [
    { name: 'identifier', valueString: r.identifier },
    { name: 'type', valueCode: r.type },
    { name: 'version', valueString: r.version },
    { name: 'result', valueCode: r.result },
    { name: 'description', valueString: r.description },
    ...r.affectedFields.map((f) => ({ name: 'affectedField', valueString: f })),
  ];
  if (r.message) part.push({ name: 'message', valueString: r.message });
  return { name: 'rule', part };
}

function checkPart(c: VerifyCheck): ParametersParameter {
  const part: ParametersParameter[] = [
    { name: 'name', valueCode: c.name },
    { name: 'status', valueCode: c.status },
  ];
  if (c.message) part.push({ name: 'message', valueString: c.message });
  if (c.failure) part.push({ name: 'failure', valueCoding: { system: FAILURE_SYSTEM, code: c.failure } });
  return { name: 'check', part };
}

/**
 * The `$verify` output Parameters: valid, format, issuer, kid, issuedAt, expiresAt, check*, content, payload, issues.
 * @example res.json(verdictToParameters(await verifyCredential(text, options)))
 */
export function verdictToParameters(v: CredentialVerdict): Parameters {
  const p: ParametersParameter[] = [{ name: 'valid', valueBoolean: v.valid }];
  if (v.format) p.push({ name: 'format', valueCode: v.format });
  if (v.linkForm) p.push({ name: 'linkForm', valueCode: v.linkForm });
  if (v.issuer) p.push({ name: 'issuer', valueString: v.issuer });
  if (v.kid) p.push({ name: 'kid', valueString: v.kid });
  if (v.issuedAt) p.push({ name: 'issuedAt', valueDateTime: v.issuedAt });
  if (v.expiresAt) p.push({ name: 'expiresAt', valueDateTime: v.expiresAt });
  p.push(...v.checks.map(checkPart));
  p.push(...(v.rules ?? []).map(rulePart));
  if (v.content) p.push({ name: 'content', resource: v.content });
  if (v.payload !== undefined) p.push({ name: 'payload', valueString: JSON.stringify(v.payload) });
  p.push({ name: 'issues', resource: v.outcome });
  return { resourceType: 'Parameters', parameter: p };
}
