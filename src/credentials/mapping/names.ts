/**
 * Person names for credentials, from the structured HumanName only (never by splitting `text` on spaces), and
 * their ICAO Doc 9303 machine-readable form for the EU DCC `fnt`/`gnt` fields: uppercase A–Z, `<` for spaces and
 * hyphens, diacritics transliterated per Doc 9303 Part 3 §6 (Ä→AE, Ö→OE, Ü→UE, Å→AA, ß→SS…), Cyrillic per its
 * table. A non-Latin name uses the alphabetic representation FHIR holds: a HumanName (or the same one) carrying the
 * `iso21090-EN-representation` extension with `ABC`.
 * https://www.icao.int/publications/Documents/9303_p3_cons_en.pdf · https://hl7.org/fhir/R4/extension-iso21090-en-representation.html
 */
import type { HumanName, Patient } from '@medplum/fhirtypes';
import { mappingError } from './mapping-error.ts';

export const EN_REPRESENTATION_URL = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';

/** Doc 9303 Part 3 §6, Table A (Latin multinational characters with a recommended multi-letter form). */
const LATIN_SPECIAL: Readonly<Record<string, string>> = {
  Ä: 'AE',
  Æ: 'AE',
  Å: 'AA',
  Ö: 'OE',
  Ø: 'OE',
  Œ: 'OE',
  Ü: 'UE',
  ß: 'SS',
  Þ: 'TH',
  Ð: 'D',
  Đ: 'D',
  Ħ: 'H',
  Ĳ: 'IJ',
  Ł: 'L',
  Ŋ: 'N',
  ı: 'I',
};

/** Doc 9303 Part 3 §6, Table B (Cyrillic). Ь and ь are dropped. */
const CYRILLIC: Readonly<Record<string, string>> = {
  А: 'A',
  Б: 'B',
  В: 'V',
  Г: 'G',
  Д: 'D',
  Е: 'E',
  Ё: 'E',
  Є: 'IE',
  Ж: 'ZH',
  З: 'Z',
  И: 'I',
  І: 'I',
  Ї: 'I',
  Й: 'I',
  К: 'K',
  Л: 'L',
  М: 'M',
  Н: 'N',
  О: 'O',
  П: 'P',
  Р: 'R',
  С: 'S',
  Т: 'T',
  У: 'U',
  Ў: 'U',
  Ф: 'F',
  Х: 'KH',
  Ц: 'TS',
  Ч: 'CH',
  Ш: 'SH',
  Щ: 'SHCH',
  Ъ: 'IE',
  Ы: 'Y',
  Ь: '',
  Э: 'E',
  Ю: 'IU',
  Я: 'IA',
  Ґ: 'G',
};

function transliterateChar(ch: string): string | undefined {
  if (LATIN_SPECIAL[ch] !== undefined) return LATIN_SPECIAL[ch]; // before upper-casing: 'ß'.toUpperCase() is 'SS'
  const upper = ch.toUpperCase();
  if (/^[A-Z]$/.test(upper)) return upper;
  if (ch === ' ' || ch === '-' || ch === '\u00a0') return '<';
  if (ch === "'" || ch === '\u2019' || ch === '.' || ch === ',') return '';
  if (LATIN_SPECIAL[upper] !== undefined) return LATIN_SPECIAL[upper];
  if (CYRILLIC[upper] !== undefined) return CYRILLIC[upper];
  // Other Latin letters with diacritics (É, Ñ, Ç, Č…) lose the mark: NFD splits base letter and combining marks.
  const base = upper.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  return /^[A-Z]$/.test(base) ? base : undefined;
}

/**
 * ICAO 9303 machine-readable form of a name part; undefined when a character has no Latin transliteration.
 * @example icaoTransliterate('Müller-Lüdenscheidt') // 'MUELLER<LUEDENSCHEIDT'
 * @see https://www.icao.int/publications/Documents/9303_p3_cons_en.pdf
 */
export function icaoTransliterate(text: string): string | undefined {
  let out = '';
  for (const ch of text.trim().normalize('NFC')) {
    const t = transliterateChar(ch);
    if (t === undefined) return undefined;
    out += t;
  }
  return out.replace(/<+/g, '<').replace(/^<|<$/g, '');
}

export interface PersonName {
  /** Family name(s), as written. */
  family: string;
  /** Given names joined by a space, as written (joining parts is safe; splitting a full name is not). */
  given: string | undefined;
  /** ICAO 9303 forms. */
  familyIcao: string;
  givenIcao: string | undefined;
  /** A display form: HumanName.text, else given + family. */
  text: string;
}

function representation(name: HumanName): string | undefined {
  return name.extension?.find((e) => e.url === EN_REPRESENTATION_URL)?.valueCode;
}

function preferred(names: HumanName[]): HumanName[] {
  const rank = (n: HumanName): number => (n.use === 'official' ? 0 : n.use === 'usual' || n.use === undefined ? 1 : 2);
  return names.filter((n) => n.use !== 'old' && n.period?.end === undefined).sort((a, b) => rank(a) - rank(b));
}

function structured(name: HumanName): { family: string; given: string | undefined } | undefined {
  if (!name.family) return undefined;
  const given = (name.given ?? []).filter((g) => g.length > 0);
  return { family: name.family, given: given.length > 0 ? given.join(' ') : undefined };
}

/**
 * True when the patient has a current structured name (a `family`): what the EU DCC `nam` needs. A patient known
 * only by `HumanName.text` still gets a DDCC:VS certificate, whose `name` is one string.
 * @example hasStructuredName({ resourceType: 'Patient', name: [{ text: 'Aulus Agerius' }] }) // false
 */
export function hasStructuredName(patient: Patient): boolean {
  return preferred(patient.name ?? []).some((n) => structured(n) !== undefined);
}

/**
 * The patient's name for a credential: the preferred structured name as written, and the ICAO form taken from
 * that name or, for a non-Latin script, from the alphabetic (`ABC`) representation.
 * Throws 422 MAPPING_NAME_UNSTRUCTURED / MAPPING_NAME_NOT_TRANSLITERABLE.
 * @example personName(patient).familyIcao // 'DI<CAPRIO'
 * @see https://github.com/ehn-dcc-development/eu-dcc-schema (nam: fn, fnt, gn, gnt)
 */
export function personName(patient: Patient): PersonName {
  const names = preferred(patient.name ?? []);
  const primary = names.find((n) => representation(n) !== 'ABC' && structured(n)) ?? names.find((n) => structured(n));
  const parts = primary && structured(primary);
  if (!primary || !parts) {
    throw mappingError(
      'MAPPING_NAME_UNSTRUCTURED',
      'The patient has no structured name (family and given); a full name in HumanName.text is never split on spaces',
      'Patient.name',
    );
  }
  const latin = [primary, ...names.filter((n) => representation(n) === 'ABC')];
  for (const candidate of latin) {
    const p = structured(candidate);
    if (!p) continue;
    const familyIcao = icaoTransliterate(p.family);
    const givenIcao = p.given === undefined ? undefined : icaoTransliterate(p.given);
    if (familyIcao && (p.given === undefined || givenIcao)) {
      const text = primary.text ?? [parts.given, parts.family].filter(Boolean).join(' ');
      return { family: parts.family, given: parts.given, familyIcao, givenIcao, text };
    }
  }
  throw mappingError(
    'MAPPING_NAME_NOT_TRANSLITERABLE',
    `The name "${parts.family}" has characters without an ICAO 9303 transliteration and no alphabetic (ABC) representation is given`,
    'Patient.name',
  );
}
