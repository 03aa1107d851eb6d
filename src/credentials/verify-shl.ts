/**
 * `$verify` for SMART Health Links (`shlink:/…`, bare or behind a viewer URL), and the link-following steps the
 * Verifiable Health Link checks (verify-vhl.ts) reuse. The manifest and files are fetched only through the injected `fetchShl` (the HTTP layer enforces
 * SHL_FETCH_ALLOW, timeouts and size caps); the file is decrypted with the link's key and its FHIR content checked.
 * A VHL's link is followed only after the HCERT envelope verified.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html#receiving-application-processes-a-smart-health-link
 */
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { OutcomeError } from '../fhir/outcome.ts';
import { FormatError } from '../formats/errors.ts';
import { decryptShlFile } from '../formats/shl/jwe.ts';
import { decodeShlink, type ShlinkPayload } from '../formats/shl/link.ts';
import { parseManifestResponse, type ManifestResponse } from '../formats/shl/manifest.ts';
import { IPS_BUNDLE_PROFILE } from './issue-shl.ts';
import { failureOf, type VerifyCheck } from './verdict.ts';
import { profileCheck } from './verify-common.ts';
import { checkShc } from './verify-shc.ts';
import type { VerifyOptions } from './verify-options.ts';

export interface ShlCheckResult {
  checks: VerifyCheck[];
  content?: Bundle;
  payload?: ShlinkPayload;
  issuer?: string;
  expiresAt?: string;
  warnings: OperationOutcomeIssue[];
}

const KIND_STATUS: Partial<Record<OutcomeError['kind'], number>> = {
  'not-found': 404,
  gone: 410,
  unauthorized: 401,
  forbidden: 403,
  unprocessable: 422,
};

