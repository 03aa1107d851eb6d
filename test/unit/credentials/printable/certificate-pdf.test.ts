/**
 * The printable certificate (issue 15), read back as a person's tools read it: poppler renders the page to PNG and
 * the project's QR reader (jsqr) must find the very HC1 that was issued; pdftotext finds the holder, the event,
 * the issuer, the certificate id and the validity in the language asked, with the words of the catalogue.
 */
import type { Immunization, Patient } from '@medplum/fhirtypes';
import { issueHcert, type IssuedHcert } from '../../../../src/credentials/issue-hcert.ts';
import { PAGE_SIZES } from '../../../../src/credentials/printable/certificate-pdf.ts';
import { sheetFonts } from '../../../../src/credentials/printable/sheet-fonts.ts';
import { hcertPdf } from '../../../../src/credentials/printable/printable-hcert.ts';
import { SHEET_LANGUAGES, SHEET_STRINGS } from '../../../../src/credentials/printable/sheet-strings.ts';
import { packageExample } from '../../../helpers/shared-packages.ts';
import { pdfFonts, pdfInfo, pdfText, scanPageQr } from '../../../helpers/pdf-tools.ts';
import { makeHarness, NOW, YEAR, type Harness } from '../harness.ts';
import { covidImmunization, patient } from '../fixtures.ts';

const DDCC = 'who.ddcc#1.0.0.tgz';
const example = <T>(file: string): T => packageExample(DDCC, file) as T;

let h: Harness;
let english: IssuedHcert;

const issue = (p: Patient, imm: Immunization) =>
  issueHcert(h.ctx, {
    patient: p,
    immunizations: [imm],
    now: NOW,
    validitySeconds: YEAR,
    requester: 'x',
    qrFormats: [],
  });

beforeAll(async () => {
  h = await makeHarness();
  english = await issue(
    example<Patient>('Patient-DDCCPatientEnglish.json'),
    example<Immunization>('Immunization-DDCCImmunizationEnglish.json'),
  );
});

/** pdftotext breaks lines and may space words differently: compare with white space folded. */
const folded = (s: string) => s.replace(/\s+/g, ' ');

describe.each(SHEET_LANGUAGES)('a certificate printed in %s', (language) => {
  let pdf: Uint8Array;
  let text: string;
  beforeAll(async () => {
    pdf = await hcertPdf(english, { language, pageSize: 'A4' });
    text = folded(pdfText(pdf));
  });

  test('when the page is rendered to PNG, then the QR read from the picture is the issued HC1', () => {
    expect(scanPageQr(pdf)).toBe(english.hc1);
  });

  test('when its text is extracted, then it holds the catalogue words of that language and the certificate facts', () => {
    const s = SHEET_STRINGS[language];
    for (const label of [s.title, s.holder, s.name, s.birthDate, s.vaccination, s.issuer, s.certificateId, s.validity])
      expect(text).toContain(label);
    const ddcc = english.payload.ddccVs;
    expect(text).toContain(ddcc.name);
    expect(text).toContain(ddcc.birthDate);
    expect(text).toContain(ddcc.vaccination.date);
    expect(text).toContain(ddcc.vaccination.lot);
    expect(text).toContain(ddcc.certificate.issuer.display);
    expect(text).toContain(english.certificateId);
    expect(text).toContain(new Date(english.exp * 1000).toISOString().slice(0, 10));
    // The other languages' titles are not on this page.
    for (const other of SHEET_LANGUAGES.filter((l) => l !== language))
      expect(text).not.toContain(SHEET_STRINGS[other].title);
  });

  test('when its metadata and fonts are read, then it is one A4 page titled in that language, its fonts embedded and subset', () => {
    const info = pdfInfo(pdf);
    expect(info.Pages).toBe('1');
    const [w, h] = PAGE_SIZES.A4;
    expect(info['Page size']).toContain(`${w} x ${Number(h.toFixed(2))} pts`);
    expect(info.Title).toBe(SHEET_STRINGS[language].title);
    const fonts = pdfFonts(pdf);
    expect(fonts.length).toBeGreaterThan(0);
    expect(fonts.every((f) => f.embedded)).toBe(true);
    // pdf-lib names subsets without the ABCDEF+ tag pdffonts looks for; the size tells: the whole regular face is
    // larger than this page with both faces in it.
    expect(pdf.length).toBeLessThan(sheetFonts().regular.length / 4);
  });
});

test('when US Letter is asked, then the page is Letter and the QR still reads as the issued HC1', async () => {
  const pdf = await hcertPdf(english, { language: 'en', pageSize: 'letter' });
  const [w, h] = PAGE_SIZES.letter;
  expect(pdfInfo(pdf)['Page size']).toContain(`${w} x ${h} pts`);
  expect(scanPageQr(pdf)).toBe(english.hc1);
});

test('when the holder has a structured Latin name, then the EU DCC rides in the QR too and the sheet lists it', async () => {
  const issued = await issue(patient(), covidImmunization());
  const pdf = await hcertPdf(issued, { language: 'en', pageSize: 'A4' });
  expect(issued.payload.euDcc).toBeDefined();
  expect(folded(pdfText(pdf))).toContain('DDCC:VS, EU DCC');
  expect(scanPageQr(pdf)).toBe(issued.hc1);
});

describe.each([
  ['Cyrillic', 'Patient-DDCCPatientRussian.json', 'Immunization-DDCCImmunizationRussian.json'],
  ['Arabic', 'Patient-DDCCPatientArabic.json', 'Immunization-DDCCImmunizationArabic.json'],
])("the IG's %s example", (_script, patientFile, immunizationFile) => {
  test('when it is printed, then the QR reads as the issued HC1 and the name is on the page in its own script', async () => {
    const issued = await issue(example<Patient>(patientFile), example<Immunization>(immunizationFile));
    const pdf = await hcertPdf(issued, { language: 'fr', pageSize: 'A4' });
    expect(scanPageQr(pdf)).toBe(issued.hc1);
    // pdftotext gives shaped Arabic as presentation forms; NFKC folds them back to the letters.
    const words = issued.payload.ddccVs.name.split(' ');
    const text = folded(pdfText(pdf)).normalize('NFKC');
    for (const word of words) expect(text).toContain(word);
  });
});
