/**
 * HCERT issuance: Patient + Immunization(s) → DDCC:VS (always), EU DCC (COVID-19 vaccinations) and ICVP (vaccines
 * the ICVP covers) under the -260 claim, signed with the DSC valid now, with its QR and the DDCC:VS document Bundle.
 * One certificate states one vaccination event: the latest completed one among those given.
 * https://github.com/ehn-dcc-development/eu-dcc-hcert-spec · http://smart.who.int/trust/StructureDefinition/HCert
 */
import type { Bundle, Immunization, OperationOutcomeIssue, Patient } from '@medplum/fhirtypes';
import { OutcomeError, fail, issue } from '../fhir/outcome.ts';
import { HCERT_KEY } from '../formats/hcert/claim-keys.ts';
import { signHc1With } from '../formats/hcert/hc1.ts';
import { issuerTrustWarnings } from './issuer-trust-check.ts';
import { randomIdPart, signingDsc, type IssuerContext } from './issuer-context.ts';
import {
  buildDdccDocument,
  DDCC_PROFILE,
  type DdccDocumentInput,
  withQrDocumentReference,
} from './mapping/ddcc-document.ts';
import { toDdccVs, type DdccVsCoreDataSet } from './mapping/ddcc-vs.ts';
import { isCovid19Vaccination, toEuDcc, type EuDccPayload } from './mapping/eu-dcc.ts';
import { isIcvpCovered, toIcvp, type IcvpPayload } from './mapping/icvp.ts';
import { hasStructuredName, personName } from './mapping/names.ts';
import { EU_DCC_TEXT_MAX } from './hcert-payload-schema.ts';
import { mappingError } from './mapping/mapping-error.ts';
import { vaccinationFacts, type VaccinationFacts } from './mapping/vaccination.ts';
import { recordIssuance, type IssuanceRecord } from './provenance.ts';
import { credentialQrImages, type QrImages } from './qr-images.ts';

export const DDCC_VS_VERSION = 'RC-2.0.0';

export interface IssueHcertInput {
  patient: Patient;
  immunizations: readonly Immunization[];
  now: Date;
  /** Validity of the certificate in seconds (exp = iat + validity). */
  validitySeconds: number;
  /** Who asked (recorded in the Provenance). */
  requester: string;
  /** Override the certificate id (UVCI); default `URN:UVCI:01:<country>:<random>`. */
  certificateId?: string;
  /**
   * The health certificate identifier (DDCC:VS `hcid`, the document's `urn:HCID:` link) when it is not the UVCI:
   * a DDCC QuestionnaireResponse names the paper certificate every dose of a person is recorded on.
   */
  hcid?: string;
  /**
   * QR image formats to render (default both); the DDCC document embeds the PNG, else the SVG. `[]` renders none
   * (QR rendering costs far more than signing: for callers that draw the QR themselves).
   */
  qrFormats?: readonly ('png' | 'svg')[];
  /**
   * Called with the payloads before anything is signed or recorded; throws (an OutcomeError) to refuse. The
   * printable certificate checks here that its fonts can draw the name, so a refusal leaves no Provenance behind.
   */
  check?: (payload: HcertPayloadSet) => void;
  /**
   * Where the Provenance goes (default: stored now, one write). Bulk issuance collects them and stores a batch in
   * one transaction with its output lines, so no line is served before its Provenance is durable. Returns its id.
   */
  record?: (record: IssuanceRecord) => Promise<string>;
}

export interface HcertPayloadSet {
  ddccVs: DdccVsCoreDataSet;
  euDcc?: EuDccPayload;
  icvp?: IcvpPayload;
}

export interface IssuedHcert {
  hc1: string;
  /** HCERT kid, standard base64. */
  kid: string;
  iat: number;
  exp: number;
  certificateId: string;
  payload: HcertPayloadSet;
  /** The rendered QR images and the QR version they need (absent when `qrFormats` is empty). */
  qr: QrImages;
  ddccDocument: Bundle;
  /** Issuer-side warnings (e.g. the DSC is missing from the trust list). */
  warnings: OperationOutcomeIssue[];
  provenanceId: string;
}

