/**
 * The DDCC:VS document Bundle (profile DDCCVSDocument): Composition (DDCCVSComposition) + Patient (DDCCPatient) +
 * the issuing Organization (DDCCOrganization) + the certified Immunization (DDCCImmunization) + a DocumentReference
 * (DDCCDocumentReferenceQR) holding the QR image and the serialized credential. Ids and time come from the caller.
 * References are rewritten to the Bundle's `urn:uuid:` fullUrls; references to resources not in the document keep
 * their type and display only, since a document must resolve every literal reference it carries.
 * http://smart.who.int/ddcc/StructureDefinition/DDCCVSDocument · https://hl7.org/fhir/R4/documents.html
 */
import type {
  Bundle,
  Composition,
  DocumentReference,
  Immunization,
  Organization,
  Patient,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import { DDCC } from './vaccination.ts';

export const DDCC_PROFILE = Object.freeze({
  vsDocument: `${DDCC}DDCCVSDocument`,
  document: `${DDCC}DDCCDocument`,
  vsComposition: `${DDCC}DDCCVSComposition`,
  patient: `${DDCC}DDCCPatient`,
  organization: `${DDCC}DDCCOrganization`,
  immunization: `${DDCC}DDCCImmunization`,
  qrDocumentReference: `${DDCC}DDCCDocumentReferenceQR`,
} as const);

export const DDCC_TITLE = 'Digital Documentation of COVID-19 Certificate (DDCC)';
const QR_TYPE_SYSTEM = 'http://smart.who.int/ddcc/CodeSystem/DDCCQRTypeCodeSystem';
const QR_FORMAT_SYSTEM = 'http://smart.who.int/ddcc/CodeSystem/DDCCQRFormatCodeSystem';
const CATEGORY_SYSTEM = 'http://smart.who.int/ddcc/CodeSystem/DDCCCompositionCategoryCodeSystem';

export interface DdccDocumentInput {
  patient: Patient;
  immunization: Immunization;
  /** The issuing authority (DDCCOrganization: name required). */
  organization: Organization;
  /** HCID: the health certificate identifier, also the Bundle's `link[publication]`. */
  hcid: { system: string; value: string };
  /** Instant of issuance (Bundle.timestamp, Composition.date). */
  now: Date;
  /** Fresh UUIDs (randomness is a parameter). */
  newUuid: () => string;
  /** The credential: `HC1:…` text and its QR image (PNG or SVG); absent when the verifier rebuilds the document. */
  qr?: { text: string; image: Uint8Array; contentType: 'image/png' | 'image/svg+xml'; type?: 'who' | 'dcc' | 'shc' };
}

type Refs = Map<string, string>;

function rewrite(value: unknown, refs: Refs): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, refs));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if (typeof obj.reference === 'string') {
    const target = obj.reference.startsWith('urn:') ? obj.reference : refs.get(obj.reference);
    if (target) return { ...obj, reference: target };
    const [type] = obj.reference.split('/');
    const out: Reference = { display: typeof obj.display === 'string' ? obj.display : obj.reference };
    if (type && /^[A-Z][A-Za-z]+$/.test(type)) out.type = type as Reference['type'];
    return out;
  }
  // A plain loop rather than fromEntries(entries().map()): the same own properties in the same order, without two
  // arrays per object (this copy runs on every `$verify` and issuance). `__proto__` stays data, as fromEntries keeps it.
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    if (k === '__proto__')
      Object.defineProperty(out, k, {
        value: rewrite(obj[k], refs),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[k] = rewrite(obj[k], refs);
  }
  return out;
}

function forDocument<T extends Resource>(resource: T, profile: string, refs: Refs): T {
  const { id: _id, meta: _meta, text: _text, ...rest } = resource as T & { text?: unknown };
  return { ...(rewrite(rest, refs) as T), meta: { profile: [profile] } };
}

function officialName(patient: Patient): Patient {
  const names = patient.name ?? [];
  const official = names.find((n) => n.use === 'official') ?? names[0];
  if (!official) return patient;
  // Joining the structured parts into text is safe (the reverse, splitting text, is what we never do).
  const text = official.text ?? [...(official.given ?? []), official.family].filter(Boolean).join(' ');
  const fixed = { ...official, use: 'official' as const, text };
  return { ...patient, name: [fixed, ...names.filter((n) => n !== official)] };
}

function withAuthority(imm: Immunization, orgRef: string): Immunization {
  const protocolApplied = (imm.protocolApplied ?? []).map((p) =>
    p.authority ? p : { ...p, authority: { reference: orgRef } },
  );
  return protocolApplied.length > 0 ? { ...imm, protocolApplied } : imm;
}

function qrDocumentReference(
  input: DdccDocumentInput,
  qr: NonNullable<DdccDocumentInput['qr']>,
  patientUrl: string,
  orgUrl: string,
): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    meta: { profile: [DDCC_PROFILE.qrDocumentReference] },
    status: 'current',
    type: { coding: [{ system: QR_TYPE_SYSTEM, code: qr.type ?? 'who' }] },
    subject: { reference: patientUrl },
    date: input.now.toISOString(),
    authenticator: { reference: orgUrl },
    content: [
      {
        attachment: { contentType: qr.contentType, data: Buffer.from(qr.image).toString('base64') },
        format: { system: QR_FORMAT_SYSTEM, code: 'image' },
      },
      {
        attachment: { contentType: 'application/json', data: Buffer.from(qr.text).toString('base64') },
        format: { system: QR_FORMAT_SYSTEM, code: 'serialized' },
      },
    ],
  };
}

