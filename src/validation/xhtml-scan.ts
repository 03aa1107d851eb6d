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

/**
 * `/<(script|object|iframe|form|base|link|embed|applet|frame|frameset|meta|head|body|html|style)[\s>/]/i`: after
 * each `<`, the run of letters (a name the pattern can match is the whole run: the character after it is no letter)
 * followed by whitespace, `>` or `/`.
 */
export function hasForbiddenElement(div: string): boolean {
  for (let i = div.indexOf('<'); i !== -1; i = div.indexOf('<', i + 1)) {
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

const SCHEME = 'javascript';

/** `/javascript:/i`: the ten letters before each `:`. */
export function mayHaveScriptUrl(div: string): boolean {
  for (let i = div.indexOf(':', SCHEME.length); i !== -1; i = div.indexOf(':', i + 1)) {
    let k = 0;
    while (k < SCHEME.length && (div.charCodeAt(i - SCHEME.length + k) | 32) === SCHEME.charCodeAt(k)) k++;
    if (k === SCHEME.length) return true;
  }
  return false;
}