function certified(patient: Patient, immunizations: readonly Immunization[]): VaccinationFacts {
  const own = immunizations.filter((imm, i) => {
    const ref = imm.patient?.reference;
    if (patient.id && ref && ref !== `Patient/${patient.id}` && !ref.endsWith(`/Patient/${patient.id}`)) {
      throw mappingError(
        'MAPPING_PATIENT_MISMATCH',
        `Immunization ${imm.id ?? i} belongs to ${ref}, not Patient/${patient.id}`,
        'Immunization.patient',
      );
    }
    return imm.status === 'completed';
  });
  if (own.length === 0)
    throw mappingError(
      'MAPPING_NOT_APPLICABLE',
      'There is no completed Immunization to certify',
      'Immunization.status',
    );
  return own.map((imm, i) => vaccinationFacts(imm, i)).sort((a, b) => b.date.localeCompare(a.date))[0]!;
}

/** Why an EU DCC payload was left out although the vaccination is COVID-19 (undefined: it is not left out). */
function euDccOmitted(patient: Patient): OperationOutcomeIssue | undefined {
  if (!hasStructuredName(patient)) {
    return issue({
      severity: 'warning',
      code: 'incomplete',
      id: 'HCERT_EU_DCC_OMITTED_NAME_UNSTRUCTURED',
      text: 'The EU DCC payload was left out: it needs a structured family/given name (and their ICAO 9303 forms), and the patient has only HumanName.text, which is never split on spaces. The DDCC:VS payload carries the name as written.',
      expression: 'Patient.name',
    });
  }
  // An untransliterable name is still refused (personName throws 422), as before.
  const n = personName(patient);
  const fields = { fn: n.family, fnt: n.familyIcao, gn: n.given, gnt: n.givenIcao };
  const long = Object.entries(fields).filter(([, v]) => v !== undefined && v.length > EU_DCC_TEXT_MAX);
  if (long.length === 0) return undefined;
  // A shortened name would be a wrong name, and a longer one fails the schema every verifier checks.
  return issue({
    severity: 'warning',
    code: 'incomplete',
    id: 'HCERT_EU_DCC_OMITTED_NAME_TOO_LONG',
    text: `The EU DCC payload was left out: its ${long.map(([k]) => k).join(', ')} may hold at most ${EU_DCC_TEXT_MAX} characters (eu-dcc-schema 1.3) and this name is longer; it is never shortened. The DDCC:VS payload carries the name in full.`,
    expression: 'Patient.name',
  });
}

function payloads(
  ctx: IssuerContext,
  input: IssueHcertInput,
  facts: VaccinationFacts,
  meta: { certificateId: string; kid: string; iat: number; exp: number },
  warnings: OperationOutcomeIssue[],
): HcertPayloadSet {
  const iso = (s: number): string => new Date(s * 1000).toISOString();
  const issuerName =
    ctx.organization.name ??
    fail('internal', {
      code: 'exception',
      id: 'ISSUER_ORGANIZATION_UNNAMED',
      text: 'The issuing Organization has no name',
    });
  const ddccVs = toDdccVs(input.patient, facts, {
    issuer: { display: issuerName, ...(ctx.organization.id ? { identifier: { value: ctx.organization.id } } : {}) },
    kid: meta.kid,
    hcid: { value: input.hcid ?? meta.certificateId },
    // With a paper-certificate HCID, the UVCI is what names (and revokes) this one certificate.
    ...(input.hcid ? { ddccid: { value: meta.certificateId } } : {}),
    version: DDCC_VS_VERSION,
    period: { start: iso(meta.iat), end: iso(meta.exp) },
  });
  const out: HcertPayloadSet = { ddccVs };
  if (isCovid19Vaccination(facts, ctx.terminology)) {
    const omitted = euDccOmitted(input.patient);
    if (omitted) warnings.push(omitted);
    else
      out.euDcc = toEuDcc(input.patient, [facts], {
        terminology: ctx.terminology,
        issuerName,
        certificateId: meta.certificateId,
      });
  }
  if (isIcvpCovered(facts, ctx.terminology))
    out.icvp = toIcvp(input.patient, facts, { issuerId: ctx.keys.country, validUntil: iso(meta.exp).slice(0, 10) });
  return out;
}

/** The QR the DDCC document embeds: the PNG, else the SVG, else none (then the document has no DocumentReference). */
function documentQr(hc1: string, qr: IssuedHcert['qr']): DdccDocumentInput['qr'] {
  if (qr.png) return { text: hc1, image: qr.png, contentType: 'image/png', type: 'who' };
  if (qr.svg) return { text: hc1, image: new TextEncoder().encode(qr.svg), contentType: 'image/svg+xml', type: 'who' };
  return undefined;
}

