/**
 * The IPS `$summary`: an International Patient Summary document Bundle built from what this server holds for one
 * patient — Immunizations, AllergyIntolerances, Conditions, MedicationStatements/Requests, Observations and
 * Procedures — with the resources they reference, a Composition authored by this server's organisation, signed by
 * it (`Bundle.signature`, a detached JWS by our DSC), and the
 * required sections (problems, allergies, medications) given an `emptyReason` when nothing is held, as the IPS does.
 * https://hl7.org/fhir/uv/ips/STU2/OperationDefinition-summary.html and https://hl7.org/fhir/uv/ips/STU2/design.html
 */
import type {
  Bundle,
  BundleEntry,
  Composition,
  CompositionSection,
  Organization,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import { OutcomeError, issue } from '../fhir/outcome.ts';
import type { ResourceStore } from '../storage/store.ts';
import type { IssuerContext } from './issuer-context.ts';
import { referenceStrings } from '../fhir/reference-strings.ts';
import { signDocument } from '../formats/fhir-signature.ts';
import { signerAt } from '../trust/issuer-keys.ts';

export const IPS_BUNDLE_PROFILE = 'http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips';
const LOINC = 'http://loinc.org';
/** Records per resource type taken into one summary; a patient with more is summarised from the first ones. */
const MAX_PER_TYPE = 500;
/** Referenced resources (Medication, Organization, Practitioner…) pulled in, at most. */
const MAX_REFERENCED = 500;

interface SectionSpec {
  code: string;
  title: string;
  required: boolean;
  /** Which of the patient's records go in it. */
  holds: (r: Resource) => boolean;
}

const category = (r: Resource): string[] =>
  r.resourceType === 'Observation' ? (r.category ?? []).flatMap((c) => (c.coding ?? []).map((x) => x.code ?? '')) : [];
const isObservationIn =
  (codes: string[]) =>
  (r: Resource): boolean =>
    r.resourceType === 'Observation' && category(r).some((c) => codes.includes(c));

/** The IPS sections this server fills, in the order of the IPS Composition profile. */
const SECTIONS: readonly SectionSpec[] = [
  { code: '11450-4', title: 'Problem List', required: true, holds: (r) => r.resourceType === 'Condition' },
  {
    code: '48765-2',
    title: 'Allergies and Intolerances',
    required: true,
    holds: (r) => r.resourceType === 'AllergyIntolerance',
  },
  {
    code: '10160-0',
    title: 'Medication Summary',
    required: true,
    holds: (r) => r.resourceType === 'MedicationStatement' || r.resourceType === 'MedicationRequest',
  },
  { code: '11369-6', title: 'Immunizations', required: false, holds: (r) => r.resourceType === 'Immunization' },
  {
    code: '30954-2',
    title: 'Results',
    required: false,
    holds: (r) => r.resourceType === 'Observation' && !isObservationIn(['vital-signs', 'social-history'])(r),
  },
  { code: '47519-4', title: 'History of Procedures', required: false, holds: (r) => r.resourceType === 'Procedure' },
  { code: '8716-3', title: 'Vital Signs', required: false, holds: isObservationIn(['vital-signs']) },
  { code: '29762-2', title: 'Social History', required: false, holds: isObservationIn(['social-history']) },
];

/** The search parameter naming the patient, per resource type summarised. */
const BY_PATIENT: Readonly<Record<string, string>> = {
  Condition: 'patient',
  AllergyIntolerance: 'patient',
  MedicationStatement: 'patient',
  MedicationRequest: 'patient',
  Immunization: 'patient',
  Observation: 'patient',
  Procedure: 'patient',
};

export interface SummaryInput {
  patient: Patient;
  /** This server's FHIR base URL: stored resources get `<base>/<type>/<id>` as fullUrl, so their references resolve. */
  baseUrl: string;
  now: Date;
}

async function recordsOf(store: ResourceStore, patientId: string): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const [resourceType, code] of Object.entries(BY_PATIENT)) {
    const result = await store.search({
      resourceType,
      filters: [{ code, type: 'reference', values: [{ kind: 'reference', resourceType: 'Patient', id: patientId }] }],
      sort: [],
      count: MAX_PER_TYPE,
      offset: 0,
      total: 'none',
      summaryCount: false,
      include: [],
      revinclude: [],
    });
    out.push(...result.resources);
  }
  return out;
}

/** `Type/id` references (relative, or absolute under our base) found anywhere in a resource. */
function localReferences(resource: Resource, baseUrl: string): string[] {
  return referenceStrings(resource)
    .map((x) => (x.startsWith(`${baseUrl}/`) ? x.slice(baseUrl.length + 1) : x))
    .filter((r) => /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(r));
}

