/**
 * `$verify` for Verifiable Health Links in both forms it meets: an HCERT whose claim -260 key 5 carries a link
 * (IHE ITI.VHL `vhlink:/`, or the earlier `shlink:/`), and a bare `vhlink:/` (unsigned: its issuer is not
 * authenticated, so signature and trust-chain are skipped and say why). A carried link is followed only after the
 * HCERT envelope verified (ITI-YY4: no retrieval after a failed signature). A `vhlink:/` is followed as ITI-YY5
 * says: a manifest request on its List search, then each DocumentReference's attachment, decrypted with the key.
 * https://profiles.ihe.net/ITI/VHL/ITI-YY4.html · https://profiles.ihe.net/ITI/VHL/ITI-YY5.html
 */
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { carriedLinkForm } from '../formats/hcert/vhl.ts';
import { FormatError } from '../formats/errors.ts';
import { decodeShlink } from '../formats/shl/link.ts';
import { decodeVhlink, type VhlinkPayload } from '../formats/shl/vhlink.ts';
import { failureOf, type VerifyCheck } from './verdict.ts';
import type { HcertCheckResult } from './verify-hcert.ts';
import type { VerifyOptions } from './verify-options.ts';
import { followLink, statusOf, unsignedLinkChecks, type FileFetch } from './verify-shl.ts';

export interface VhlCheckResult {
  checks: VerifyCheck[];
  content?: Bundle;
  payload?: VhlinkPayload;
  /** Which link form was seen: `vhlink` (IHE ITI.VHL) or `shlink` (earlier SHL-in-claim-5 VHLs). */
  linkForm?: 'vhlink' | 'shlink';
  warnings: OperationOutcomeIssue[];
}

/** ITI-YY5 answers in `$verify` terms: 403/404/410 = no longer served (revoked), 401/422 = passcode. */
function fetchFailure(e: unknown): VerifyCheck {
  const status = statusOf(e);
  if (status === 403 || status === 404 || status === 410)
    return {
      name: 'revocation',
      status: 'fail',
      failure: 'revoked',
      detail: `HTTP ${status}`,
      message: `The VHL folder is not served (revoked, expired, disabled or unknown): ${(e as Error).message}`,
    };
  const passcode = status === 401 || status === 422;
  return {
    name: 'decompress',
    status: 'fail',
    failure: 'decode-error',
    detail: passcode ? 'PASSCODE' : e instanceof FormatError ? e.code : 'FETCH_FAILED',
    message: passcode
      ? `The manifest needs a passcode, or the one given is wrong (${(e as Error).message})`
      : `The manifest could not be fetched: ${(e as Error).message}`,
  };
}

function vhlFetch(link: VhlinkPayload, options: VerifyOptions): FileFetch | undefined {
  const fetchVhl = options.fetchVhl;
  if (!fetchVhl) return undefined;
  return async () => {
    try {
      const request = {
        recipient: options.recipient ?? 'gdhcn-gateway verifier',
        ...(options.passcode !== undefined ? { passcode: options.passcode } : {}),
      };
      return { jwes: await fetchVhl(link, request) };
    } catch (e) {
      return { check: fetchFailure(e) };
    }
  };
}

const LINK_CHECKS = ['not-expired', 'decompress', 'payload-schema', 'fhir-profile', 'revocation'] as const;

/**
 * A bare `vhlink:/`: decoded and followed, but not signed.
 * @example const r = await checkVhlink('vhlink:/eyJ…', { validationTime: new Date(), fetchVhl })
 */
export async function checkVhlink(text: string, options: VerifyOptions): Promise<VhlCheckResult> {
  const warnings: OperationOutcomeIssue[] = [];
  let link: VhlinkPayload;
  try {
    link = decodeVhlink(text);
  } catch (e) {
    const code = e instanceof FormatError ? e.code : 'SHLINK_INVALID';
    return {
      checks: [
        { name: 'unprefix', status: 'fail', failure: failureOf(code), detail: code, message: (e as Error).message },
        ...(['signature', 'trust-chain', ...LINK_CHECKS] as const).map(
          (name): VerifyCheck => ({ name, status: 'skipped' }),
        ),
      ],
      linkForm: 'vhlink',
      warnings,
    };
  }
  const followed = await followLink(link, options, warnings, vhlFetch(link, options), 'VHL');
  return {
    checks: unsignedLinkChecks(
      'A bare vhlink:/ is not signed: only the HC1: form (HCERT claim -260 key 5) authenticates its sharer',
      followed.checks,
    ),
    payload: link,
    linkForm: 'vhlink',
    ...(followed.content ? { content: followed.content } : {}),
    warnings,
  };
}

/**
 * A VHL: the HCERT envelope's checks, then — only when they all passed — the carried link's.
 * @example const r = await checkVhl(await checkHcert(hc1, options), options)
 */
export async function checkVhl(envelope: HcertCheckResult, options: VerifyOptions): Promise<VhlCheckResult> {
  const warnings: OperationOutcomeIssue[] = [];
  const checks = envelope.checks.filter((c) => c.name !== 'fhir-profile' && c.name !== 'revocation');
  const text = envelope.verdict.payloads?.smartHealthLinks?.[0];
  const linkForm = text === undefined ? undefined : carriedLinkForm(text);
  const envelopeOk = checks.every((c) => c.status !== 'fail');
  const skip = (message: string): VhlCheckResult => ({
    checks: [
      ...checks,
      ...(['fhir-profile', 'revocation'] as const).map((name): VerifyCheck => ({ name, status: 'skipped', message })),
    ],
    ...(linkForm ? { linkForm } : {}),
    warnings,
  });
  if (!envelopeOk || !text) return skip('Not followed: the VHL envelope did not verify');
  let followed: { checks: VerifyCheck[]; content?: Bundle };
  let payload: VhlinkPayload | undefined;
  try {
    if (linkForm === 'vhlink') {
      payload = decodeVhlink(text);
      followed = await followLink(payload, options, warnings, vhlFetch(payload, options), 'VHL');
    } else followed = await followLink(decodeShlink(text), options, warnings);
  } catch (e) {
    const code = e instanceof FormatError ? e.code : 'SHLINK_INVALID';
    return {
      ...skip('Not followed: the carried link is malformed'),
      checks: [
        ...checks,
        {
          name: 'payload-schema',
          status: 'fail',
          failure: 'payload-invalid',
          detail: code,
          message: `Carried link: ${(e as Error).message}`,
        },
        { name: 'fhir-profile', status: 'skipped' },
        { name: 'revocation', status: 'skipped' },
      ],
    };
  }
  // not-expired, decompress and payload-schema appear twice (envelope, then link): the message says which is which.
  const linkChecks = followed.checks.map((c) => ({
    ...c,
    message: `Carried ${linkForm === 'vhlink' ? 'vhlink:/' : 'link'}: ${c.message ?? (c.status === 'pass' ? 'passed' : c.status)}`,
  }));
  return {
    checks: [...checks, ...linkChecks],
    ...(followed.content ? { content: followed.content } : {}),
    ...(payload ? { payload } : {}),
    ...(linkForm ? { linkForm } : {}),
    warnings,
  };
}
