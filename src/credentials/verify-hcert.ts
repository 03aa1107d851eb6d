/**
 * `$verify` for HCERT (`HC1:`): the codec's step-wise verdict, then trust chain, payload schema, FHIR profile and
 * revocation. Keys come from the trust list (every candidate for the kid, trusted or not, so "signed by an untrusted
 * DSC" is told apart from "unknown kid") or from certificates the caller gives (explicit trust).
 * https://github.com/ehn-dcc-development/eu-dcc-hcert-spec/blob/main/hcert_spec.md
 */
import type { X509Certificate } from 'node:crypto';
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcome.ts';
import type { CandidateKey, KeyLookup } from '../formats/hcert/cose-sign1.ts';
import { candidateFromCertificate } from '../formats/hcert/kid.ts';
import { verifyHc1, type HcertStep, type HcertVerdict } from '../formats/hcert/verify.ts';
import type { HcertPayloads } from '../formats/hcert/cwt.ts';
import { credentialDomains, domainProblem, type KeyCandidate } from '../trust/trust-list.ts';
import type { HcertCertificateType } from '../trust/x509.ts';
import { hcertPayloadProblems } from './hcert-payload-schema.ts';
import { ddccTrToBundle, ddccVsToDocument, euDccToBundle } from './mapping/hcert-content.ts';
import { DDCC_PROFILE } from './mapping/ddcc-document.ts';
import type { DdccVsCoreDataSet } from './mapping/ddcc-vs.ts';
import { failureOf, type CheckName, type VerifyCheck } from './verdict.ts';
import type { VerifyOptions } from './verify-options.ts';
import { profileCheck, revocationCheck } from './verify-common.ts';
import { businessRulesCheck } from './verify-rules.ts';
import type { RuleResult } from '../rules/evaluate-rules.ts';

const STEP_NAME: Record<HcertStep, CheckName> = {
  unprefix: 'unprefix',
  base45: 'base45',
  decompress: 'decompress',
  cbor: 'cbor',
  cose: 'cose',
  signature: 'signature',
  notExpired: 'not-expired',
  notBefore: 'not-before',
};

interface Explicit {
  publicKey: CandidateKey['publicKey'];
  ref: { explicit: true; subject: string };
  kid: Uint8Array;
}

/** PEM or base64 DER → DER bytes; undefined when neither. */
function certificateDer(text: string): Uint8Array | undefined {
  const pem = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text);
  const b64 = (pem ? pem[1]! : text).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) return undefined;
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/**
 * Candidates from caller-given certificates; unreadable ones are reported as warnings.
 * @example explicitCandidates([pem], warnings).length // 1
 */
export function explicitCandidates(certs: readonly string[], warnings: OperationOutcomeIssue[]): Explicit[] {
  const out: Explicit[] = [];
  certs.forEach((text, i) => {
    const der = certificateDer(text);
    try {
      if (!der) throw new Error('not PEM or base64');
      const c = candidateFromCertificate(der);
      out.push({
        publicKey: c.publicKey,
        kid: c.kid,
        ref: { explicit: true, subject: (c.certificate as X509Certificate).subject },
      });
    } catch {
      warnings.push(
        issue({
          severity: 'warning',
          code: 'invalid',
          id: 'VERIFY_TRUSTED_CERTIFICATE_UNREADABLE',
          text: `trustedCertificate ${i + 1} is not a PEM or base64 DER X.509 certificate; ignored`,
          expression: `trustedCertificate[${i}]`,
        }),
      );
    }
  });
  return out;
}

function lookupFor(options: VerifyOptions, warnings: OperationOutcomeIssue[]): KeyLookup {
  if (options.trustedCertificates !== undefined) {
    const candidates = explicitCandidates(options.trustedCertificates, warnings);
    // The caller named the keys: those with the credential's kid first; if none has it, every given key is tried.
    return async (kid) => {
      const same = kid === undefined ? [] : candidates.filter((c) => Buffer.from(c.kid).equals(Buffer.from(kid)));
      return same.length > 0 ? same : candidates;
    };
  }
  return async (kid, country) => {
    if (kid === undefined || !options.trust) return [];
    const found = options.trust.lookupByKid(kid, { ...(country ? { country } : {}), asOf: options.validationTime });
    for (const w of found.warnings)
      warnings.push(issue({ severity: 'warning', code: 'informational', id: w.code, text: w.message }));
    return found.candidates.map((c) => ({ publicKey: c.entry.publicKey, ref: c }));
  };
}

