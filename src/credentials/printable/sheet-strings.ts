/**
 * Every word printed on a certificate sheet, one catalogue per language (issue 15: English and French at least).
 * A language is added here and nowhere else; `SheetStrings` makes each catalogue complete, so a missing label does
 * not compile. Values printed from the record (names, codes, dates) are never translated.
 */
export interface SheetStrings {
  title: string;
  subtitle: string;
  holder: string;
  name: string;
  birthDate: string;
  identifier: string;
  vaccination: string;
  disease: string;
  vaccine: string;
  brand: string;
  manufacturer: string;
  dose: string;
  /** `{n}` and `{of}` are replaced by the dose number and the series size. */
  doseOf: string;
  date: string;
  validFrom: string;
  country: string;
  centre: string;
  lot: string;
  certificate: string;
  issuer: string;
  certificateId: string;
  validity: string;
  /** `{from}` and `{until}` are replaced by the dates. */
  validityRange: string;
  keyId: string;
  payloads: string;
  scan: string;
  /** Shown when a text (the holder's name, a value) did not fit the space given to it and was cut. */
  shortened: string;
}

const en: SheetStrings = {
  title: 'Vaccination certificate',
  subtitle: 'Digital health certificate (HCERT), WHO DDCC:VS',
  holder: 'Certificate holder',
  name: 'Name',
  birthDate: 'Date of birth',
  identifier: 'Identifier',
  vaccination: 'Vaccination',
  disease: 'Disease or agent targeted',
  vaccine: 'Vaccine or prophylaxis',
  brand: 'Vaccine product',
  manufacturer: 'Manufacturer',
  dose: 'Dose',
  doseOf: '{n} of {of}',
  date: 'Date of vaccination',
  validFrom: 'Valid from',
  country: 'Country of vaccination',
  centre: 'Administering centre',
  lot: 'Batch / lot number',
  certificate: 'Certificate',
  issuer: 'Issued by',
  certificateId: 'Certificate identifier',
  validity: 'Validity',
  validityRange: '{from} to {until}',
  keyId: 'Signing key (kid)',
  payloads: 'Contents of the QR code',
  scan: 'Scan the QR code to verify this certificate. The signed data in the QR code prevail over this printout.',
  shortened: 'Entries ending in … are shortened on this printout; the QR code holds them in full.',
};

const fr: SheetStrings = {
  title: 'Certificat de vaccination',
  subtitle: 'Certificat de santé numérique (HCERT), OMS DDCC:VS',
  holder: 'Titulaire du certificat',
  name: 'Nom',
  birthDate: 'Date de naissance',
  identifier: 'Identifiant',
  vaccination: 'Vaccination',
  disease: 'Maladie ou agent ciblé',
  vaccine: 'Vaccin ou prophylaxie',
  brand: 'Produit vaccinal',
  manufacturer: 'Fabricant',
  dose: 'Dose',
  doseOf: '{n} sur {of}',
  date: 'Date de vaccination',
  validFrom: 'Valable à partir du',
  country: 'Pays de vaccination',
  centre: 'Centre de vaccination',
  lot: 'Numéro de lot',
  certificate: 'Certificat',
  issuer: 'Délivré par',
  certificateId: 'Identifiant du certificat',
  validity: 'Validité',
  validityRange: 'du {from} au {until}',
  keyId: 'Clé de signature (kid)',
  payloads: 'Contenu du code QR',
  scan: 'Scannez le code QR pour vérifier ce certificat. Les données signées du code QR prévalent sur cette impression.',
  shortened: 'Les mentions finissant par … sont abrégées sur cette impression ; le code QR les contient en entier.',
};

export const SHEET_STRINGS = Object.freeze({ en, fr });

export type SheetLanguage = keyof typeof SHEET_STRINGS;

export const SHEET_LANGUAGES = Object.keys(SHEET_STRINGS) as SheetLanguage[];

export const isSheetLanguage = (tag: string): tag is SheetLanguage => Object.hasOwn(SHEET_STRINGS, tag);
