/**
 * Every integer label HCERT uses, in one place, each with where it comes from.
 */

/**
 * CWT claim keys (RFC 8392 §4, IANA "CBOR Web Token Claims" registry) and the HCERT claim.
 * - 1 iss, 4 exp, 5 nbf, 6 iat: https://www.rfc-editor.org/rfc/rfc8392#section-4 ;
 *   smart.who.int.trust#1.1.6 logical model CWTPayload (elements `1`, `4`, `6`, `-260`).
 * - -260 hcert: IANA CWT registry; EU eHN HCERT spec §2.6.3 (ehn-dcc-development/eu-dcc-hcert-spec).
 */
export const CWT_CLAIM = Object.freeze({
  iss: 1,
  sub: 2,
  aud: 3,
  exp: 4,
  nbf: 5,
  iat: 6,
  cti: 7,
  hcert: -260,
} as const);

/**
 * Sub-keys of the `hcert` (-260) claim. Source: smart.who.int.trust#1.1.6, StructureDefinition-HCert.json
 * (WorldHealthOrganization/smart-trust, input/fsh/models/hcert.fsh), elements `HCert.<key>`:
 * - 1  EU DCC payload (`HCertDCC`), 0..1 — also EU eHN HCERT spec §2.6.3.
 * - 3  DDCC:VS, vaccination core data set (`DDCCCoreDataSet`), 0..* — "PROPOSED" in the model.
 * - 4  DDCC:TR, test result core data set (`DDCCCoreDataSet`), 0..* — "PROPOSED".
 * - 5  SMART Health Link URI (`string`, `shlink:/…`), 0..* — used for Verifiable Health Links (VHL).
 * - -6 ICVP digital vaccination certificate (`DVCPayload` of smart.who.int.icvp), 0..* — "Proposed";
 *   negative sub-keys are the development range per the model's notes.
 * Key 2 (RACSEL DDVC) is commented out in the model and deliberately absent here.
 */
export const HCERT_KEY = Object.freeze({
  euDcc: 1,
  ddccVs: 3,
  ddccTr: 4,
  smartHealthLink: 5,
  icvp: -6,
} as const);

/**
 * COSE header labels and algorithm ids (RFC 9052 §3.1, IANA "COSE Header Parameters" / "COSE Algorithms");
 * smart.who.int.trust#1.1.6 logical model COSEHeader (elements `1` alg, `4` kid).
 */
export const COSE_HEADER = Object.freeze({ alg: 1, kid: 4 } as const);

/** COSE algorithm ids: ES256 = -7 (RFC 9053 §2.1), PS256 = -37 (RFC 8230 §2). */
export const COSE_ALG = Object.freeze({ ES256: -7, PS256: -37 } as const);

export type CoseAlgName = keyof typeof COSE_ALG;

/** COSE_Sign1 CBOR tag (RFC 9052 §2) and the CWT tag (RFC 8392 §6). */
export const COSE_SIGN1_TAG = 18;
export const CWT_TAG = 61;

/**
 * Name of an algorithm id, or undefined when the id is not one we know.
 * @example coseAlgName(-7) // 'ES256'
 */
export function coseAlgName(id: unknown): CoseAlgName | undefined {
  if (id === COSE_ALG.ES256) return 'ES256';
  if (id === COSE_ALG.PS256) return 'PS256';
  return undefined;
}
