/**
 * The text scans behind txt-1..3 (htmlChecks) over a narrative `div`: forbidden elements, event attributes and
 * `javascript:` URLs (https://hl7.org/fhir/R4/narrative.html#xhtml). Narratives are most of the text of a definition
 * or a code system, and each scan reads all of it, so these find the same first matches as the patterns in their
 * comments with indexOf (native, fast) on a rare character and a few character tests around it, instead of a
 * case-insensitive pattern tried at every position: about a third less time over the R4 examples' 66 MB of
 * narrative. Letters are ASCII letters in any case, as in a non-unicode `/i` pattern (`\u212a` is no `k`);
 * whitespace is the pattern `\s`.
 */

const WHITESPACE = /\s/;

function isWhitespace(c: number): boolean {
  return c <= 32 ? c === 32 || (c >= 9 && c <= 13) : c >= 0xa0 && WHITESPACE.test(String.fromCharCode(c));
}

function isAsciiLetter(c: number): boolean {
  const lower = c | 32;
  return lower >= 97 && lower <= 122;
}

const FORBIDDEN_NAMES = new Set([
  'script',
  'object',
  'iframe',
  'form',
  'base',
  'link',
  'embed',
  'applet',
  'frame',
  'frameset',
  'meta',
  'head',
  'body',
  'html',
  'style',
]);

/** The first letters of the forbidden names, as bits over `letter - 'a'`. */
const FIRST_LETTERS = [...FORBIDDEN_NAMES].reduce((bits, name) => bits | (1 << (name.charCodeAt(0) - 97)), 0);

/**
 * `/<(script|object|iframe|form|base|link|embed|applet|frame|frameset|meta|head|body|html|style)[\s>/]/i`: after
 * each `<`, the run of letters (a name the pattern can match is the whole run: the character after it is no letter)
 * followed by whitespace, `>` or `/`.
 */
export function hasForbiddenElement(div: string): boolean {
  for (let i = div.indexOf('<'); i !== -1; i = div.indexOf('<', i + 1)) {
    // Most tags (closing ones, p, div, table, td…) are ruled out by their first character alone.
    const first = (div.charCodeAt(i + 1) | 32) - 97;
    if (first < 0 || first > 25 || ((FIRST_LETTERS >> first) & 1) === 0) continue;
    let end = i + 1;
    while (end < i + 10 && isAsciiLetter(div.charCodeAt(end))) end++;
    const length = end - i - 1;
    if (length < 4 || length > 8) continue;
    const next = div.charCodeAt(end);
    if (next !== 0x3e && next !== 0x2f && !isWhitespace(next)) continue;
    if (FORBIDDEN_NAMES.has(div.slice(i + 1, end).toLowerCase())) return true;
  }
  return false;
}

/**
 * `/\son[a-z]+\s*=/i`: from each `=`, back over whitespace, then over the run of letters; the run must start with
 * `on`, have a letter after it, and follow whitespace (so `on` is where the run starts).
 */
export function mayHaveEventAttribute(div: string): boolean {
  for (let i = div.indexOf('='); i !== -1; i = div.indexOf('=', i + 1)) {
    let end = i;
    while (end > 0 && isWhitespace(div.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0 && isAsciiLetter(div.charCodeAt(start - 1))) start--;
    if (
      end - start >= 3 &&
      start > 0 &&
      (div.charCodeAt(start) | 32) === 0x6f &&
      (div.charCodeAt(start + 1) | 32) === 0x6e &&
      isWhitespace(div.charCodeAt(start - 1))
    )
      return true;
  }
  return false;
}

/** `/javascript:/i` with its letters as classes: the same matches (a non-unicode `/i` folds ASCII letters only),
 * found by the regex engine's own scan, about a quarter faster than testing the ten letters before each `:`. */
const SCRIPT_SCHEME = /[jJ][aA][vV][aA][sS][cC][rR][iI][pP][tT]:/;

export function mayHaveScriptUrl(div: string): boolean {
  return SCRIPT_SCHEME.test(div);
}