function checkDocument(ctx: IssuerContext, document: Bundle): void {
  if (!ctx.validate) return;
  const errors = (ctx.validate(document, DDCC_PROFILE.vsDocument).issue ?? []).filter(
    (i) => i.severity === 'error' || i.severity === 'fatal',
  );
  if (errors.length === 0) return;
  throw new OutcomeError('unprocessable', [
    issue({
      code: 'invalid',
      id: 'DDCC_DOCUMENT_INVALID',
      text: `The DDCC document built from these records does not conform to ${DDCC_PROFILE.vsDocument}; no certificate was issued`,
    }),
    ...errors,
  ]);
}

/**
 * Issue an HCERT (`HC1:`) for the latest completed vaccination, with QR, DDCC document and Provenance.
 * Throws 422 OutcomeErrors for mapping failures (MAPPING_*) and an invalid DDCC document (DDCC_DOCUMENT_INVALID).
 * @example const { hc1, qr, ddccDocument } = await issueHcert(ctx, { patient, immunizations: [imm], now, validitySeconds: 365 * 86400, requester: 'his-1' })
 * @see https://github.com/ehn-dcc-development/eu-dcc-hcert-spec/blob/main/hcert_spec.md
 */
export async function issueHcert(ctx: IssuerContext, input: IssueHcertInput): Promise<IssuedHcert> {
  const dsc = signingDsc(ctx.keys, input.now);
  const facts = certified(input.patient, input.immunizations);
  const iat = Math.floor(input.now.getTime() / 1000);
  // Never past the signer's own end: a verifier would reject the chain before the certificate expired.
  const exp = Math.min(iat + input.validitySeconds, Math.floor(dsc.certificate.notAfter.getTime() / 1000));
  const certificateId = input.certificateId ?? `URN:UVCI:01:${ctx.keys.country}:${randomIdPart(ctx.randomBytes)}`;
  const mappingWarnings: OperationOutcomeIssue[] = [];
  const payload = payloads(ctx, input, facts, { certificateId, kid: dsc.kid, iat, exp }, mappingWarnings);
  input.check?.(payload);
  const hcert = new Map<number, unknown>([[HCERT_KEY.ddccVs, [payload.ddccVs]]]);
  if (payload.euDcc) hcert.set(HCERT_KEY.euDcc, payload.euDcc);
  if (payload.icvp) hcert.set(HCERT_KEY.icvp, [payload.icvp]);
  const documentInput: DdccDocumentInput = {
    patient: input.patient,
    immunization: facts.immunization,
    organization: ctx.organization,
    hcid: { system: 'urn:HCID', value: input.hcid ?? certificateId },
    now: input.now,
    newUuid: ctx.newUuid,
  };
  // Checked before signing, so a record that cannot make a valid document costs no signature and no QR; the QR
  // DocumentReference added afterwards is ours and conforms to DDCCDocumentReferenceQR (tested).
  const checked = buildDdccDocument(documentInput);
  checkDocument(ctx, checked);
  const hc1 = await signHc1With({ iss: ctx.keys.country, iat, exp, hcert }, { signer: dsc.signer, kid: dsc.kidBytes });
  const qr = await credentialQrImages('hcert', hc1, input.qrFormats ?? ['png', 'svg']);
  // The document just checked (validation leaves it as it was), with the QR DocumentReference when there is an image.
  const qrPart = documentQr(hc1, qr);
  const ddccDocument = qrPart ? withQrDocumentReference(checked, { ...documentInput, qr: qrPart }) : checked;
  const warnings = [
    ...mappingWarnings,
    ...issuerTrustWarnings(ctx.trust, { kidBytes: dsc.kidBytes, kid: dsc.kid, country: ctx.keys.country }, input.now),
  ];
  const record = input.record ?? (async (r: IssuanceRecord) => (await recordIssuance(ctx.store, r)).id!);
  const provenanceId = await record({
    format: 'hcert',
    patientId: input.patient.id,
    sources: facts.immunization.id ? [`Immunization/${facts.immunization.id}`] : [],
    requester: input.requester,
    kid: dsc.kid,
    credentialId: certificateId,
    issuedAt: input.now,
    expiresAt: new Date(exp * 1000),
  });
  return {
    hc1,
    kid: dsc.kid,
    iat,
    exp,
    certificateId,
    payload,
    qr,
    ddccDocument,
    warnings,
    provenanceId,
  };
}
