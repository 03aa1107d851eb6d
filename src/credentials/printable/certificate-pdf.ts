/**
 * A printable certificate (issue 15): one A4 or US Letter page built with pdf-lib, fonts embedded (subset) so any
 * viewer or printer shows the same glyphs. The QR is drawn as vector squares, never a bitmap, with at least 0.5 mm a
 * module: scannable from paper at any print resolution. Every text is wrapped to its column and cut with an
 * ellipsis past a few lines, so no input can push anything off the page; a shortened name is said so on the sheet.
 * https://pdf-lib.js.org/ · ISO/IEC 18004 (quiet zone of 4 modules)
 */
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import { credentialQrSymbol, type QrModules } from '../../formats/qr.ts';
import type { CertificateSheet, SheetField } from './sheet-model.ts';
import { printableText, sheetFonts } from './sheet-fonts.ts';
import { SHEET_STRINGS, type SheetLanguage, type SheetStrings } from './sheet-strings.ts';
import { paragraphDirection, visualRuns, wrapText, type Direction } from './sheet-text.ts';

export type PageSize = 'A4' | 'letter';

/** Page sizes in PDF points (1/72 inch). */
export const PAGE_SIZES: Readonly<Record<PageSize, [number, number]>> = {
  A4: [595.28, 841.89],
  letter: [612, 792],
};

const MM = 72 / 25.4;
const MARGIN = 15 * MM;
const QUIET_ZONE = 4;
/** Smallest printed module: 0.5 mm reads with phone cameras at arm's length. */
const MIN_MODULE = 0.5 * MM;
const QR_SIDE = 70 * MM;
const INK = rgb(0.08, 0.08, 0.1);
const MUTED = rgb(0.38, 0.38, 0.42);

export interface SheetOptions {
  language: SheetLanguage;
  pageSize: PageSize;
  /** Document creation date written in the PDF metadata (the issuance time, not the wall clock). */
  createdAt: Date;
}

/**
 * fontkit as pdf-lib sees it, with each font file parsed once per process rather than on every page: parsing the two
 * DejaVu faces was most of a page's cost. pdf-lib still builds a fresh subset per document (`createSubset`), and
 * what a parsed font caches (glyphs, layout tables) does not depend on the document.
 */
const parsed = new Map<Uint8Array, ReturnType<typeof fontkit.create>>();
const PARSED_ONCE = {
  create(data: Uint8Array, postscriptName?: string) {
    let font = parsed.get(data);
    if (!font) {
      font = fontkit.create(data, postscriptName);
      parsed.set(data, font);
    }
    return font;
  },
} as unknown as typeof fontkit;

/** How many lines a name and a value may take; the second budget is used when the first does not fit the page. */
interface Budget {
  nameLines: number;
  valueLines: number;
}
const BUDGETS: readonly Budget[] = [
  { nameLines: 5, valueLines: 3 },
  { nameLines: 3, valueLines: 1 },
];

interface Pen {
  page: PDFPage;
  regular: PDFFont;
  bold: PDFFont;
  budget: Budget;
  /** Set when any text was cut to fit. */
  shortened: boolean;
}

/** Draw one line of text in visual order from x, in a paragraph of the given direction. */
function drawLine(
  pen: Pen,
  line: string,
  start: { x: number; y: number; direction: Direction },
  size: number,
  font: PDFFont,
  color = INK,
): void {
  let x = start.x;
  for (const run of visualRuns(line, start.direction)) {
    pen.page.drawText(run.text, { x, y: start.y, size, font, color });
    x += font.widthOfTextAtSize(run.text, size);
  }
}

/** Wrap and draw; returns the y below the text and whether it was cut. */
function drawWrapped(
  pen: Pen,
  text: string,
  box: { x: number; y: number; width: number },
  style: { size: number; font: PDFFont; maxLines: number; color?: ReturnType<typeof rgb> },
): { y: number; truncated: boolean } {
  const printable = printableText(text);
  const direction = paragraphDirection(printable);
  const { lines, truncated } = wrapText(printable, style.font, style.size, box.width, style.maxLines);
  let y = box.y;
  for (const line of lines) {
    y -= style.size * 1.25;
    // A right-to-left paragraph is set flush right in its box, as it is read.
    const x = direction === 'rtl' ? box.x + box.width - style.font.widthOfTextAtSize(line, style.size) : box.x;
    drawLine(pen, line, { x, y, direction }, style.size, style.font, style.color);
  }
  return { y, truncated };
}

const fill = (template: string, slots: Record<string, string>) =>
  template.replace(/\{(\w+)\}/g, (_, k: string) => slots[k] ?? '');

function fieldValue(f: SheetField, s: SheetStrings): string {
  if (f.label === 'dose' && f.slots) return fill(s.doseOf, f.slots);
  if (f.label === 'validity' && f.slots) return fill(s.validityRange, f.slots);
  return f.value;
}

/** A label above its value; returns the y below (and notes in `pen.shortened` when the value was cut). */
function drawField(pen: Pen, label: string, value: string, box: { x: number; y: number; width: number }): number {
  const top = drawWrapped(pen, label, box, { size: 7.5, font: pen.regular, maxLines: 1, color: MUTED });
  const below = drawWrapped(
    pen,
    value,
    { ...box, y: top.y - 1 },
    { size: 10, font: pen.regular, maxLines: pen.budget.valueLines },
  );
  if (below.truncated) pen.shortened = true;
  return below.y - 5;
}

function drawHeading(pen: Pen, text: string, x: number, y: number, width: number): number {
  const below = drawWrapped(pen, text, { x, y, width }, { size: 11, font: pen.bold, maxLines: 1 }).y - 3;
  pen.page.drawLine({ start: { x, y: below }, end: { x: x + width, y: below }, thickness: 0.5, color: MUTED });
  return below - 4;
}

