/**
 * SMART Health Link issuance for an IPS document Bundle, and its Verifiable Health Link form: an HCERT whose
 * -260 claim carries the link under key 5, signed with our DSC, so a GDHCN verifier checks the issuer before it
 * follows the link. Both leave a Provenance.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/links-specification.html · http://smart.who.int/trust/StructureDefinition/HCert
 */
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { OutcomeError, fail, issue } from '../fhir/outcome.ts';
import { signHc1With } from '../formats/hcert/hc1.ts';
import { vhlClaims } from '../formats/hcert/vhl.ts';
import { type IssuerContext, signingDsc } from './issuer-context.ts';
import { issuerTrustWarnings } from './issuer-trust-check.ts';
import { recordIssuance } from './provenance.ts';
import { credentialQrImages, type QrImages } from './qr-images.ts';
import { createShlLink, type CreatedShlLink, type ShlContext } from './shl-links.ts';
import { profileNotChecked } from './verify-common.ts';

/** IPS document profile (hl7.fhir.uv.ips); reported as unknown by the validator until that package is loaded. */
export const IPS_BUNDLE_PROFILE = 'http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips';

export interface IssueShlInput {
  bundle: Bundle;
  now: Date;
  requester: string;
  passcode?: string;
  exp?: Date;
  label?: string;
  /** L and/or U. */
  flag?: string;
  maxAttempts?: number;
  viewerUrl?: string;
  /** QR image formats to render (default both). */
  qrFormats?: readonly ('png' | 'svg')[];
}

export interface IssuedShl extends CreatedShlLink {
  qr: QrImages;
  provenanceId: string;
  warnings: OperationOutcomeIssue[];
}

export interface IssuedVhl extends IssuedShl {
  hc1: string;
  kid: string;
  iat: number;
  exp?: number;
  vhlQr: QrImages;
}

function patientIdOf(bundle: Bundle): string | undefined {
  const composition = bundle.entry?.[0]?.resource;
  const subject = composition?.resourceType === 'Composition' ? composition.subject?.reference : undefined;
  const entry = bundle.entry?.find(
    (e) => e.fullUrl === subject || (e.resource?.resourceType === 'Patient' && subject === `Patient/${e.resource.id}`),
  );
  const patient = entry?.resource;
  return patient?.resourceType === 'Patient' ? patient.id : undefined;
}

function checkIps(ctx: IssuerContext, bundle: Bundle): OperationOutcomeIssue[] {
  if (
    bundle.resourceType !== 'Bundle' ||
    bundle.type !== 'document' ||
    bundle.entry?.[0]?.resource?.resourceType !== 'Composition'
  ) {
    fail('unprocessable', {
      code: 'invalid',
      id: 'SHL_NOT_A_DOCUMENT',
      text: 'A SMART Health Link is issued for a document Bundle whose first entry is a Composition (IPS)',
      expression: 'Bundle.type',
    });
  }
  if (!ctx.validate) return [];
  const issues = ctx.validate(bundle, IPS_BUNDLE_PROFILE).issue ?? [];
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length > 0)
    throw new OutcomeError('unprocessable', [
      issue({ code: 'invalid', id: 'SHL_CONTENT_INVALID', text: 'The Bundle does not validate; no link was created' }),
      ...errors,
    ]);
  const warnings = issues.filter((i) => i.severity === 'warning' && /PROFILE/.test(i.details?.coding?.[0]?.code ?? ''));
  // The validator reports a requested but unloaded profile as information; the issuer is told, as a warning.
  const notApplied = issues
    .filter((i) => profileNotChecked([i], IPS_BUNDLE_PROFILE) !== undefined)
    .map((i) => ({ ...i, severity: 'warning' as const }));
  return [...warnings, ...notApplied];
}

/**
 * Create a SMART Health Link for an IPS document Bundle (file `application/fhir+json`).
 * Throws 422 SHL_NOT_A_DOCUMENT / SHL_CONTENT_INVALID.
 * @example const { link, qr } = await issueShl(ctx, shl, { bundle, now, requester: 'portal', passcode: '1234', label: 'My summary' })
 */
export async function issueShl(
  ctx: IssuerContext,
  shl: ShlContext,
  input: IssueShlInput,
  format: 'shl' | 'vhl' = 'shl',
  kid?: string,
): Promise<IssuedShl> {
  const warnings = checkIps(ctx, input.bundle);
  const patientId = patientIdOf(input.bundle);
  const created = await createShlLink(shl, {
    content: JSON.stringify(input.bundle),
    contentType: 'application/fhir+json',
    now: input.now,
    ...(input.passcode !== undefined ? { passcode: input.passcode } : {}),
    ...(input.exp ? { exp: input.exp } : {}),
    ...(input.label ? { label: input.label } : {}),
    ...(input.flag ? { flag: input.flag } : {}),
    ...(input.maxAttempts !== undefined ? { maxAttempts: input.maxAttempts } : {}),
    ...(input.viewerUrl ? { viewerUrl: input.viewerUrl } : {}),
    ...(patientId ? { patientId } : {}),
    ...(input.bundle.id ? { source: `Bundle/${input.bundle.id}` } : {}),
  });
  const provenance = await recordIssuance(ctx.store, {
    format,
    patientId,
    sources: input.bundle.id ? [`Bundle/${input.bundle.id}`] : [],
    requester: input.requester,
    ...(kid ? { kid } : {}),
    credentialId: created.recordId,
    issuedAt: input.now,
    ...(input.exp ? { expiresAt: input.exp } : {}),
  });
  return {
    ...created,
    qr: await credentialQrImages('shlink', created.link, input.qrFormats ?? ['png', 'svg']),
    provenanceId: provenance.id!,
    warnings,
  };
}

/**
 * Create the link and wrap it in a signed HCERT (VHL).
 * @example const { hc1, vhlQr } = await issueVhl(ctx, shl, { bundle, now, requester: 'portal' })
 * @see http://smart.who.int/trust/StructureDefinition/HCert (element 5)
 */
export async function issueVhl(ctx: IssuerContext, shl: ShlContext, input: IssueShlInput): Promise<IssuedVhl> {
  const dsc = signingDsc(ctx.keys, input.now);
  const issued = await issueShl(ctx, shl, input, 'vhl', dsc.kid);
  const iat = Math.floor(input.now.getTime() / 1000);
  const exp = input.exp ? Math.floor(input.exp.getTime() / 1000) : undefined;
  const hc1 = await signHc1With(
    vhlClaims({ iss: ctx.keys.country, iat, ...(exp !== undefined ? { exp } : {}), shlinks: [issued.link] }),
    { signer: dsc.signer, kid: dsc.kidBytes },
  );
  const warnings = [
    ...issued.warnings,
    ...issuerTrustWarnings(ctx.trust, { kidBytes: dsc.kidBytes, kid: dsc.kid, country: ctx.keys.country }, input.now),
  ];
  return {
    ...issued,
    warnings,
    hc1,
    kid: dsc.kid,
    iat,
    ...(exp !== undefined ? { exp } : {}),
    vhlQr: await credentialQrImages('hcert', hc1, input.qrFormats ?? ['png', 'svg']),
  };
}
