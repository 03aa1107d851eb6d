/**
 * `$issue-hcert` on `Immunization/{id}` (that dose) and `Patient/{id}` (their latest completed dose): an HCERT with
 * the DDCC:VS, EU DCC and ICVP payloads, its QR images and the DDCC document. 422 when a code does not map.
 * With `format=pdf` (or `Accept: application/pdf` and no `format`) the answer is the printable certificate.
 */
import { OPERATION_SCOPES } from '../../auth/operation-scopes.ts';
import { hcertToParameters } from '../../credentials/operation-parameters.ts';
import { issueHcert } from '../../credentials/issue-hcert.ts';
import { assertPrintable, hcertPdf } from '../../credentials/printable/printable-hcert.ts';
import type { PageSize } from '../../credentials/printable/certificate-pdf.ts';
import { isSheetLanguage, SHEET_LANGUAGES, type SheetLanguage } from '../../credentials/printable/sheet-strings.ts';
import { fail } from '../../fhir/outcome.ts';
import type { CredentialServices } from '../../services-credentials.ts';
import { acceptedLanguages, prefersType } from '../accept-headers.ts';
import type { FhirRequest } from '../fhir-request.ts';
import type { OperationRoute } from '../routes.ts';
import { qrFormatsParam } from './credential-input.ts';
import { defineOperation } from './define.ts';
import type { OperationInput } from './input.ts';
import { recordsOfImmunization, recordsOfPatient } from './records.ts';

const PDF = 'application/pdf';

interface PrintRequest {
  language: SheetLanguage;
  pageSize: PageSize;
}

function oneOf<T extends string>(input: OperationInput, name: string, allowed: readonly T[]): T | undefined {
  const value = input.string(name);
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  return fail('invalid', {
    code: 'code-invalid',
    id: 'OPERATION_PARAM_CODE_UNKNOWN',
    text: `${name} must be one of ${allowed.join(', ')}, got "${value}"`,
    expression: name,
  });
}

/** The printing asked for, or undefined for the Parameters answer. */
function printRequest(input: OperationInput, req: FhirRequest): PrintRequest | undefined {
  const format = oneOf(input, 'format', ['json', 'pdf'] as const);
  const language = oneOf(input, 'language', SHEET_LANGUAGES);
  const pageSize = oneOf(input, 'pageSize', ['A4', 'letter'] as const);
  if (format === 'json' || (format === undefined && !prefersType(req.headers.accept, PDF))) return undefined;
  return {
    language: language ?? acceptedLanguages(req.headers.acceptLanguage).find(isSheetLanguage) ?? 'en',
    pageSize: pageSize ?? 'A4',
  };
}

export function issueHcertOperation(credentials: CredentialServices, now: () => Date): OperationRoute {
  const maxDays = Math.max(1, Math.floor(credentials.hcertValiditySeconds / 86_400));
  return defineOperation('issue-hcert', {
    scope: OPERATION_SCOPES.issueHcert,
    handle: async (ctx, req, target, input) => {
      const days = input.integer('validityDays', { min: 1, max: maxDays });
      const print = printRequest(input, req);
      // The sheet draws its QR itself: no image is rendered for a PDF answer.
      const qrFormats = print ? [] : qrFormatsParam(input);
      const id = target.id as string;
      const records =
        target.type === 'Patient'
          ? await recordsOfPatient(ctx.store, id)
          : await recordsOfImmunization(ctx.store, id, ctx.settings.baseUrl);
      const issued = await issueHcert(credentials.issuer(), {
        ...records,
        now: now(),
        validitySeconds: days === undefined ? credentials.hcertValiditySeconds : days * 86_400,
        requester: req.requester ?? 'unknown',
        qrFormats,
        ...(print ? { check: assertPrintable } : {}),
      });
      if (!print) return { status: 200, resource: hcertToParameters(issued) };
      const data = await hcertPdf(issued, print);
      return {
        status: 200,
        resource: { resourceType: 'Binary', contentType: PDF, data: Buffer.from(data).toString('base64') },
        body: { contentType: PDF, data },
        headers: {
          'Content-Disposition': `inline; filename="certificate-${issued.certificateId.replace(/[^A-Za-z0-9_-]/g, '_')}.pdf"`,
          'Content-Language': print.language,
        },
      };
    },
  });
}
