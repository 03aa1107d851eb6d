/**
 * `$health-cards-issue` semantics: credentialType filtering (FHIR resource type `Immunization`, or the card type
 * URIs `https://smarthealth.cards#health-card|#immunization|#covid19`), `_since`, includeIdentityClaim, one card per
 * request holding every matching Immunization, minified, signed with the SHC key, split into `shc:/` QR chunks.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/OperationDefinition-patient-i-health-cards-issue.html
 */
import type { Immunization, OperationOutcomeIssue, Patient } from '@medplum/fhirtypes';
import { fail, issue } from '../fhir/outcome.ts';
import { encodeBase64Url } from '../formats/json.ts';
import { isHttpsOrLoopback } from '../formats/loopback.ts';
import { SHC_HEALTH_CARD_TYPE, signShc, type ShcPayload } from '../formats/shc/jws.ts';
import { minifyBundle } from '../formats/shc/minify.ts';
import { encodeShcQr } from '../formats/shc/qr-numeric.ts';
import type { IssuerContext } from './issuer-context.ts';
import { isCovid19Vaccination } from './mapping/eu-dcc.ts';
import { toShcBundle } from './mapping/shc-bundle.ts';
import { vaccinationFacts } from './mapping/vaccination.ts';
import { recordIssuance } from './provenance.ts';

export const SHC_TYPE = Object.freeze({
  healthCard: SHC_HEALTH_CARD_TYPE,
  immunization: 'https://smarthealth.cards#immunization',
  covid19: 'https://smarthealth.cards#covid19',
} as const);

export interface IssueShcInput {
  patient: Patient;
  immunizations: readonly Immunization[];
  /** Requested types (1..*): every one must be satisfied by the card. */
  credentialTypes: readonly string[];
  since?: Date;
  identityClaims?: readonly string[];
  now: Date;
  requester: string;
  /** Optional card expiry in seconds after `now` (SHCs usually carry none). */
  validitySeconds?: number;
}

export interface IssuedShc {
  /** 0 or 1 compact JWS (empty when nothing matches the request). */
  verifiableCredential: string[];
  /** `shc:/` chunks per credential. */
  qr: string[][];
  resourceLink: { vcIndex: number; bundledResource: string; hostedResource: string }[];
  warnings: OperationOutcomeIssue[];
  provenanceId?: string;
}

function matchesSince(imm: Immunization, since: Date | undefined): boolean {
  if (!since) return true;
  const updated = imm.meta?.lastUpdated;
  return updated !== undefined && Date.parse(updated) >= since.getTime();
}

/** Card types this set of immunizations earns; undefined when a requested type is not one we issue. */
function cardTypes(
  ctx: IssuerContext,
  immunizations: readonly Immunization[],
  requested: readonly string[],
): string[] | undefined {
  const types: string[] = [SHC_TYPE.healthCard, SHC_TYPE.immunization];
  const covid =
    immunizations.length > 0 &&
    immunizations.every((imm) => isCovid19Vaccination(vaccinationFacts(imm), ctx.terminology));
  if (covid) types.push(SHC_TYPE.covid19);
  const normalised = requested.map((t) => (t === 'Immunization' ? SHC_TYPE.immunization : t));
  return normalised.every((t) => types.includes(t)) ? types : undefined;
}

/**
 * Issue a SMART Health Card for a patient's immunizations.
 * Throws 422 ISSUER_NO_SHC_KEY / SHC_ISSUER_URL_MISSING when this server has no SHC identity.
 * @example const { verifiableCredential, qr } = await issueShc(ctx, { patient, immunizations, credentialTypes: ['Immunization'], now, requester: 'wallet' })
 * @see https://spec.smarthealth.cards/#health-cards-are-encoded-as-compact-serialization-json-web-signatures-jws
 */
export async function issueShc(ctx: IssuerContext, input: IssueShcInput): Promise<IssuedShc> {
  const key =
    ctx.keys.shc ??
    fail('unprocessable', {
      code: 'not-supported',
      id: 'ISSUER_NO_SHC_KEY',
      text: 'This server has no SMART Health Card signing key',
    });
  const iss =
    ctx.shcIssuerUrl ??
    fail('unprocessable', {
      code: 'not-supported',
      id: 'SHC_ISSUER_URL_MISSING',
      text: 'No SHC issuer URL (iss) is configured',
    });
  const chosen = input.immunizations.filter((imm) => imm.status === 'completed' && matchesSince(imm, input.since));
  const types = chosen.length === 0 ? undefined : cardTypes(ctx, chosen, input.credentialTypes);
  if (!types) return { verifiableCredential: [], qr: [], resourceLink: [], warnings: [] };
  const { bundle, links } = toShcBundle(
    input.patient,
    chosen,
    input.identityClaims ? { identityClaims: input.identityClaims } : {},
  );
  const nbf = Math.floor(input.now.getTime() / 1000);
  // Revocation id (spec: base64url, at most 24 characters): random per card, so revoking one card revokes no other.
  const rid = encodeBase64Url(ctx.randomBytes(12));
  const payload: ShcPayload = {
    iss,
    nbf,
    ...(input.validitySeconds !== undefined ? { exp: nbf + input.validitySeconds } : {}),
    vc: { type: types, credentialSubject: { fhirVersion: '4.0.1', fhirBundle: minifyBundle(bundle) }, rid },
  };
  const jws = await signShc(payload, { signer: key.signer, kid: key.kid });
  const provenance = await recordIssuance(ctx.store, {
    format: 'shc',
    patientId: input.patient.id,
    sources: chosen.filter((i) => i.id).map((i) => `Immunization/${i.id}`),
    requester: input.requester,
    kid: key.kid,
    credentialId: rid,
    issuedAt: input.now,
    ...(payload.exp !== undefined ? { expiresAt: new Date(payload.exp * 1000) } : {}),
  });
  return {
    verifiableCredential: [jws],
    qr: [encodeShcQr(jws)],
    resourceLink: links.map((l) => ({ vcIndex: 0, ...l })),
    warnings: issuerUrlWarnings(iss),
    provenanceId: provenance.id!,
  };
}

/**
 * The spec makes `iss` an https URL without a trailing slash, and verifiers reject any other (ours lets http through
 * on loopback hosts only, for a server on a laptop): like a DSC missing from the trust list, the card is still
 * issued, with a warning.
 */
function issuerUrlWarnings(iss: string): OperationOutcomeIssue[] {
  if (isHttpsOrLoopback(iss) && !iss.endsWith('/')) return [];
  return [
    issue({
      severity: 'warning',
      code: 'security',
      id: 'SHC_ISSUER_URL_NOT_HTTPS',
      text: `The SHC issuer URL (iss, ISSUER_URL) ${iss} is not an https URL without a trailing slash: verifiers will reject this card`,
    }),
  ];
}
