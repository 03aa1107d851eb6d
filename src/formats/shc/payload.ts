/**
 * Building the SMART Health Card payload an issuer signs: minified bundle, FHIR version, card types.
 * https://spec.smarthealth.cards/#health-cards-are-encoded-as-compact-serialization-json-web-signatures-jws
 */
import { FormatError } from '../errors.ts';
import { isHttpsOrLoopback } from '../loopback.ts';
import { SHC_HEALTH_CARD_TYPE, type ShcPayload } from './jws.ts';
import { minifyBundle } from './minify.ts';

export interface ShcPayloadInput {
  /** Issuer base URL (https, no trailing slash); keys live at `<iss>/.well-known/jwks.json`. */
  iss: string;
  /** Issuance time (NumericDate) — passed in, formats/ reads no clock. */
  nbf: number;
  exp?: number;
  /** The FHIR Bundle before minification. */
  bundle: unknown;
  /** Extra card types, e.g. `https://smarthealth.cards#immunization`; the health-card type is always first. */
  types?: readonly string[];
  /** Revocation id (spec "Revocation"). */
  rid?: string;
}

/**
 * Assemble a minified SHC payload ready for `signShc`.
 * @example const payload = buildShcPayload({ iss: 'https://issuer.example', nbf: now, bundle, types: ['https://smarthealth.cards#immunization'] })
 * @see https://spec.smarthealth.cards/#health-cards-are-small
 */
export function buildShcPayload(input: ShcPayloadInput): ShcPayload {
  if (!isHttpsOrLoopback(input.iss) || input.iss.endsWith('/')) {
    throw new FormatError('SHC_INVALID', 'SHC: iss must be an https URL without a trailing slash');
  }
  const type = [SHC_HEALTH_CARD_TYPE, ...(input.types ?? []).filter((t) => t !== SHC_HEALTH_CARD_TYPE)];
  const vc: ShcPayload['vc'] = {
    type,
    credentialSubject: { fhirVersion: '4.0.1', fhirBundle: minifyBundle(input.bundle) },
  };
  if (input.rid !== undefined) vc.rid = input.rid;
  const payload: ShcPayload = { iss: input.iss, nbf: input.nbf, vc };
  if (input.exp !== undefined) payload.exp = input.exp;
  return payload;
}