/** The stored resources the records reference (transitively), so that every reference resolves inside the document. */
async function referencedResources(
  store: ResourceStore,
  records: readonly Resource[],
  baseUrl: string,
): Promise<Resource[]> {
  const have = new Set(records.map((r) => `${r.resourceType}/${r.id}`));
  const queue = records.flatMap((r) => localReferences(r, baseUrl));
  const out: Resource[] = [];
  while (queue.length > 0 && out.length < MAX_REFERENCED) {
    const ref = queue.shift() as string;
    if (have.has(ref)) continue;
    have.add(ref);
    const [type, id] = ref.split('/') as [string, string];
    const found = await store.read(type, id).catch(() => undefined);
    if (found?.status !== 'found') continue;
    out.push(found.resource);
    queue.push(...localReferences(found.resource, baseUrl));
  }
  return out;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Concept {
  text?: string;
  coding?: { display?: string; code?: string }[];
}

/** A short human label of a record for the section narrative. */
function labelOf(r: Resource): string {
  const any = r as { code?: Concept; vaccineCode?: Concept; medicationCodeableConcept?: Concept };
  const concept = any.code ?? any.vaccineCode ?? any.medicationCodeableConcept;
  const name = concept?.text ?? concept?.coding?.[0]?.display ?? concept?.coding?.[0]?.code;
  return `${r.resourceType}${name ? `: ${name}` : ''}`;
}

const div = (inner: string) => ({
  status: 'generated' as const,
  div: `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>`,
});

function section(
  spec: SectionSpec,
  entries: readonly { fullUrl: string; resource: Resource }[],
): CompositionSection | undefined {
  const base = { title: spec.title, code: { coding: [{ system: LOINC, code: spec.code }] } };
  if (entries.length === 0) {
    if (!spec.required) return undefined;
    return {
      ...base,
      text: div(`There is no information available for ${escapeHtml(spec.title.toLowerCase())}.`),
      emptyReason: {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason',
            code: 'unavailable',
            display: 'Unavailable',
          },
        ],
      },
    };
  }
  return {
    ...base,
    text: div(`<ul>${entries.map((e) => `<li>${escapeHtml(labelOf(e.resource))}</li>`).join('')}</ul>`),
    entry: entries.map((e) => ({ reference: e.fullUrl })),
  };
}

/**
 * Builds the IPS document for a stored patient. Throws OutcomeError 422 SUMMARY_PATIENT_INCOMPLETE when the patient
 * lacks what the IPS Patient profile requires (name, birthDate): the summary could not be conformant.
 * @example const bundle = await buildIpsSummary(ctx, { patient, baseUrl: 'https://gateway.example/fhir', now }) // bundle.type === 'document'
 */
export async function buildIpsSummary(ctx: IssuerContext, input: SummaryInput): Promise<Bundle> {
  const { patient, baseUrl, now } = input;
  if (!patient.name?.length || !patient.birthDate) {
    throw new OutcomeError(
      'unprocessable',
      issue({
        code: 'required',
        id: 'SUMMARY_PATIENT_INCOMPLETE',
        text: `Patient/${patient.id} has no ${patient.name?.length ? 'birthDate' : 'name'}, which an IPS Patient requires`,
        expression: 'Patient',
      }),
    );
  }
  const records = await recordsOf(ctx.store, patient.id as string);
  const referenced = await referencedResources(ctx.store, [patient, ...records], baseUrl);
  const stored = (r: Resource) => ({ fullUrl: `${baseUrl}/${r.resourceType}/${r.id}`, resource: r });
  const author: Organization = { ...ctx.organization, id: ctx.newUuid() };
  const authorEntry = { fullUrl: `urn:uuid:${author.id}`, resource: author };
  const patientEntry = stored(patient);
  const recordEntries = records.map(stored);
  const sections = SECTIONS.map((spec) =>
    section(
      spec,
      recordEntries.filter((e) => spec.holds(e.resource)),
    ),
  ).filter((s): s is CompositionSection => s !== undefined);
  const placed = new Set(sections.flatMap((s) => (s.entry ?? []).map((e) => e.reference)));
  const composition: Composition = {
    resourceType: 'Composition',
    id: ctx.newUuid(),
    text: div(
      `International Patient Summary of ${escapeHtml(patient.name[0]?.text ?? [patient.name[0]?.given?.join(' '), patient.name[0]?.family].filter(Boolean).join(' '))}`,
    ),
    status: 'final',
    type: { coding: [{ system: LOINC, code: '60591-5', display: 'Patient summary Document' }] },
    subject: { reference: patientEntry.fullUrl },
    date: now.toISOString(),
    author: [{ reference: authorEntry.fullUrl }],
    title: 'International Patient Summary',
    custodian: { reference: authorEntry.fullUrl },
    section: sections,
  };
  const entries: BundleEntry[] = [
    { fullUrl: `urn:uuid:${composition.id}`, resource: composition },
    patientEntry,
    authorEntry,
    // Records no section holds (an Observation of another category…) stay out: every entry hangs from the Composition.
    ...recordEntries.filter((e) => placed.has(e.fullUrl)),
    ...referenced.filter((r) => !(r.resourceType === 'Patient' && r.id === patient.id)).map(stored),
  ];
  const bundle: Bundle = {
    resourceType: 'Bundle',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${ctx.newUuid()}` },
    type: 'document',
    timestamp: now.toISOString(),
    entry: entries,
  };
  return signAsAuthor(ctx, bundle, authorEntry.fullUrl, now);
}

/**
 * The author signs: a detached JWS by the DSC that signs our HCERTs, `who` = the author Organization entry (ADR 0064).
 * Without a DSC valid now the summary goes out unsigned rather than not at all — Bundle.signature is 0..1 in the IPS
 * profile, and the HCERT/VHL that carries a summary is signed on its own.
 */
async function signAsAuthor(ctx: IssuerContext, bundle: Bundle, who: string, now: Date): Promise<Bundle> {
  const dsc = signerAt(ctx.keys, now);
  if (!dsc) return bundle;
  return signDocument(bundle, {
    signer: dsc.signer,
    kid: dsc.kid,
    certificateDer: dsc.certificate.der,
    who,
    when: now,
  });
}
