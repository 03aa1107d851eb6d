/**
 * A `string` item of a Questionnaire that names an answerValueSet: the answer text must be a code of that value set,
 * as the HL7 Java validator checks it (it validates the string as a code, without a system; a display such as
 * 'Australia' for ISO 3166 `AU` is not a code). Offline we can only say "not a code" when it is certain: every code
 * the value set enumerates from what we hold is compared, and a system we cannot enumerate (ISO 3166, SNOMED CT, ...)
 * only rules the text out when the system's published code syntax cannot produce it. Otherwise it is not checked.
 * https://hl7.org/fhir/R4/questionnaire-definitions.html#Questionnaire.item.answerValueSet
 */
import type { WalkContext } from './context.ts';
import { sctidProblem } from './sctid.ts';

/** Code syntax of systems no package holds: a text that does not fit cannot be one of their codes. */
const CODE_SHAPES: ReadonlyMap<string, (code: string) => boolean> = new Map([
  // ISO 3166-1: alpha-2, alpha-3 or numeric-3 country codes.
  ['urn:iso:std:iso:3166', (c: string) => /^(?:[A-Za-z]{2,3}|\d{3})$/.test(c)],
  // ISO 3166-2: the country's alpha-2 code, a hyphen, and up to three letters or digits.
  ['urn:iso:std:iso:3166:-2', (c: string) => /^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$/.test(c)],
  // UN M49 area codes: three digits.
  ['http://unstats.un.org/unsd/methods/m49/m49.htm', (c: string) => /^\d{3}$/.test(c)],
  // SNOMED CT: a well-formed identifier, or something with expression syntax (not judged).
  ['http://snomed.info/sct', (c: string) => sctidProblem(c) === undefined],
  // LOINC: digits, a hyphen and a check digit, with a two-letter prefix for parts and answers (LP…, LA…).
  ['http://loinc.org', (c: string) => /^(?:L[A-Z])?\d{1,8}-\d$/.test(c)],
]);

const THO = 'http://terminology.hl7.org/CodeSystem/';

/** Whether `text` is surely not a code of the value set (false when it is one, or when that cannot be known offline). */
function surelyNotACode(ctx: WalkContext, valueSet: string, text: string): boolean {
  const exp = ctx.engine.terminology.expand(valueSet);
  if (!exp) return false;
  for (const [system, codes] of exp.codes) {
    if (codes.has(text)) return false;
    // R4 core's HL7 terminology systems are the 2019 content; a newer code may exist (see terminology.ts).
    if (system.startsWith(THO)) return false;
  }
  for (const system of exp.open) {
    const fits = CODE_SHAPES.get(system);
    if (fits === undefined || fits(text)) return false;
  }
  return true;
}

export function checkStringAnswerInValueSet(ctx: WalkContext, valueSet: string, text: unknown, path: string): void {
  if (typeof text !== 'string' || valueSet.startsWith('#')) return;
  if (!surelyNotACode(ctx, valueSet, text)) return;
  ctx.sink.add(
    'QR_ANSWER_STRING_NOT_IN_VALUESET',
    path,
    `The value '${text}' is not in the list of allowed values (value set '${valueSet}')`,
  );
}
