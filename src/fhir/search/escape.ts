/**
 * FHIR search value escaping: `\,` `\|` `\$` `\\` stand for the literal characters.
 * https://hl7.org/fhir/R4/search.html#escaping
 */

/** Splits on `sep` where it is not escaped; parts keep their escapes (unescape them with `unescapeValue`). */
export function splitEscaped(text: string, sep: string, limit = Infinity): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length && parts.length < limit - 1; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === sep) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Removes the escaping backslashes. */
export function unescapeValue(text: string): string {
  return text.replace(/\\([\\,|$])/g, '$1');
}
