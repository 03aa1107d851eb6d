/**
 * Verifiable Health Links: an HCERT whose hcert claim carries link URIs under sub-key 5, so a GDHCN verifier checks
 * the issuer's signature before it follows the link. Two forms are carried: the IHE ITI.VHL `vhlink:/` (payload whose
 * url is a FHIR List search) and the earlier `shlink:/` (a plain SMART Health Link).
 * smart.who.int.trust#1.1.6, StructureDefinition-HCert element `HCert.5` (0..* string);
 * https://profiles.ihe.net/ITI/VHL/ITI-YY3.html (QR Code Generation).
 */
import { FormatError } from '../errors.ts';
import { decodeShlink, SHLINK_PREFIX, type ShlinkPayload } from '../shl/link.ts';
import { decodeVhlink, VHLINK_PREFIX } from '../shl/vhlink.ts';
import { HCERT_KEY } from './claim-keys.ts';
import type { CoseSigner } from './cose-sign1.ts';
import type { CwtClaimsInput } from './cwt.ts';
import { signHc1 } from './hc1.ts';
import type { HcertVerdict } from './verify.ts';

export interface VhlInput {
  iss: string;
  iat: number;
  exp?: number;
  /** `vhlink:/…` or `shlink:/…` URIs (a viewer prefix is stripped to the bare link). */
  shlinks: readonly string[];
}

function bareLink(link: string): string {
  if (link.trim().startsWith(VHLINK_PREFIX)) {
    decodeVhlink(link);
    return link.trim();
  }
  decodeShlink(link);
  return link.slice(link.indexOf(SHLINK_PREFIX)).trim();
}

/**
 * Which form a carried link has: `vhlink` (IHE ITI.VHL) or `shlink` (the earlier SHL-in-claim-5 form).
 * @example carriedLinkForm('vhlink:/eyJ…') // 'vhlink'
 */
export function carriedLinkForm(link: string): 'vhlink' | 'shlink' {
  return link.trim().startsWith(VHLINK_PREFIX) ? 'vhlink' : 'shlink';
}

/**
 * Sign a VHL as `HC1:` text.
 * @example signVhl({ iss: 'XX', iat, exp, shlinks: [encodeShlink(payload)] }, signer)
 * @see http://smart.who.int/trust/StructureDefinition/HCert
 */
export function signVhl(input: VhlInput, signer: CoseSigner): string {
  return signHc1(vhlClaims(input), signer);
}

/**
 * The CWT claims of a VHL, to sign with signHc1 or signHc1With.
 * @example vhlClaims({ iss: 'XX', iat, shlinks: ['shlink:/eyJ…'] }).hcert.get(5) // ['shlink:/eyJ…']
 */
export function vhlClaims(input: VhlInput): CwtClaimsInput {
  if (input.shlinks.length === 0)
    throw new FormatError('HCERT_INVALID', 'VHL: at least one SMART Health Link is required');
  const claims: CwtClaimsInput = {
    iss: input.iss,
    iat: input.iat,
    hcert: new Map([[HCERT_KEY.smartHealthLink, input.shlinks.map(bareLink)]]),
  };
  if (input.exp !== undefined) claims.exp = input.exp;
  return claims;
}

/**
 * The SMART Health Links a verified VHL carries. Refuses to hand out links from an HCERT that did not verify.
 * @example const [link] = vhlLinks(await verifyHc1(qr, lookup, { validationTime }))
 */
export function vhlLinks(verdict: HcertVerdict): ShlinkPayload[] {
  if (!verdict.valid) throw verdict.error ?? new FormatError('HCERT_INVALID', 'VHL: the HCERT did not verify');
  const links = verdict.payloads?.smartHealthLinks;
  if (links === undefined || links.length === 0)
    throw new FormatError('HCERT_INVALID', 'VHL: the HCERT carries no SMART Health Link (hcert sub-key 5)');
  return links.map((l) => decodeShlink(l));
}
