/**
 * Text set on a certificate sheet: bidirectional ordering and line wrapping for any script the fonts cover.
 * fontkit (through pdf-lib) shapes Arabic (joining forms) and lays a run of an RTL script out right to left; what
 * it does not do is the Unicode Bidirectional Algorithm across runs: a Latin word or digits inside an Arabic name,
 * or an Arabic name beside Latin text. bidi-js gives the embedding levels (UAX #9), and each line is drawn as its
 * level runs in visual order (rule L2).
 * https://www.unicode.org/reports/tr9/
 */
import bidiModule, { type Bidi } from 'bidi-js';

// bidi-js's typings declare an ES default export, but its UMD build sets module.exports to the factory itself.
const bidi = (bidiModule as unknown as () => Bidi)();

/** The part of text-measuring a PDF font offers (pdf-lib's PDFFont). */
export interface MeasuringFont {
  widthOfTextAtSize(text: string, size: number): number;
}

export interface VisualRun {
  /**
   * The run as fontkit should receive it: right-to-left runs mirrored, in logical order when they hold an RTL script
   * (fontkit lays those out right to left itself), reversed otherwise.
   */
  text: string;
  rtl: boolean;
}

/** Scripts fontkit lays out right to left on its own (Hebrew, Arabic, Syriac, Thaana, NKo… and their forms). */
const RTL_SCRIPT = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe]|[\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;

/** Rule L4: in a right-to-left run, characters with a mirrored form (brackets, guillemets…) take it. */
const mirrored = (text: string): string[] => [...text].map((ch) => bidi.getMirroredCharacter(ch) ?? ch);

/** A right-to-left run as fontkit must receive it: mirrored, and reversed here unless fontkit reverses it itself. */
function rtlRun(text: string): string {
  const chars = mirrored(text);
  return (RTL_SCRIPT.test(text) ? chars : chars.reverse()).join('');
}

export type Direction = 'ltr' | 'rtl';

/**
 * The direction of a paragraph: that of its first strong character (rules P2–P3), left to right when it has none.
 * Taken once for a whole wrapped text, so every line of an Arabic name reads right to left even when a line
 * happens to start with a Latin word.
 * @example paragraphDirection('أولوس Agerius') // 'rtl'
 */
export function paragraphDirection(text: string): Direction {
  return bidi.getEmbeddingLevels(text).paragraphs[0]?.level === 1 ? 'rtl' : 'ltr';
}

/**
 * One line's level runs in visual (left to right) order, in a paragraph of the given direction (default: the
 * line's own, rule P2).
 * @example visualRuns('أولوس 2003') // [{ text: '2003', rtl: false }, { text: 'أولوس ', rtl: true }]
 */
export function visualRuns(line: string, direction?: Direction): VisualRun[] {
  if (line.length === 0) return [];
  const { levels } = bidi.getEmbeddingLevels(line, direction);
  const runs: { start: number; end: number; level: number }[] = [];
  for (let i = 0; i < line.length; i++) {
    const last = runs[runs.length - 1];
    if (last && last.level === levels[i]) last.end = i + 1;
    else runs.push({ start: i, end: i + 1, level: levels[i]! });
  }
  const max = Math.max(...runs.map((r) => r.level));
  const lowestOdd = Math.min(...runs.map((r) => (r.level % 2 === 1 ? r.level : Number.POSITIVE_INFINITY)));
  // Rule L2: from the highest level down to the lowest odd one, reverse every sequence of runs at that level or above.
  for (let level = max; level >= lowestOdd; level--) {
    for (let i = 0; i < runs.length; ) {
      if (runs[i]!.level < level) {
        i++;
        continue;
      }
      let j = i;
      while (j < runs.length && runs[j]!.level >= level) j++;
      runs.splice(i, j - i, ...runs.slice(i, j).reverse());
      i = j;
    }
  }
  return runs.map((r) => {
    const text = line.slice(r.start, r.end);
    const rtl = r.level % 2 === 1;
    return { text: rtl ? rtlRun(text) : text, rtl };
  });
}

export interface WrappedText {
  lines: string[];
  /** True when the text needed more than `maxLines` lines and the last one ends with an ellipsis. */
  truncated: boolean;
}

const ELLIPSIS = '…';

/** The longest prefix (in code points) of `chars` that fits `width`, at least one character. */
function fittingPrefix(chars: string[], fits: (s: string) => boolean): number {
  let lo = 1;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(chars.slice(0, mid).join(''))) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Break text (logical order) into lines no wider than `width`, at spaces where possible and inside a word only when
 * the word alone is wider; past `maxLines` the last line is cut and ends with an ellipsis.
 * @example wrapText('Aulus Agerius', font, 12, 50, 2) // { lines: ['Aulus', 'Agerius'], truncated: false }
 */
export function wrapText(
  text: string,
  font: MeasuringFont,
  size: number,
  width: number,
  maxLines: number,
): WrappedText {
  const fits = (s: string) => font.widthOfTextAtSize(s, size) <= width;
  const lines: string[] = [];
  let current = '';
  const push = () => {
    if (current.trim().length > 0) lines.push(current.trim());
    current = '';
  };
  for (const token of text.split(/(\s+)/u)) {
    if (token.length === 0) continue;
    if (fits(current + token)) {
      current += token;
      continue;
    }
    if (/^\s+$/u.test(token)) {
      push();
      continue;
    }
    push();
    let rest = [...token];
    while (!fits(rest.join(''))) {
      const n = fittingPrefix(rest, fits);
      lines.push(rest.slice(0, n).join(''));
      rest = rest.slice(n);
    }
    current = rest.join('');
    // Far past the limit nothing more can be shown: stop measuring (a 1 MB name costs no more than a long one).
    if (lines.length > maxLines) break;
  }
  push();
  if (lines.length <= maxLines) return { lines, truncated: false };
  const kept = lines.slice(0, maxLines);
  const last = [...kept[maxLines - 1]!];
  const n = fittingPrefix(last, (s) => fits(s + ELLIPSIS));
  kept[maxLines - 1] = `${last
    .slice(0, fits(last.slice(0, n).join('') + ELLIPSIS) ? n : 0)
    .join('')
    .trimEnd()}${ELLIPSIS}`;
  return { lines: kept, truncated: true };
}