function composition(
  input: DdccDocumentInput,
  urls: { patient: string; org: string; imm: string; qr?: string },
): Composition {
  return {
    resourceType: 'Composition',
    meta: { profile: [DDCC_PROFILE.vsComposition] },
    identifier: { use: 'official', system: input.hcid.system, value: input.hcid.value },
    status: 'final',
    type: { coding: [{ system: 'http://loinc.org', code: '82593-5' }] },
    category: [{ coding: [{ system: CATEGORY_SYSTEM, code: 'ddcc-vs' }] }],
    subject: { reference: urls.patient },
    date: input.now.toISOString(),
    author: [{ reference: urls.org }],
    title: DDCC_TITLE,
    attester: [{ mode: 'official', party: { reference: urls.org } }],
    section: [
      {
        code: { coding: [{ system: 'http://loinc.org', code: '11369-6' }] },
        focus: { reference: urls.imm },
        entry: [{ reference: urls.imm }, ...(urls.qr ? [{ reference: urls.qr }] : [])],
      },
    ],
  };
}

/**
 * Build the DDCC:VS document Bundle for one certified vaccination.
 * @example buildDdccDocument({ patient, immunization, organization, hcid, now, newUuid: randomUUID, qr: { text: hc1, image: png, contentType: 'image/png' } })
 * @see http://smart.who.int/ddcc/StructureDefinition/DDCCVSDocument
 */
export function buildDdccDocument(input: DdccDocumentInput): Bundle {
  const urn = (): string => `urn:uuid:${input.newUuid()}`;
  const urls = { composition: urn(), patient: urn(), org: urn(), imm: urn(), qr: input.qr ? urn() : undefined };
  const refs: Refs = new Map();
  if (input.patient.id) refs.set(`Patient/${input.patient.id}`, urls.patient);
  if (input.organization.id) refs.set(`Organization/${input.organization.id}`, urls.org);
  if (input.immunization.id) refs.set(`Immunization/${input.immunization.id}`, urls.imm);
  const patient = forDocument(officialName(input.patient), DDCC_PROFILE.patient, refs);
  const organization = forDocument(input.organization, DDCC_PROFILE.organization, refs);
  const immunization = forDocument(
    withAuthority({ ...input.immunization, patient: { reference: urls.patient } }, urls.org),
    DDCC_PROFILE.immunization,
    refs,
  );
  const entry: NonNullable<Bundle['entry']> = [
    {
      fullUrl: urls.composition,
      resource: composition(input, { patient: urls.patient, org: urls.org, imm: urls.imm, qr: urls.qr }),
    },
    { fullUrl: urls.patient, resource: patient },
    { fullUrl: urls.org, resource: organization },
    { fullUrl: urls.imm, resource: immunization },
  ];
  if (input.qr && urls.qr)
    entry.push({ fullUrl: urls.qr, resource: qrDocumentReference(input, input.qr, urls.patient, urls.org) });
  return {
    resourceType: 'Bundle',
    meta: { profile: [DDCC_PROFILE.vsDocument] },
    identifier: { system: input.hcid.system, value: input.hcid.value },
    type: 'document',
    timestamp: input.now.toISOString(),
    link: [{ relation: 'publication', url: `urn:HCID:${input.hcid.value}` }],
    entry,
  };
}

/**
 * The document `buildDdccDocument(input)` gives with `qr`, made from the one it built without (issuance checks that
 * one before signing): the same entries, the Composition's section also naming the QR DocumentReference, which is
 * added last. With the same `newUuid` sequence the result equals building with `qr` at once (tested), without copying
 * the records a second time.
 * @example const withQr = withQrDocumentReference(checked, { ...input, qr: { text: hc1, image: png, contentType: 'image/png' } })
 */
export function withQrDocumentReference(
  document: Bundle,
  input: DdccDocumentInput & { qr: NonNullable<DdccDocumentInput['qr']> },
): Bundle {
  const entries = document.entry ?? [];
  const urlOf = (type: string): string => {
    const found = entries.find((e) => e.resource?.resourceType === type)?.fullUrl;
    if (!found) throw new Error(`the DDCC document has no ${type} entry`);
    return found;
  };
  const qrUrl = `urn:uuid:${input.newUuid()}`;
  const entry = entries.map((e) => {
    if (e.resource?.resourceType !== 'Composition') return e;
    const c = e.resource;
    const section = (c.section ?? []).map((s, i) =>
      i === 0 ? { ...s, entry: [...(s.entry ?? []), { reference: qrUrl }] } : s,
    );
    return { ...e, resource: { ...c, section } };
  });
  entry.push({
    fullUrl: qrUrl,
    resource: qrDocumentReference(input, input.qr, urlOf('Patient'), urlOf('Organization')),
  });
  return { ...document, entry };
}
