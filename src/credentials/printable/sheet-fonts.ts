/**
 * The fonts embedded in printed certificates: DejaVu Sans (regular and bold), TrueType files shipped by the
 * `dejavu-fonts-ttf` npm package, a runtime dependency, so nothing is downloaded and no system font is needed.
 * DejaVu Sans covers Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew and Arabic (with the presentation forms
 * fontkit's Arabic shaper uses); it has no CJK ideographs. The files are read once, on first use.
 * https://dejavu-fonts.github.io/ · coverage: node_modules/dejavu-fonts-ttf/langcover.txt
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fontkit from '@pdf-lib/fontkit';

export interface SheetFonts {
  regular: Uint8Array;
  bold: Uint8Array;
  /** True when the regular face has a glyph for the code point (the bold face is used only for our own labels). */
  covers(codePoint: number): boolean;
}

let loaded: SheetFonts | undefined;

/** The font files, read and indexed once. */
export function sheetFonts(): SheetFonts {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const read = (file: string): Uint8Array => readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`));
  const regular = read('DejaVuSans.ttf');
  const face = fontkit.create(regular);
  loaded = { regular, bold: read('DejaVuSans-Bold.ttf'), covers: (cp) => face.hasGlyphForCodePoint(cp) };
  return loaded;
}

/** Characters that are never drawn: they shape or steer text invisibly (bidi overrides can disguise a name). */
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/gu;

/**
 * The text as it will be printed: control, bidi-override and other invisible format characters removed (ZWJ and
 * ZWNJ, which Arabic-script and Indic spelling needs, are kept), white space runs folded to one space.
 * @example printableText('Ali\u202e ecilA\tX') // 'Ali ecilA X'
 */
export function printableText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\t\n\r\u0085\u2028\u2029]/gu, ' ')
    .replace(INVISIBLE, '')
    .replace(/\s+/gu, ' ')
    .trim();
}

/**
 * The characters of `text` the embedded fonts cannot draw (distinct, in order of appearance, as `U+XXXX`).
 * @example uncovered('Aulus 奥') // ['U+5965']
 */
export function uncovered(text: string, fonts: SheetFonts = sheetFonts()): string[] {
  const out = new Set<string>();
  for (const ch of printableText(text)) {
    const cp = ch.codePointAt(0)!;
    // ZWJ/ZWNJ steer shaping and have no glyph of their own.
    if (cp === 0x200c || cp === 0x200d || cp === 0x20) continue;
    if (!fonts.covers(cp)) out.add(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
  }
  return [...out];
}
