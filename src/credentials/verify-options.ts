/**
 * Options of `verifyCredential`: the clock, where trust comes from (the trust list, or keys the caller gives), the
 * SHL passcode and fetcher, the validator and an optional revocation source. Nothing here reaches the network by
 * itself: SHL manifests are fetched only through `fetchShl`, which the HTTP layer guards (SHL_FETCH_ALLOW).
 */
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { ManifestRequest, ManifestResponse } from '../formats/shl/manifest.ts';
import type { VhlinkPayload } from '../formats/shl/vhlink.ts';
import type { ValidateFn } from './issuer-context.ts';
import type { BusinessRulesRequest } from './verify-rules.ts';
import type { TrustLookups } from './trust-lookups.ts';
import type { CredentialKind, VerifyCheck } from './verdict.ts';

/**
 * Follows a `vhlink:/` (ITI-YY5 manifest request, then each document's attachment): the encrypted documents (JWE).
 * Throws as the sharer answered (OutcomeError kinds or errors with an HTTP `status`).
 */
export type VhlFetcher = (link: VhlinkPayload, request: { recipient: string; passcode?: string }) => Promise<string[]>;

/** Fetches an SHL manifest (POST) or, for flag U, the single encrypted file (GET, `request` undefined). */
export type ShlFetcher = (url: string, request: ManifestRequest | undefined) => Promise<ManifestResponse | string>;

/**
 * Revocation source: true when the credential is revoked, false when a fresh list holds it not, a string when the
 * check is skipped for that reason (e.g. the list expired), undefined when the source keeps no list for its issuer.
 * `signature` (HCERT COSE signature) and `issuedAt` (SHC nbf) serve imported lists (EU DCC SIGNATURE hashes, SHC rid timestamps).
 */
export type RevocationCheck = (query: {
  format: CredentialKind;
  issuer?: string;
  kid?: string;
  credentialId?: string;
  signature?: Uint8Array;
  issuedAt?: Date;
}) => Promise<boolean | string | undefined>;

export interface VerifyOptions {
  validationTime: Date;
  /** The configured trust list (used unless trustedCertificates / issuerJwks are given). */
  trust?: TrustLookups;
  /** Verify HCERTs against these DSCs instead of the trust list (PEM or base64 DER each). */
  trustedCertificates?: readonly string[];
  /** Verify SHCs against this JWKS (object or JSON text) instead of the trust configuration. */
  issuerJwks?: unknown;
  passcode?: string;
  /** Sent as the manifest `recipient` (default "gdhcn-gateway verifier"). */
  recipient?: string;
  fetchShl?: ShlFetcher;
  fetchVhl?: VhlFetcher;
  validate?: ValidateFn;
  /**
   * The `fhir-profile` check of the DDCC:VS document rebuilt from an HC1, planned for the rebuild's shape
   * (ddcc-vs-plan.ts; same verdict as profileCheck with `validate`). Absent: profileCheck.
   */
  checkDdccVsDocument?: (document: Bundle, warnings: OperationOutcomeIssue[]) => VerifyCheck;
  isRevoked?: RevocationCheck;
  /** Run the EU DCC business rules (the `business-rules` check); absent = no such check. */
  businessRules?: BusinessRulesRequest;
}
