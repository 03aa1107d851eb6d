/**
 * `$issue-hcert` as a printed certificate: the check made before signing (can the fonts draw the free text?) and
 * the PDF of the issued HCERT. Both are plain functions of the payload; the HTTP layer chooses when to call them.
 */
import { fail } from '../../fhir/outcome.ts';
import type { HcertPayloadSet, IssuedHcert } from '../issue-hcert.ts';
import { renderCertificatePdf, type PageSize } from './certificate-pdf.ts';
import { sheetOf, unprintableFields } from './sheet-model.ts';
import type { SheetLanguage } from './sheet-strings.ts';

/**
 * Refuse (422 PDF_CHARACTERS_UNSUPPORTED) a certificate whose name or other free text has characters the embedded
 * fonts cannot draw: a printout with blank boxes in a name is a wrong certificate. The JSON answer is unaffected.
 * @example issueHcert(ctx, { ...input, check: assertPrintable })
 */
export function assertPrintable(payload: HcertPayloadSet): void {
  const problems = unprintableFields(payload.ddccVs);
  if (problems.length === 0) return;
  const shown = (cs: string[]) =>
    cs.length > 8 ? `${cs.slice(0, 8).join(', ')} and ${cs.length - 8} more` : cs.join(', ');
  fail('unprocessable', {
    code: 'not-supported',
    id: 'PDF_CHARACTERS_UNSUPPORTED',
    text: `The printable certificate cannot draw ${problems.map((p) => `${p.expression} (${shown(p.characters)})`).join('; ')}: its fonts cover Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew and Arabic scripts. Nothing was issued; ask for the certificate without format=pdf.`,
    expression: problems.map((p) => p.expression),
  });
}

/**
 * The one-page PDF of an issued HCERT.
 * @example const pdf = await hcertPdf(issued, { language: 'fr', pageSize: 'A4' })
 */
export function hcertPdf(
  issued: IssuedHcert,
  options: { language: SheetLanguage; pageSize: PageSize },
): Promise<Uint8Array> {
  const sheet = sheetOf(issued.hc1, issued.payload.ddccVs, {
    euDcc: issued.payload.euDcc !== undefined,
    icvp: issued.payload.icvp !== undefined,
  });
  return renderCertificatePdf(sheet, { ...options, createdAt: new Date(issued.iat * 1000) });
}