/** The symbol as one vector path: a rectangle per horizontal run of dark modules. */
function drawQr(pen: Pen, modules: QrModules, x: number, top: number, side: number): void {
  const n = modules.size;
  const unit = side / (n + 2 * QUIET_ZONE);
  let path = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; ) {
      if (!modules.data[r * n + c]) {
        c++;
        continue;
      }
      let end = c;
      while (end < n && modules.data[r * n + end]) end++;
      path += `M${c + QUIET_ZONE} ${r + QUIET_ZONE}h${end - c}v1h${c - end}z`;
      c = end;
    }
  }
  pen.page.drawRectangle({ x, y: top - side, width: side, height: side, color: rgb(1, 1, 1) });
  pen.page.drawSvgPath(path, { x, y: top, scale: unit, color: rgb(0, 0, 0) });
}

/** Lay the sheet out on a fresh document; `fits` is false when the content ran into the footer. */
async function layOut(
  sheet: CertificateSheet,
  options: SheetOptions,
  budget: Budget,
): Promise<{ doc: PDFDocument; fits: boolean }> {
  const s = SHEET_STRINGS[options.language];
  const fonts = sheetFonts();
  const doc = await PDFDocument.create();
  doc.registerFontkit(PARSED_ONCE);
  const [pageWidth, pageHeight] = PAGE_SIZES[options.pageSize];
  const pen: Pen = {
    page: doc.addPage([pageWidth, pageHeight]),
    regular: await doc.embedFont(fonts.regular, { subset: true }),
    bold: await doc.embedFont(fonts.bold, { subset: true }),
    budget,
    shortened: false,
  };
  doc.setTitle(s.title);
  doc.setLanguage(options.language);
  doc.setCreationDate(options.createdAt);
  doc.setModificationDate(options.createdAt);
  doc.setProducer('gdhcn-gateway');
  const width = pageWidth - 2 * MARGIN;
  const half = (width - 12) / 2;
  let y = pageHeight - MARGIN;

  y = drawWrapped(pen, s.title, { x: MARGIN, y, width }, { size: 20, font: pen.bold, maxLines: 1 }).y;
  y =
    drawWrapped(pen, s.subtitle, { x: MARGIN, y, width }, { size: 9, font: pen.regular, maxLines: 1, color: MUTED }).y -
    12;

  y = drawHeading(pen, s.holder, MARGIN, y, width);
  y = drawWrapped(pen, s.name, { x: MARGIN, y, width }, { size: 7.5, font: pen.regular, maxLines: 1, color: MUTED }).y;
  const name = drawWrapped(
    pen,
    sheet.name,
    { x: MARGIN, y: y - 1, width },
    { size: 14, font: pen.bold, maxLines: budget.nameLines },
  );
  if (name.truncated) pen.shortened = true;
  y = name.y - 6;
  const holderRow = [
    ...(sheet.birthDate ? [[s.birthDate, sheet.birthDate]] : []),
    ...(sheet.identifier ? [[s.identifier, sheet.identifier]] : []),
  ];
  y =
    Math.min(
      y,
      ...holderRow.map(([label, value], i) =>
        drawField(pen, label!, value!, { x: MARGIN + i * (half + 12), y, width: half }),
      ),
    ) - 8;

  // The vaccination beside the QR.
  const { modules } = credentialQrSymbol('hcert', sheet.hc1);
  const side = Math.min(width / 2, Math.max(QR_SIDE, (modules.size + 2 * QUIET_ZONE) * MIN_MODULE));
  const columnWidth = width - side - 16;
  drawQr(pen, modules, MARGIN + width - side, y, side);
  let left = drawHeading(pen, s.vaccination, MARGIN, y, columnWidth);
  for (const f of sheet.vaccination)
    left = drawField(pen, s[f.label], fieldValue(f, s), { x: MARGIN, y: left, width: columnWidth });
  y = Math.min(left, y - side) - 10;

  y = drawHeading(pen, s.certificate, MARGIN, y, width);
  // Full-width rows: a certificate id (UVCI) is up to 72 characters and must not break.
  const rows = [
    ...sheet.certificate.map((f) => [s[f.label], fieldValue(f, s)]),
    [s.payloads, sheet.payloads.join(', ')],
  ];
  for (const [label, value] of rows) y = drawField(pen, label!, value!, { x: MARGIN, y, width });

  const notes = [s.scan, ...(pen.shortened ? [s.shortened] : [])];
  const footerTop = MARGIN + notes.length * 2 * 10;
  let footer = footerTop;
  for (const note of notes)
    footer = drawWrapped(
      pen,
      note,
      { x: MARGIN, y: footer, width },
      { size: 8, font: pen.regular, maxLines: 2, color: MUTED },
    ).y;
  return { doc, fits: y >= footerTop + 6 };
}

/**
 * Render the sheet as a one-page PDF. Text is first given room to wrap; when that does not fit the page (long
 * names and values everywhere) it is laid out again with tighter limits, and what is cut ends with an ellipsis and
 * a note on the sheet says so.
 * @example const pdf = await renderCertificatePdf(sheetOf(hc1, ddccVs, carries), { language: 'fr', pageSize: 'A4', createdAt: now })
 */
export async function renderCertificatePdf(sheet: CertificateSheet, options: SheetOptions): Promise<Uint8Array> {
  let laid = await layOut(sheet, options, BUDGETS[0]!);
  for (const budget of BUDGETS.slice(1)) {
    if (laid.fits) break;
    laid = await layOut(sheet, options, budget);
  }
  return laid.doc.save();
}
