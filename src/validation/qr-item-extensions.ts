/**
 * What the QuestionnaireResponse checks share: the item extensions they read (R4 core and SDC) and how two answer
 * values compare. https://hl7.org/fhir/R4/questionnaire.html
 */
export type Json = Record<string, unknown>;

const SD = 'http://hl7.org/fhir/StructureDefinition/';
const SDC = 'http://hl7.org/fhir/uv/sdc/StructureDefinition/';
export const EXT = {
  minValue: `${SD}minValue`,
  maxValue: `${SD}maxValue`,
  minLength: `${SD}minLength`,
  maxDecimalPlaces: `${SD}maxDecimalPlaces`,
  mimeType: `${SD}mimeType`,
  unitOption: `${SD}questionnaire-unitOption`,
  referenceResource: `${SD}questionnaire-referenceResource`,
  optionExclusive: `${SD}questionnaire-optionExclusive`,
  minQuantity: `${SDC}sdc-questionnaire-minQuantity`,
  maxQuantity: `${SDC}sdc-questionnaire-maxQuantity`,
} as const;

export const objects = (v: unknown): Json[] =>
  Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];
export const extensions = (item: Json, url: string): Json[] => objects(item.extension).filter((e) => e.url === url);
export const extValue = (item: Json, url: string): unknown => {
  const e = extensions(item, url)[0];
  if (!e) return undefined;
  const key = Object.keys(e).find((k) => k.startsWith('value'));
  return key === undefined ? undefined : e[key];
};

/** Numbers by value, strings in code-point order; anything else is not comparable. */
export function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}
