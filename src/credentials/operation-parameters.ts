/**
 * The plain typed requests of `$verify` and `$health-cards-issue` (read from Parameters by `http/operations/`,
 * against their OperationDefinitions), and the Parameters out of the credential operations.
 * https://build.fhir.org/ig/HL7/smart-health-cards-and-links/OperationDefinition-patient-i-health-cards-issue.html
 */
import type { Attachment, OperationOutcome, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import type { IssuedHcert } from './issue-hcert.ts';
import type { IssuedShc } from './issue-shc.ts';
import type { IssuedShl, IssuedVhl } from './issue-shl.ts';
import type { QrImages } from './qr-images.ts';
import type { RuleDistribution } from '../rules/rule-model.ts';

export interface VerifyRequest {
  credential: string;
  validationTime: Date;
  trustedCertificates?: string[];
  issuerJwks?: string;
  passcode?: string;
  /** Arrival country for the business rules (ISO 3166-1 alpha-2). */
  arrivalCountry?: string;
  region?: string;
  /** Rules (and value sets) the caller gives instead of the configured ones. */
  ruleSet?: RuleDistribution;
  /** Languages of rule descriptions, in order of preference (Accept-Language). */
  languages?: string[];
}

export interface HealthCardsIssueRequest {
  credentialTypes: string[];
  since?: Date;
  identityClaims?: string[];
}

/**
 * `$health-cards-issue` output: verifiableCredential*, resourceLink* (vcIndex, bundledResource, hostedResource).
 * @example res.json(healthCardsIssueToParameters(await issueShc(ctx, input)))
 */
export function healthCardsIssueToParameters(r: IssuedShc): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      ...r.verifiableCredential.map((jws) => ({ name: 'verifiableCredential', valueString: jws })),
      ...r.resourceLink.map((l) => ({
        name: 'resourceLink',
        part: [
          { name: 'vcIndex', valueInteger: l.vcIndex },
          { name: 'bundledResource', valueUri: l.bundledResource },
          { name: 'hostedResource', valueUri: l.hostedResource },
        ],
      })),
    ],
  };
}

function qrParameters(prefix: string, qr: QrImages): ParametersParameter[] {
  const out: ParametersParameter[] = [];
  const attachment = (contentType: string, data: string): Attachment => ({ contentType, data });
  if (qr.png)
    out.push({
      name: `${prefix}Png`,
      valueAttachment: attachment('image/png', Buffer.from(qr.png).toString('base64')),
    });
  if (qr.svg)
    out.push({
      name: `${prefix}Svg`,
      valueAttachment: attachment('image/svg+xml', Buffer.from(qr.svg).toString('base64')),
    });
  if (qr.version) out.push({ name: `${prefix}Version`, valueInteger: qr.version });
  return out;
}

const warningsParameter = (warnings: IssuedHcert['warnings']): ParametersParameter[] =>
  warnings.length === 0
    ? []
    : [{ name: 'warnings', resource: { resourceType: 'OperationOutcome', issue: warnings } as OperationOutcome }];

/**
 * `$issue-hcert` output: hc1, kid, certificateId, issuedAt, expiresAt, qrPng/qrSvg/qrVersion, ddccDocument, warnings.
 * @example res.json(hcertToParameters(await issueHcert(ctx, input)))
 */
export function hcertToParameters(r: IssuedHcert): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'hc1', valueString: r.hc1 },
      { name: 'kid', valueString: r.kid },
      { name: 'certificateId', valueString: r.certificateId },
      { name: 'issuedAt', valueInstant: new Date(r.iat * 1000).toISOString() },
      { name: 'expiresAt', valueInstant: new Date(r.exp * 1000).toISOString() },
      ...qrParameters('qr', r.qr),
      { name: 'ddccDocument', resource: r.ddccDocument },
      ...warningsParameter(r.warnings),
    ],
  };
}

/**
 * `$issue-shl` output: shlink, manifestUrl, qr…; with a VHL also vhl (HC1 text), kid and vhlQr….
 * @example res.json(shlToParameters(await issueVhl(ctx, shl, input)))
 */
export function shlToParameters(r: IssuedShl | IssuedVhl): Parameters {
  const vhl =
    'hc1' in r
      ? [{ name: 'vhl', valueString: r.hc1 }, { name: 'kid', valueString: r.kid }, ...qrParameters('vhlQr', r.vhlQr)]
      : [];
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'shlink', valueString: r.link },
      { name: 'manifestUrl', valueUri: r.manifestUrl },
      ...(r.payload.exp !== undefined
        ? [{ name: 'expiresAt', valueInstant: new Date(r.payload.exp * 1000).toISOString() }]
        : []),
      ...qrParameters('qr', r.qr),
      ...vhl,
      ...warningsParameter(r.warnings),
    ],
  };
}
