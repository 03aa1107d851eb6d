/**
 * Generate Health Folder (DDCC IG `$generateHealthFolder`): a DDCC Folder from an IPS Bundle. The Bundle's Patient
 * and each of its completed Immunizations are stored, one signed DDCC:VS document is made per Immunization, and
 * all of them are registered in one new Folder (a List, MHD ITI-65) under a fresh HCID. One store transaction: a
 * Bundle that cannot make every certificate makes none.
 * http://smart.who.int/ddcc/OperationDefinition/DDCCQuestionnaireResponsegenerateHealthFolder
 */
import type { Bundle, Immunization, List, OperationOutcomeIssue, Patient } from '@medplum/fhirtypes';
import { fail } from '../fhir/outcome.ts';
import { documentIdentifier, registerDocument } from './ddcc-registry.ts';
import { randomIdPart, type IssuerContext } from './issuer-context.ts';
import { issueHcert } from './issue-hcert.ts';

/** Most certificates one folder request makes: each costs a signature and a QR image. */
export const FOLDER_MAX_IMMUNIZATIONS = 50;

export interface GenerateFolderInput {
  bundle: unknown;
  now: Date;
  validitySeconds: number;
  requester: string;
}

export interface GeneratedFolder {
  folder: List & { id: string };
  documentIds: string[];
  warnings: OperationOutcomeIssue[];
}

const refuse = (id: 'DDCC_FOLDER_BUNDLE_INVALID' | 'DDCC_FOLDER_TOO_MANY', text: string, expression = 'bundle') =>
  fail('unprocessable', {
    code: id === 'DDCC_FOLDER_TOO_MANY' ? 'too-costly' : 'invalid',
    id,
    text,
    expression,
  });

/** The one Patient of the Bundle and the completed Immunizations that point at it (by fullUrl or Patient/id). */
function recordsOf(bundle: unknown): { patient: Patient; immunizations: Immunization[] } {
  const b = bundle as Bundle | undefined;
  if (b?.resourceType !== 'Bundle' || !Array.isArray(b.entry))
    return refuse('DDCC_FOLDER_BUNDLE_INVALID', '$generateHealthFolder takes an IPS Bundle with entries');
  const entries = b.entry.filter((e) => typeof e?.resource === 'object' && e.resource !== null);
  const patients = entries.filter((e) => e.resource!.resourceType === 'Patient');
  if (patients.length !== 1)
    return refuse(
      'DDCC_FOLDER_BUNDLE_INVALID',
      `The Bundle must hold exactly one Patient (it holds ${patients.length})`,
    );
  const p = patients[0]!;
  const patient = p.resource as Patient;
  // IPS Bundles point at their Patient by fullUrl, by Patient/<id>, or by Patient/<the uuid of its urn:uuid: fullUrl>.
  const uuid = p.fullUrl?.match(/^urn:uuid:([0-9a-fA-F-]{36})$/)?.[1];
  const names = new Set(
    [p.fullUrl, patient.id && `Patient/${patient.id}`, uuid && `Patient/${uuid}`].filter((n): n is string => !!n),
  );
  const immunizations = entries
    .map((e) => e.resource as Immunization)
    .filter((r) => r.resourceType === 'Immunization' && r.status === 'completed')
    .filter((r) => names.has(r.patient?.reference ?? ''));
  if (immunizations.length === 0)
    return refuse('DDCC_FOLDER_BUNDLE_INVALID', 'The Bundle holds no completed Immunization of its Patient');
  if (immunizations.length > FOLDER_MAX_IMMUNIZATIONS)
    return refuse(
      'DDCC_FOLDER_TOO_MANY',
      `One folder request makes at most ${FOLDER_MAX_IMMUNIZATIONS} certificates (the Bundle has ${immunizations.length} Immunizations)`,
    );
  return { patient, immunizations };
}

/**
 * @example const { folder } = await generateHealthFolder(ctx, { bundle: ips, now, validitySeconds, requester: 'his-1' })
 *   // folder.code.coding[0].code === 'folder', one entry per completed Immunization
 */
export async function generateHealthFolder(ctx: IssuerContext, input: GenerateFolderInput): Promise<GeneratedFolder> {
  const records = recordsOf(input.bundle);
  const hcid = randomIdPart(ctx.randomBytes, 20);
  return ctx.store.transaction(async (tx) => {
    const patientId = ctx.newUuid();
    const { meta: _m, text: _t, ...rest } = records.patient as Patient & { text?: unknown };
    const patient: Patient = { ...rest, id: patientId };
    await tx.update(patient);
    let folder: List | undefined;
    const documentIds: string[] = [];
    const warnings: OperationOutcomeIssue[] = [];
    for (const given of records.immunizations) {
      const { meta: _im, text: _it, ...imm } = given as Immunization & { text?: unknown };
      const immunization: Immunization = { ...imm, id: ctx.newUuid(), patient: { reference: `Patient/${patientId}` } };
      await tx.update(immunization);
      const issued = await issueHcert(
        { ...ctx, store: tx },
        {
          patient,
          immunizations: [immunization],
          now: input.now,
          validitySeconds: input.validitySeconds,
          requester: input.requester,
          hcid,
        },
      );
      const ddccId = ctx.newUuid();
      const document = { ...issued.ddccDocument, id: ddccId, identifier: documentIdentifier(ddccId) };
      const registered = await registerDocument(tx, {
        document,
        patientId,
        hcid,
        certificateId: issued.certificateId,
        now: input.now,
        newUuid: ctx.newUuid,
        ...(folder ? { folder } : {}),
      });
      const read = await tx.read('List', registered.folderId);
      folder = read.status === 'found' ? (read.resource as List) : undefined;
      documentIds.push(ddccId);
      warnings.push(...issued.warnings);
    }
    return { folder: folder as List & { id: string }, documentIds, warnings };
  });
}
