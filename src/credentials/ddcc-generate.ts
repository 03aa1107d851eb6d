/**
 * Generate Health Certificate (the DDCC IG's Submit Health Event, expected actions of the DDCC Generation Service):
 * a DDCC:VS QuestionnaireResponse, checked against its Questionnaire, becomes a DDCC Patient and Immunization, a
 * signed HCERT with its QR, and the DDCC:VS document Bundle holding them, which is stored (Store Health Certificate)
 * and registered in the DDCC Folder of its paper certificate (Register Health Certificate, MHD ITI-65). Every write
 * lands in one store transaction: a request that fails leaves nothing behind.
 * http://smart.who.int/ddcc/transactions.html#submit-health-event
 */
import type { Bundle, OperationOutcome, OperationOutcomeIssue, QuestionnaireResponse } from '@medplum/fhirtypes';
import { OutcomeError, fail, issue } from '../fhir/outcome.ts';
import type { ResourceStore } from '../storage/store.ts';
import { documentIdentifier, findFolder, registerDocument, type Registered } from './ddcc-registry.ts';
import type { IssuerContext } from './issuer-context.ts';
import { issueHcert, type IssuedHcert } from './issue-hcert.ts';
import {
  DDCC_VS_QUESTIONNAIRE,
  LEGACY_DDCC_VS_QUESTIONNAIRE,
  ddccImmunization,
  ddccPatient,
  ddccVsAnswers,
} from './mapping/ddcc-questionnaire.ts';

export interface GenerateInput {
  /** The `response` parameter as sent: a QuestionnaireResponse, or a Bundle holding one. */
  response: unknown;
  now: Date;
  validitySeconds: number;
  requester: string;
  /** The validation engine on one resource (checks a QuestionnaireResponse against its Questionnaire). */
  validate: (resource: unknown) => OperationOutcome;
}

export interface GeneratedDdcc {
  /** The signed DDCC:VS document; `id` is its DDCC id. */
  document: Bundle & { id: string };
  issued: IssuedHcert;
  registered: Registered;
  patientId: string;
  immunizationId: string;
  responseId: string;
  /** Warnings of the QuestionnaireResponse check and of issuance. */
  warnings: OperationOutcomeIssue[];
}

/** The DDCC:VS core data set questionnaire has 22 questions and no repeats: a response of hundreds is not one. */
const DDCC_VS_ITEMS = 22;
const MAX_RESPONSE_ITEMS = 500;
/** An answer names its first errors; thousands of the same error help nobody and cost megabytes. */
const MAX_LISTED_ERRORS = 100;

/** Items and nested items (under items and answers), counted without recursion and stopping past the cap. */
function countItems(top: unknown): number {
  let count = 0;
  const stack: unknown[] = [top];
  while (stack.length > 0 && count <= MAX_RESPONSE_ITEMS) {
    const list = stack.pop();
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      count++;
      if (typeof item !== 'object' || item === null) continue;
      const { item: children, answer } = item as { item?: unknown; answer?: unknown };
      stack.push(children);
      if (Array.isArray(answer)) for (const a of answer) stack.push((a as { item?: unknown } | null)?.item);
    }
  }
  return count;
}

const unprocessable = (id: 'DDCC_RESPONSE_UNSUPPORTED' | 'DDCC_RESPONSE_NOT_COMPLETED', text: string, at: string) =>
  fail('unprocessable', { code: 'not-supported', id, text, expression: at });

/** The QuestionnaireResponse in `response`: itself, or the single one a Bundle holds. */
function responseOf(response: unknown): QuestionnaireResponse {
  const r = response as { resourceType?: unknown; entry?: unknown } | undefined;
  if (r?.resourceType === 'QuestionnaireResponse') return r as QuestionnaireResponse;
  if (r?.resourceType === 'Bundle' && Array.isArray(r.entry)) {
    const found = (r.entry as Array<{ resource?: { resourceType?: string } }>).filter(
      (e) => e?.resource?.resourceType === 'QuestionnaireResponse',
    );
    if (found.length === 1) return found[0]!.resource as QuestionnaireResponse;
  }
  return unprocessable(
    'DDCC_RESPONSE_UNSUPPORTED',
    'response must be a DDCC QuestionnaireResponse, or a Bundle holding exactly one',
    'response',
  );
}

