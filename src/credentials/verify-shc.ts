/**
 * `$verify` for SMART Health Cards (`shc:/…` numeric QR text, chunked or not, or a compact JWS). Issuer keys come
 * from the trust configuration (`lookupShc(iss, kid)`) or a JWKS the caller gives; `iss`, `jku` and `x5u` are never
 * fetched. https://spec.smarthealth.cards/#validating-health-cards
 */
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcome.ts';
import { FormatError } from '../formats/errors.ts';
import { shcLookupFromJwks } from '../formats/shc/keys.ts';
import { verifyShc, type ShcKeyLookup, type ShcStep, type ShcVerdict } from '../formats/shc/jws.ts';
import { decodeShcQr } from '../formats/shc/qr-numeric.ts';
import { failureOf, type CheckName, type VerifyCheck } from './verdict.ts';
import { profileCheck, revocationCheck } from './verify-common.ts';
import type { VerifyOptions } from './verify-options.ts';

/** Core R4 Bundle: the SHC vaccination profiles (hl7.fhir.uv.shc-vaccination) are not among the loaded packages. */
export const SHC_CONTENT_PROFILE = 'http://hl7.org/fhir/StructureDefinition/Bundle';

const STEP_NAME: Record<ShcStep, CheckName> = {
  jws: 'jws',
  decompress: 'decompress',
  json: 'payload-schema',
  signature: 'signature',
  notExpired: 'not-expired',
  notBefore: 'not-before',
};

/**
 * `shc:/` text (chunks separated by white space) → JWS; a compact JWS passes through.
 * @example unprefixShc('shc:/5676…').jws
 */
export function unprefixShc(text: string): { jws: string; check: VerifyCheck } {
  const trimmed = text.trim();
  if (!trimmed.toLowerCase().startsWith('shc:/'))
    return {
      jws: trimmed,
      check: { name: 'unprefix', status: 'pass', message: 'Compact JWS given (no shc:/ prefix)' },
    };
  try {
    const jws = decodeShcQr(trimmed.split(/\s+/));
    return { jws, check: { name: 'unprefix', status: 'pass' } };
  } catch (e) {
    const err = e instanceof FormatError ? e : new FormatError('SHC_QR_INVALID', 'SHC QR: unreadable');
    return {
      jws: '',
      check: { name: 'unprefix', status: 'fail', failure: 'decode-error', detail: err.code, message: err.message },
    };
  }
}

async function lookupFor(
  options: VerifyOptions,
  warnings: OperationOutcomeIssue[],
): Promise<{ lookup: ShcKeyLookup; explicit: boolean }> {
  if (options.issuerJwks !== undefined) {
    try {
      const jwks =
        typeof options.issuerJwks === 'string' ? (JSON.parse(options.issuerJwks) as unknown) : options.issuerJwks;
      return { lookup: await shcLookupFromJwks(jwks), explicit: true };
    } catch (e) {
      warnings.push(
        issue({
          severity: 'warning',
          code: 'invalid',
          id: 'VERIFY_ISSUER_JWKS_UNREADABLE',
          text: `issuerJwks cannot be used: ${(e as Error).message}`,
          expression: 'issuerJwks',
        }),
      );
      return { lookup: async () => [], explicit: true };
    }
  }
  return {
    explicit: false,
    lookup: async (kid, iss) => {
      if (!options.trust) return [];
      const found = options.trust.lookupShc(iss, kid);
      for (const w of found.warnings)
        warnings.push(issue({ severity: 'warning', code: 'informational', id: w.code, text: w.message }));
      return found.key ? [{ publicKey: found.key.publicKey, ref: found.key }] : [];
    },
  };
}

function stepChecks(verdict: ShcVerdict): VerifyCheck[] {
  return verdict.steps.map((s): VerifyCheck => {
    const name = STEP_NAME[s.step];
    if (s.status !== 'failed') return { name, status: s.status === 'passed' ? 'pass' : 'skipped' };
    const code = s.error?.code ?? 'INPUT_INVALID';
    const failure =
      name === 'payload-schema' ? (code === 'SHC_INVALID' ? 'payload-invalid' : 'decode-error') : failureOf(code);
    return { name, status: 'fail', failure, detail: code, message: s.error?.message ?? `${name} failed` };
  });
}

export interface ShcCheckResult {
  verdict?: ShcVerdict;
  checks: VerifyCheck[];
  content?: Bundle;
  warnings: OperationOutcomeIssue[];
}

/**
 * Run every SHC check.
 * @example const { checks, content } = await checkShc('shc:/5676…', { validationTime: new Date(), issuerJwks })
 */
export async function checkShc(text: string, options: VerifyOptions): Promise<ShcCheckResult> {
  const warnings: OperationOutcomeIssue[] = [];
  const { jws, check } = unprefixShc(text);
  if (check.status === 'fail') {
    const rest: CheckName[] = [
      'jws',
      'decompress',
      'payload-schema',
      'signature',
      'trust-chain',
      'not-expired',
      'not-before',
      'fhir-profile',
      'revocation',
    ];
    return { checks: [check, ...rest.map((name): VerifyCheck => ({ name, status: 'skipped' }))], warnings };
  }
  const { lookup, explicit } = await lookupFor(options, warnings);
  const verdict = await verifyShc(jws, lookup, { validationTime: options.validationTime });
  const checks = [check, ...stepChecks(verdict)];
  const signed = verdict.steps.some((s) => s.step === 'signature' && s.status === 'passed');
  const at = checks.findIndex((c) => c.name === 'signature');
  checks.splice(
    at + 1,
    0,
    signed
      ? {
          name: 'trust-chain',
          status: 'pass',
          message: explicit
            ? 'Signed by a key of the JWKS the caller gave'
            : `Issuer ${verdict.payload?.iss} is in the trust configuration`,
        }
      : { name: 'trust-chain', status: 'skipped' },
  );
  const bundle = verdict.payload?.vc.credentialSubject.fhirBundle as Bundle | undefined;
  checks.push(
    bundle
      ? profileCheck(bundle, SHC_CONTENT_PROFILE, options.validate, warnings)
      : { name: 'fhir-profile', status: 'skipped' },
  );
  checks.push(
    verdict.payload
      ? await revocationCheck(options, {
          format: 'shc',
          issuer: verdict.payload.iss,
          kid: verdict.header?.kid,
          ...(verdict.payload.vc.rid ? { credentialId: verdict.payload.vc.rid } : {}),
          ...(typeof verdict.payload.nbf === 'number' ? { issuedAt: new Date(verdict.payload.nbf * 1000) } : {}),
        })
      : { name: 'revocation', status: 'skipped' },
  );
  return bundle ? { verdict, checks, content: bundle, warnings } : { verdict, checks, warnings };
}