/** HTTP status of a fetch failure: `status` on the error, or the kind of an OutcomeError from an in-process fetcher. */
export function statusOf(e: unknown): number | undefined {
  if (e instanceof OutcomeError) return KIND_STATUS[e.kind];
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

async function fetchFiles(
  link: ShlinkPayload,
  options: VerifyOptions,
): Promise<{ jwes: string[] } | { check: VerifyCheck }> {
  const fetchShl = options.fetchShl!;
  try {
    if (link.flag?.includes('U')) {
      const file = await fetchShl(link.url, undefined);
      return { jwes: [typeof file === 'string' ? file : ''] };
    }
    const request = {
      recipient: options.recipient ?? 'gdhcn-gateway verifier',
      ...(options.passcode !== undefined ? { passcode: options.passcode } : {}),
    };
    const manifest: ManifestResponse = parseManifestResponse(await fetchShl(link.url, request));
    const jwes: string[] = [];
    for (const f of manifest.files) {
      if (f.embedded) jwes.push(f.embedded);
      else if (f.location) jwes.push(String(await fetchShl(f.location, undefined)));
    }
    return { jwes };
  } catch (e) {
    const status = statusOf(e);
    if (status === 404 || status === 410)
      return {
        check: {
          name: 'revocation',
          status: 'fail',
          failure: 'revoked',
          detail: `HTTP ${status}`,
          message: 'The link is no longer served (revoked, expired or disabled)',
        },
      };
    const detail = status === 401 ? 'PASSCODE' : e instanceof FormatError ? e.code : 'FETCH_FAILED';
    const message =
      status === 401
        ? `The manifest needs a passcode, or the one given is wrong (${(e as Error).message})`
        : `The manifest could not be fetched: ${(e as Error).message}`;
    return { check: { name: 'decompress', status: 'fail', failure: 'decode-error', detail, message } };
  }
}

interface OpenedFiles {
  bundle?: Bundle;
  cards: string[];
}

/** Decrypt every file; FHIR JSON becomes the content, SMART Health Card files give their JWSs to verify. */
async function decryptAll(link: FollowedLink, jwes: string[]): Promise<OpenedFiles> {
  const out: OpenedFiles = { cards: [] };
  for (const jwe of jwes) {
    const file = await decryptShlFile(jwe, link.key);
    const json = JSON.parse(new TextDecoder().decode(file.content)) as unknown;
    if (file.contentType === 'application/fhir+json' && !out.bundle) out.bundle = json as Bundle;
    if (file.contentType === 'application/smart-health-card') {
      const vcs = (json as { verifiableCredential?: unknown }).verifiableCredential;
      if (!Array.isArray(vcs) || !vcs.every((v) => typeof v === 'string'))
        throw new FormatError(
          'SHC_INVALID',
          'SHL: a smart-health-card file must hold { verifiableCredential: [JWS…] }',
        );
      out.cards.push(...(vcs as string[]));
    }
  }
  return out;
}

/** Each SHC file's own checks (signature, trust, time, profile…), labelled as coming from the link. */
async function cardChecks(
  cards: string[],
  options: VerifyOptions,
): Promise<{ checks: VerifyCheck[]; content?: Bundle; warnings: OperationOutcomeIssue[] }> {
  const checks: VerifyCheck[] = [];
  const warnings: OperationOutcomeIssue[] = [];
  let content: Bundle | undefined;
  for (const [i, jws] of cards.entries()) {
    const r = await checkShc(jws, options);
    checks.push(
      ...r.checks
        .filter((c) => c.name !== 'unprefix')
        .map((c) => ({ ...c, message: `SMART Health Card ${i + 1} in the link${c.message ? `: ${c.message}` : ''}` })),
    );
    warnings.push(...r.warnings);
    content ??= r.content;
  }
  return content ? { checks, content, warnings } : { checks, warnings };
}

async function openFiles(
  link: FollowedLink,
  jwes: string[],
  options: VerifyOptions,
  warnings: OperationOutcomeIssue[],
): Promise<{ checks: VerifyCheck[]; content?: Bundle }> {
  let opened: OpenedFiles;
  try {
    opened = await decryptAll(link, jwes);
  } catch (e) {
    const code = e instanceof FormatError ? e.code : 'JSON_INVALID';
    return {
      checks: [
        { name: 'decompress', status: 'fail', failure: failureOf(code), detail: code, message: (e as Error).message },
      ],
    };
  }
  const checks: VerifyCheck[] = [{ name: 'decompress', status: 'pass', message: `${jwes.length} file(s) decrypted` }];
  const cards = await cardChecks(opened.cards, options);
  warnings.push(...cards.warnings);
  const content = opened.bundle ?? cards.content;
  if (opened.bundle?.resourceType === 'Bundle') {
    checks.push(
      { name: 'payload-schema', status: 'pass' },
      profileCheck(opened.bundle, IPS_BUNDLE_PROFILE, options.validate, warnings),
    );
  } else if (opened.cards.length === 0) {
    checks.push(
      {
        name: 'payload-schema',
        status: 'fail',
        failure: 'payload-invalid',
        message: 'The link holds no FHIR Bundle and no SMART Health Card',
      },
      { name: 'fhir-profile', status: 'skipped' },
    );
  }
  checks.push(...cards.checks);
  return content ? { checks, content } : { checks };
}

/** What following a link needs of its payload (an SHL or a VHL payload). */
export type FollowedLink = Pick<ShlinkPayload, 'key' | 'exp' | 'flag'>;

/** Fetches the link's encrypted files, or says which check failed; absent when no fetcher is configured. */
export type FileFetch = () => Promise<{ jwes: string[] } | { check: VerifyCheck }>;

/**
 * Follow a decoded link: expiry, fetch (SHL manifest by default), decrypt, content checks.
 * @example const { checks, content } = await followLink(payload, options, warnings, () => fetchVhlFiles(payload, options))
 */
export async function followLink(
  link: FollowedLink,
  options: VerifyOptions,
  warnings: OperationOutcomeIssue[],
  fetch: FileFetch | undefined = options.fetchShl ? () => fetchFiles(link as ShlinkPayload, options) : undefined,
  kind: 'SHL' | 'VHL' = 'SHL',
): Promise<{ checks: VerifyCheck[]; content?: Bundle }> {
  const now = options.validationTime.getTime() / 1000;
  const expired = link.exp !== undefined && now > link.exp;
  const checks: VerifyCheck[] = [
    expired
      ? {
          name: 'not-expired',
          status: 'fail',
          failure: 'expired',
          detail: 'SHLINK_EXPIRED',
          message: `The link expired at ${new Date(link.exp! * 1000).toISOString()}`,
        }
      : { name: 'not-expired', status: 'pass' },
  ];
  const rest = ['decompress', 'payload-schema', 'fhir-profile', 'revocation'] as const;
  if (expired || !fetch) {
    const message = expired ? 'Not fetched: the link has expired' : `Not fetched: no ${kind} fetcher is configured`;
    return { checks: [...checks, ...rest.map((name): VerifyCheck => ({ name, status: 'skipped', message }))] };
  }
  const fetched = await fetch();
  if ('check' in fetched) {
    const others = rest
      .filter((n) => n !== fetched.check.name)
      .map((name): VerifyCheck => ({ name, status: 'skipped' }));
    return { checks: [...checks, fetched.check, ...others] };
  }
  const opened = await openFiles(link, fetched.jwes, options, warnings);
  const all = [
    ...checks,
    ...opened.checks,
    { name: 'revocation' as const, status: 'pass' as const, message: 'The link is served' },
  ];
  return opened.content ? { checks: all, content: opened.content } : { checks: all };
}

/**
 * Run every check of a bare SHL.
 * @example const r = await checkShl('shlink:/eyJ…', { validationTime: new Date(), fetchShl, passcode: '1234' })
 */
/**
 * The checks of a link read without a signed envelope (a bare `shlink:/` or `vhlink:/`): read, signature and
 * trust chain skipped with `why`, then the followed link's own checks.
 */
export function unsignedLinkChecks(why: string, followed: readonly VerifyCheck[]): VerifyCheck[] {
  return [
    { name: 'unprefix', status: 'pass' },
    { name: 'signature', status: 'skipped', message: why },
    { name: 'trust-chain', status: 'skipped', message: why },
    ...followed,
  ];
}

export async function checkShl(text: string, options: VerifyOptions): Promise<ShlCheckResult> {
  const warnings: OperationOutcomeIssue[] = [];
  let link: ShlinkPayload;
  try {
    link = decodeShlink(text);
  } catch (e) {
    const code = e instanceof FormatError ? e.code : 'SHLINK_INVALID';
    const names = [
      'signature',
      'trust-chain',
      'not-expired',
      'decompress',
      'payload-schema',
      'fhir-profile',
      'revocation',
    ] as const;
    return {
      checks: [
        { name: 'unprefix', status: 'fail', failure: failureOf(code), detail: code, message: (e as Error).message },
        ...names.map((name): VerifyCheck => ({ name, status: 'skipped' })),
      ],
      warnings,
    };
  }
  const followed = await followLink(link, options, warnings);
  return {
    checks: unsignedLinkChecks(
      'A SMART Health Link is encrypted, not signed: its issuer is not authenticated (a VHL is)',
      followed.checks,
    ),
    payload: link,
    issuer: new URL(link.url).host,
    ...(link.exp !== undefined ? { expiresAt: new Date(link.exp * 1000).toISOString() } : {}),
    ...(followed.content ? { content: followed.content } : {}),
    warnings,
  };
}