/** The response read against the IG's questionnaire (the mediator's older canonical is the same questionnaire). */
function checkedResponse(input: GenerateInput): { qr: QuestionnaireResponse; warnings: OperationOutcomeIssue[] } {
  const given = responseOf(input.response);
  const canonical = typeof given.questionnaire === 'string' ? given.questionnaire.split('|')[0] : undefined;
  if (canonical !== DDCC_VS_QUESTIONNAIRE && canonical !== LEGACY_DDCC_VS_QUESTIONNAIRE)
    unprocessable(
      'DDCC_RESPONSE_UNSUPPORTED',
      `Only responses to ${DDCC_VS_QUESTIONNAIRE} (DDCC:VS) make a certificate here, not to ${String(given.questionnaire)}`,
      'QuestionnaireResponse.questionnaire',
    );
  if (given.status !== 'completed' && given.status !== 'amended')
    unprocessable(
      'DDCC_RESPONSE_NOT_COMPLETED',
      `A certificate is made from a completed response, not one with status "${String(given.status)}"`,
      'QuestionnaireResponse.status',
    );
  const items = countItems(given.item);
  if (items > MAX_RESPONSE_ITEMS)
    fail('unprocessable', {
      code: 'too-costly',
      id: 'DDCC_RESPONSE_TOO_LARGE',
      text: `The QuestionnaireResponse has more than ${MAX_RESPONSE_ITEMS} items (the DDCC:VS questionnaire asks ${DDCC_VS_ITEMS} questions, none repeating); it was not checked`,
      expression: 'QuestionnaireResponse.item',
    });
  const qr: QuestionnaireResponse = { ...given, questionnaire: DDCC_VS_QUESTIONNAIRE };
  const issues = input.validate(qr).issue ?? [];
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length > 0)
    throw new OutcomeError('unprocessable', [
      issue({
        code: 'invalid',
        id: 'DDCC_RESPONSE_INVALID',
        text: `The QuestionnaireResponse does not answer ${DDCC_VS_QUESTIONNAIRE} as it asks (${errors.length} error(s)${errors.length > MAX_LISTED_ERRORS ? `, the first ${MAX_LISTED_ERRORS} listed` : ''}); no certificate was made`,
      }),
      ...errors.slice(0, MAX_LISTED_ERRORS),
    ]);
  return { qr, warnings: issues.filter((i) => i.severity === 'warning') };
}

/**
 * Checks, maps, signs, stores and registers one DDCC:VS QuestionnaireResponse.
 * Throws 422 DDCC_RESPONSE_* for a response that cannot make a certificate, and issuance's own 422s (MAPPING_*).
 * @example const { document } = await generateHealthCertificate(ctx, { response: qr, now, validitySeconds, requester: 'his-1', validate })
 *   // document.type === 'document', document.link[0].url === 'urn:HCID:<hcid of the response>'
 */
export async function generateHealthCertificate(ctx: IssuerContext, input: GenerateInput): Promise<GeneratedDdcc> {
  const { qr, warnings } = checkedResponse(input);
  const answers = ddccVsAnswers(qr);
  return ctx.store.transaction(async (tx: ResourceStore) => {
    // One Folder per paper certificate: a later dose on the same HCID joins its Folder and its Patient.
    const folder = await findFolder(tx, answers.hcid);
    const folderPatient = folder?.subject?.reference?.match(/^Patient\/([A-Za-z0-9.-]{1,64})$/)?.[1];
    const patientId = folderPatient ?? ctx.newUuid();
    const immunizationId = ctx.newUuid();
    const responseId = ctx.newUuid();
    const patient = ddccPatient(answers, patientId);
    const immunization = ddccImmunization(answers, { id: immunizationId, patientId });
    const issued = await issueHcert(
      { ...ctx, store: tx },
      {
        patient,
        immunizations: [immunization],
        now: input.now,
        validitySeconds: input.validitySeconds,
        requester: input.requester,
        hcid: answers.hcid,
      },
    );
    const ddccId = ctx.newUuid();
    const document = { ...issued.ddccDocument, id: ddccId, identifier: documentIdentifier(ddccId) };
    await tx.update(patient);
    await tx.update(immunization);
    await tx.update({ ...qr, id: responseId, subject: { reference: `Patient/${patientId}` } });
    const registered = await registerDocument(tx, {
      document,
      patientId,
      hcid: answers.hcid,
      certificateId: issued.certificateId,
      now: input.now,
      newUuid: ctx.newUuid,
      ...(folder ? { folder } : {}),
    });
    return {
      document,
      issued,
      registered,
      patientId,
      immunizationId,
      responseId,
      warnings: [...warnings, ...issued.warnings],
    };
  });
}
