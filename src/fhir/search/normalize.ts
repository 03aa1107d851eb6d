/**
 * String normalisation shared by the index writer and the query parser, so that the default string search
 * (case- and accent-insensitive starts-with) is a plain prefix comparison on stored values.
 * https://hl7.org/fhir/R4/search.html#string
 */

const MARKS = /\p{M}+/gu;

/** Lower-cases, strips accents (NFD + combining marks) and collapses white space. */
export function normalizeString(value: string): string {
  return value.normalize('NFD').replace(MARKS, '').toLowerCase().replace(/\s+/g, ' ').trim();
}