/** Certificate types the payloads claim, for the DSC's extended key usage (HCERT spec §5.1.1). */
function claimedTypes(p: HcertPayloads | undefined): HcertCertificateType[] {
  const dcc = (p?.euDcc ?? {}) as { v?: unknown[]; t?: unknown[]; r?: unknown[] };
  const types: HcertCertificateType[] = [];
  if (dcc.v?.length || p?.ddccVs !== undefined || p?.icvp !== undefined) types.push('vaccination');
  if (dcc.t?.length || p?.ddccTr !== undefined) types.push('test');
  if (dcc.r?.length) types.push('recovery');
  return types;
}

function trustChain(verdict: HcertVerdict): VerifyCheck {
  const ref = verdict.key?.ref as KeyCandidate | { explicit: true; subject: string } | undefined;
  if (ref === undefined) return { name: 'trust-chain', status: 'skipped', message: 'No key verified the signature' };
  if ('explicit' in ref)
    return {
      name: 'trust-chain',
      status: 'pass',
      message: `Signed by a certificate the caller trusts explicitly (${ref.subject.replace(/\n/g, ', ')})`,
    };
  if (!ref.verdict.ok) {
    return {
      name: 'trust-chain',
      status: 'fail',
      failure: 'untrusted-chain',
      message: `DSC ${ref.entry.kid} is not trusted: ${ref.verdict.reasons.map((r) => r.message).join('; ')}`,
    };
  }
  const outOfDomain = domainProblem(
    ref.entry,
    credentialDomains(verdict.payloads?.icvp !== undefined ? 'icvp' : 'hcert'),
  );
  if (outOfDomain) return { name: 'trust-chain', status: 'fail', failure: 'untrusted-chain', message: outOfDomain };
  const allowed = ref.entry.hcertTypes;
  const refused = allowed === undefined ? [] : claimedTypes(verdict.payloads).filter((t) => !allowed.includes(t));
  if (refused.length > 0) {
    return {
      name: 'trust-chain',
      status: 'fail',
      failure: 'untrusted-chain',
      message: `DSC ${ref.entry.kid} may sign ${allowed!.join(', ') || 'no'} certificates, not ${refused.join(', ')} (extended key usage)`,
    };
  }
  return {
    name: 'trust-chain',
    status: 'pass',
    message: `DSC ${ref.entry.kid} chains to CSCA ${ref.entry.anchor?.kid ?? '?'} of ${ref.entry.country ?? '?'}`,
  };
}

function stepChecks(verdict: HcertVerdict): VerifyCheck[] {
  return verdict.steps.map((s): VerifyCheck => {
    const name = STEP_NAME[s.step];
    if (s.status === 'passed') return { name, status: 'pass' };
    if (s.status === 'skipped') return { name, status: 'skipped' };
    const code = s.error?.code ?? 'INPUT_INVALID';
    const failure = s.step === 'unprefix' && code === 'INPUT_TOO_LARGE' ? 'decode-error' : failureOf(code);
    return { name, status: 'fail', failure, detail: code, message: s.error?.message ?? `${name} failed` };
  });
}

export interface HcertCheckResult {
  verdict: HcertVerdict;
  checks: VerifyCheck[];
  content?: Bundle;
  warnings: OperationOutcomeIssue[];
  rules?: RuleResult[];
}

/** The model makes key 3 0..*: we write an array; a single map from another issuer is read too. */
function firstDdccVs(p: HcertPayloads | undefined): DdccVsCoreDataSet | undefined {
  return (Array.isArray(p?.ddccVs) ? p.ddccVs[0] : p?.ddccVs) as DdccVsCoreDataSet | undefined;
}

