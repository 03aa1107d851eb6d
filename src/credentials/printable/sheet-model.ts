/**
 * What a printed certificate shows, taken from the signed payload (never from the stored records, so the paper
 * says what the QR says): the DDCC:VS core data set — holder, the certified vaccination event, issuer, certificate
 * id and validity — plus which payloads the QR carries. Free text (name, issuer, centre, lot, identifier) is checked
 * against the fonts before anything is signed (`unprintableFields`); a code's display that the fonts cannot draw
 * gives way to the code itself.
 */
import type { Coding } from '@medplum/fhirtypes';
import type { DdccVsCoreDataSet } from '../mapping/ddcc-vs.ts';
import { SYSTEM } from '../mapping/terminology.ts';
import { printableText, uncovered } from './sheet-fonts.ts';
import type { SheetStrings } from './sheet-strings.ts';

/** One labelled value; the label is a key of the string catalogue. */
export interface SheetField {
  label: keyof SheetStrings;
  value: string;
  /** For `doseOf` / `validityRange`: the template slots. */
  slots?: Record<string, string>;
}

export interface CertificateSheet {
  hc1: string;
  name: string;
  birthDate?: string;
  identifier?: string;
  vaccination: SheetField[];
  certificate: SheetField[];
  /** Payloads in the QR, by their common names (DDCC:VS, EU DCC, ICVP). */
  payloads: string[];
}

const SYSTEM_NAMES: Readonly<Record<string, string>> = {
  [SYSTEM.snomed]: 'SNOMED CT',
  [SYSTEM.icd11]: 'ICD-11',
  'http://id.who.int/icd/release/11/mms': 'ICD-11',
  [SYSTEM.cvx]: 'CVX',
  [SYSTEM.euUnionRegister]: 'EU',
  [SYSTEM.preQualProduct]: 'WHO PQ',
};

/** A coding as a reader wants it: its display when printable, else the code with its system's short name. */
export function codingText(c: Coding | undefined): string | undefined {
  if (!c) return undefined;
  const display = c.display ? printableText(c.display) : '';
  if (display && uncovered(display).length === 0) return display;
  if (!c.code) return undefined;
  const system = c.system === undefined ? undefined : SYSTEM_NAMES[c.system];
  return system ? `${system} ${c.code}` : c.code;
}

const field = (label: keyof SheetStrings, value: string | undefined): SheetField[] =>
  value === undefined || value === '' ? [] : [{ label, value }];

/**
 * The sheet of an issued HCERT.
 * @example sheetOf(issued.hc1, issued.payload.ddccVs, { euDcc: true, icvp: false }).name // 'Aulus Agerius'
 */
export function sheetOf(
  hc1: string,
  ddcc: DdccVsCoreDataSet,
  carries: { euDcc: boolean; icvp: boolean },
): CertificateSheet {
  const v = ddcc.vaccination;
  const c = ddcc.certificate;
  const date = (s: string | undefined) => s?.slice(0, 10);
  const vaccination: SheetField[] = [
    ...field('disease', codingText(v.disease)),
    ...field('vaccine', codingText(v.vaccine)),
    ...field('brand', codingText(v.brand)),
    ...field('manufacturer', codingText(v.manufacturer ?? v.maholder)),
    v.totalDoses === undefined
      ? { label: 'dose', value: String(v.dose) }
      : { label: 'dose', value: '', slots: { n: String(v.dose), of: String(v.totalDoses) } },
    ...field('date', date(v.date)),
    ...field('validFrom', date(v.validFrom)),
    ...field('country', v.country.code),
    ...field('centre', v.centre),
    ...field('lot', v.lot),
  ];
  const certificate: SheetField[] = [
    ...field('issuer', c.issuer.display ?? c.issuer.identifier?.value),
    ...field('certificateId', c.hcid.value),
    ...(c.period?.start && c.period.end
      ? [{ label: 'validity' as const, value: '', slots: { from: date(c.period.start)!, until: date(c.period.end)! } }]
      : []),
    ...field('keyId', c.kid),
  ];
  const sheet: CertificateSheet = {
    hc1,
    name: ddcc.name,
    vaccination,
    certificate,
    payloads: ['DDCC:VS', ...(carries.euDcc ? ['EU DCC'] : []), ...(carries.icvp ? ['ICVP'] : [])],
  };
  if (ddcc.birthDate) sheet.birthDate = ddcc.birthDate;
  if (ddcc.identifier?.value) sheet.identifier = ddcc.identifier.value;
  return sheet;
}

/**
 * The free-text fields of a DDCC:VS payload the embedded fonts cannot draw, each with its characters: checked
 * before signing, so a certificate that cannot be printed truthfully is refused rather than printed with holes.
 * @example unprintableFields(ddccVs) // [{ expression: 'Patient.name', characters: ['U+5965', …] }]
 */
export function unprintableFields(ddcc: DdccVsCoreDataSet): { expression: string; characters: string[] }[] {
  const free: [string, string | undefined][] = [
    ['Patient.name', ddcc.name],
    ['Patient.identifier', ddcc.identifier?.value],
    ['Immunization.lotNumber', ddcc.vaccination.lot],
    ['Immunization.location', ddcc.vaccination.centre],
    ['Organization.name', ddcc.certificate.issuer.display],
  ];
  return free.flatMap(([expression, text]) => {
    const characters = text ? uncovered(text) : [];
    return characters.length > 0 ? [{ expression, characters }] : [];
  });
}
