/**
 * `verifyCredential`: one entry point for every format a GDHCN verifier meets — `HC1:` (HCERT, and VHL when it
 * carries a SMART Health Link), `shc:/` or a compact JWS (SMART Health Card), `shlink:/` or a viewer URL holding one
 * (SMART Health Link). Never throws for bad input: the verdict names each check and its failure code.
 * Issue 7 "Verification"; https://github.com/ehn-dcc-development/eu-dcc-hcert-spec · https://spec.smarthealth.cards
 */
import {
  finishVerdict,
  type CheckName,
  type CredentialKind,
  type CredentialVerdict,
  type VerifyCheck,
} from './verdict.ts';
import { checkHcert } from './verify-hcert.ts';
import { checkShc } from './verify-shc.ts';
import { checkShl } from './verify-shl.ts';
import { checkVhl, checkVhlink } from './verify-vhl.ts';
import type { VerifyOptions } from './verify-options.ts';
import { isValidClock } from '../formats/clock.ts';

const MAX_INPUT = 64 * 1024;
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Which format the text claims to be, from its prefix alone.
 * @example detectFormat('shlink:/eyJ1cmwiOi…') // 'shl'
 */
export function detectFormat(text: string): CredentialKind | undefined {
  const t = text.trim();
  if (t.startsWith('HC1:')) return 'hcert';
  if (t.toLowerCase().startsWith('shc:/') || JWS.test(t)) return 'shc';
  if (/^shlink:\//.test(t) || /^https?:\/\/[^\s#]+#shlink:\//.test(t)) return 'shl';
  if (t.startsWith('vhlink:/')) return 'vhl';
  return undefined;
}

function notACredential(text: string): CredentialVerdict {
  const tooLarge = text.length > MAX_INPUT;
  const message = tooLarge
    ? `The input has ${text.length} characters, above the cap of ${MAX_INPUT}`
    : 'The input is not a credential: it starts with none of HC1:, shc:/, shlink:/, vhlink:/ and is not a compact JWS';
  const check: VerifyCheck = {
    name: 'unprefix',
    status: 'fail',
    failure: tooLarge ? 'decode-error' : 'not-a-credential',
    detail: tooLarge ? 'INPUT_TOO_LARGE' : 'PREFIX_MISSING',
    message,
  };
  return finishVerdict({ checks: [check] });
}

/**
 * The verdict for a picture in which no QR code could be read: a `decode-error`, never "not a credential".
 * @example unreadableQrVerdict('QR_NOT_FOUND', 'No QR code was found in the image')
 */
export function unreadableQrVerdict(code: string, message: string): CredentialVerdict {
  return finishVerdict({
    checks: [
      {
        name: 'unprefix',
        status: 'fail',
        failure: 'decode-error',
        detail: code,
        message: `The QR code could not be read: ${message}`,
      },
    ],
  });
}

const iso = (seconds: number | undefined): string | undefined =>
  seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();

async function verifyHcertOrVhl(text: string, options: VerifyOptions): Promise<CredentialVerdict> {
  const r = await checkHcert(text, options);
  const { claims, sign1, payloads } = r.verdict;
  const base = {
    format: 'hcert' as CredentialKind,
    ...(claims?.iss ? { issuer: claims.iss } : {}),
    ...(sign1?.kid ? { kid: Buffer.from(sign1.kid).toString('base64') } : {}),
    ...(iso(claims?.iat) ? { issuedAt: iso(claims?.iat) } : {}),
    ...(iso(claims?.exp) ? { expiresAt: iso(claims?.exp) } : {}),
    ...(payloads ? { payload: payloads } : {}),
  };
  if (payloads?.smartHealthLinks?.length) {
    const vhl = await checkVhl(r, options);
    return finishVerdict(
      {
        ...base,
        format: 'vhl',
        checks: vhl.checks,
        ...(vhl.linkForm ? { linkForm: vhl.linkForm } : {}),
        ...(vhl.content ? { content: vhl.content } : {}),
      },
      [...r.warnings, ...vhl.warnings],
    );
  }
  return finishVerdict(
    { ...base, checks: r.checks, ...(r.content ? { content: r.content } : {}), ...(r.rules ? { rules: r.rules } : {}) },
    r.warnings,
  );
}

async function verifyShcText(text: string, options: VerifyOptions): Promise<CredentialVerdict> {
  const r = await checkShc(text, options);
  const p = r.verdict?.payload;
  return finishVerdict(
    {
      format: 'shc',
      checks: r.checks,
      ...(p ? { issuer: p.iss, issuedAt: iso(p.nbf), payload: p } : {}),
      ...(p?.exp !== undefined ? { expiresAt: iso(p.exp) } : {}),
      ...(r.verdict?.header ? { kid: r.verdict.header.kid } : {}),
      ...(r.content ? { content: r.content } : {}),
    },
    r.warnings,
  );
}

/**
 * Verify any supported credential text at `options.validationTime`.
 * @example const verdict = await verifyCredential('HC1:NCF…', { validationTime: new Date(), trust, validate })
 * @see https://smart.who.int/trust/
 */
export async function verifyCredential(input: string, options: VerifyOptions): Promise<CredentialVerdict> {
  // Fail closed: an invalid clock would make every time comparison false, which reads as "not expired".
  if (!isValidClock(options?.validationTime)) {
    return finishVerdict({
      checks: [
        {
          name: 'not-expired',
          status: 'fail',
          failure: 'clock-invalid',
          detail: 'CLOCK_INVALID',
          message: 'The validation time is not a valid date: the credential cannot be judged at it',
        },
      ],
    });
  }
  const text = typeof input === 'string' ? input : '';
  const format = text.length > MAX_INPUT ? undefined : detectFormat(text);
  if (format === 'hcert') return verifyHcertOrVhl(text, options);
  if (format === 'shc') return verifyShcText(text, options);
  if (format === 'shl') {
    const r = await checkShl(text.trim(), options);
    return finishVerdict(
      {
        format: 'shl',
        checks: r.checks,
        ...(r.issuer ? { issuer: r.issuer } : {}),
        ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}),
        ...(r.content ? { content: r.content } : {}),
        ...(r.payload ? { payload: r.payload } : {}),
      },
      r.warnings,
    );
  }
  if (format === 'vhl') {
    const r = await checkVhlink(text.trim(), options);
    return finishVerdict(
      {
        format: 'vhl',
        checks: r.checks,
        ...(r.linkForm ? { linkForm: r.linkForm } : {}),
        ...(r.payload ? { issuer: new URL(r.payload.url).host, payload: r.payload } : {}),
        ...(r.payload?.exp !== undefined ? { expiresAt: new Date(r.payload.exp * 1000).toISOString() } : {}),
        ...(r.content ? { content: r.content } : {}),
      },
      r.warnings,
    );
  }
  return notACredential(text);
}

/** Names of every check, in report order (for documentation and OperationDefinition bindings). */
export const CHECK_NAMES: readonly CheckName[] = [
  'unprefix',
  'base45',
  'decompress',
  'cbor',
  'cose',
  'jws',
  'signature',
  'signer',
  'trust-chain',
  'not-before',
  'not-expired',
  'payload-schema',
  'fhir-profile',
  'revocation',
  'business-rules',
];