function content(verdict: HcertVerdict, text: string): Bundle | undefined {
  const p = verdict.payloads;
  const ddcc = firstDdccVs(p);
  const issuedAt = new Date((verdict.claims?.iat ?? 0) * 1000);
  try {
    if (ddcc) return ddccVsToDocument(ddcc, { issuedAt, seed: text });
    if (p?.euDcc) return euDccToBundle(p.euDcc as never, text);
    const tr = Array.isArray(p?.ddccTr) ? p.ddccTr[0] : p?.ddccTr;
    if (tr && typeof tr === 'object') return ddccTrToBundle(tr as never, text);
  } catch {
    return undefined; // a payload too broken to rebuild is reported by payload-schema
  }
  return undefined;
}

/**
 * Run every HCERT check; the VHL layer reuses this for its envelope.
 * @example const { checks } = await checkHcert(hc1, { validationTime: new Date(), trustedCertificates: [pem] })
 */
export async function checkHcert(text: string, options: VerifyOptions): Promise<HcertCheckResult> {
  const warnings: OperationOutcomeIssue[] = [];
  const verdict = await verifyHc1(text, lookupFor(options, warnings), { validationTime: options.validationTime });
  const checks = stepChecks(verdict);
  const at = checks.findIndex((c) => c.name === 'signature');
  checks.splice(at + 1, 0, trustChain(verdict));
  if (!verdict.payloads) {
    checks.push(
      { name: 'payload-schema', status: 'skipped' },
      { name: 'fhir-profile', status: 'skipped' },
      { name: 'revocation', status: 'skipped' },
    );
    if (options.businessRules)
      checks.push({ name: 'business-rules', status: 'skipped', message: 'The payload could not be read' });
    return { verdict, checks, warnings };
  }
  const problems = hcertPayloadProblems(verdict.payloads);
  checks.push(
    problems.length === 0
      ? { name: 'payload-schema', status: 'pass' }
      : { name: 'payload-schema', status: 'fail', failure: 'payload-invalid', message: problems.join('; ') },
  );
  const bundle = content(verdict, text);
  const ddcc = verdict.payloads.ddccVs !== undefined && bundle?.type === 'document';
  checks.push(
    ddcc
      ? options.checkDdccVsDocument
        ? options.checkDdccVsDocument(bundle, warnings)
        : profileCheck(bundle, DDCC_PROFILE.vsDocument, options.validate, warnings)
      : {
          name: 'fhir-profile',
          status: 'skipped',
          message: 'No DDCC document is carried (EU DCC payloads are checked by payload-schema)',
        },
  );
  const uvci = (verdict.payloads.euDcc as { v?: { ci?: string }[] } | undefined)?.v?.[0]?.ci;
  const certificate = firstDdccVs(verdict.payloads)?.certificate;
  // ddccid names one certificate when the HCID names a paper certificate several doses share.
  const hcid = certificate?.ddccid?.value ?? certificate?.hcid?.value;
  const kid = verdict.sign1?.kid ? Buffer.from(verdict.sign1.kid).toString('base64') : undefined;
  const signature = verdict.sign1?.signature;
  checks.push(
    await revocationCheck(options, {
      format: 'hcert',
      issuer: verdict.claims?.iss,
      kid,
      credentialId: uvci ?? hcid,
      ...(signature ? { signature } : {}),
    }),
  );
  const out: HcertCheckResult = bundle ? { verdict, checks, content: bundle, warnings } : { verdict, checks, warnings };
  if (options.businessRules) {
    const claims = verdict.claims;
    const r = businessRulesCheck(
      {
        payload: verdict.payloads.euDcc,
        issuerCountry: claims?.iss,
        exp: claims?.exp,
        iat: claims?.iat,
        kid,
        clock: options.validationTime,
      },
      options.businessRules,
    );
    checks.push(r.check);
    warnings.push(...r.issues);
    out.rules = r.rules;
  }
  return out;
}
