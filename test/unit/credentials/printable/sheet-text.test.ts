/**
 * Text setting for printed certificates: bidirectional order (UAX #9 rule L2, mirroring L4), wrapping and cutting,
 * and the characters that are never drawn. The font is a stand-in measuring one unit a character, so expected
 * lines follow from the input by counting.
 */
import { printableText, uncovered } from '../../../../src/credentials/printable/sheet-fonts.ts';
import { paragraphDirection, visualRuns, wrapText } from '../../../../src/credentials/printable/sheet-text.ts';
import { prefersType } from '../../../../src/http/accept-headers.ts';

const perChar = { widthOfTextAtSize: (text: string, size: number) => [...text].length * size };

describe('visual order', () => {
  test('when a line is Latin only, then it is one left-to-right run as written', () => {
    expect(visualRuns('Aulus Agerius')).toEqual([{ text: 'Aulus Agerius', rtl: false }]);
  });

  test('when an Arabic name holds digits, then the digits run stays left to right and sits at the visual left', () => {
    const runs = visualRuns('أولوس 2003');
    expect(runs.map((r) => r.rtl)).toEqual([false, true]);
    expect(runs[0]!.text).toBe('2003');
    // Arabic runs go to fontkit in logical order: it lays them out right to left itself.
    expect(runs[1]!.text).toBe('أولوس ');
  });

  test('when an Arabic name holds brackets, then they are mirrored so they still enclose the word', () => {
    const runs = visualRuns('محمد (الثاني)');
    expect(runs).toEqual([{ text: 'محمد )الثاني(', rtl: true }]);
  });

  test('when a Latin paragraph holds an Arabic word, then the runs keep the Latin reading order', () => {
    expect(visualRuns('Ali محمد Agerius').map((r) => r.rtl)).toEqual([false, true, false]);
    expect(visualRuns('Ali محمد Agerius')[0]!.text).toBe('Ali ');
  });

  test('when a wrapped Arabic line starts with a Latin word, then the paragraph direction still comes from the whole text', () => {
    const text = 'أولوس Agerius';
    expect(paragraphDirection(text)).toBe('rtl');
    expect(paragraphDirection('Agerius أولوس')).toBe('ltr');
    // In a right-to-left paragraph the Latin word read first sits at the right; the space between takes the
    // paragraph's direction and joins the Arabic run.
    expect(visualRuns('Agerius أولوس', 'rtl')).toEqual([
      { text: ' أولوس', rtl: true },
      { text: 'Agerius', rtl: false },
    ]);
    expect(visualRuns('Agerius أولوس').map((r) => r.text)).toEqual(['Agerius ', 'أولوس']);
  });
});

describe('wrapping and cutting', () => {
  test('when the text fits, then the lines break at spaces and nothing is cut', () => {
    expect(wrapText('Aulus Agerius Magnus', perChar, 1, 13, 3)).toEqual({
      lines: ['Aulus Agerius', 'Magnus'],
      truncated: false,
    });
  });

  test('when one word is wider than the line, then it is broken inside', () => {
    const word = 'A'.repeat(25);
    expect(wrapText(word, perChar, 1, 10, 5).lines).toEqual(['A'.repeat(10), 'A'.repeat(10), 'A'.repeat(5)]);
  });

  test.each([1, 3, 6])(
    'when a 1,000-character name meets %i lines, then it keeps that many, each within the width, the last ending with …',
    (maxLines) => {
      const name = Array.from({ length: 200 }, (_, i) => `Nom${i % 10}`)
        .join(' ')
        .slice(0, 1000);
      const width = 40;
      const { lines, truncated } = wrapText(name, perChar, 1, width, maxLines);
      expect(truncated).toBe(true);
      expect(lines).toHaveLength(maxLines);
      for (const line of lines) expect(perChar.widthOfTextAtSize(line, 1)).toBeLessThanOrEqual(width);
      expect(lines[maxLines - 1]!.endsWith('…')).toBe(true);
      // What is shown is the start of the name, in order.
      expect(name.replace(/\s+/g, '').startsWith(lines.join('').replace(/…$/, '').replace(/\s+/g, ''))).toBe(true);
    },
  );
});

describe('characters never drawn and characters the fonts lack', () => {
  test('when a name carries bidi overrides, controls or tabs, then they are removed and spaces folded', () => {
    expect(printableText('Ali\u202e ecilA\u202c\t\u0000X\u200f')).toBe('Ali ecilA X');
  });

  test('when a name is Latin, Cyrillic, Greek, Hebrew or Arabic, then the fonts cover it; CJK they do not', () => {
    expect(uncovered('Aulus Agerius Авл Агерий Ελένη שלום أولوس أجيريوس')).toEqual([]);
    expect(uncovered('奥卢斯 Aulus')).toEqual(['U+5965', 'U+5362', 'U+65AF']);
  });
});

describe('Accept', () => {
  test.each([
    ['application/pdf', true],
    ['application/pdf, */*', true],
    ['application/fhir+json, application/pdf', false],
    ['application/fhir+json;q=0.5, application/pdf', true],
    ['application/pdf;q=0, application/fhir+json', false],
    ['*/*', false],
    [undefined, false],
  ])('when Accept is %s, then PDF is preferred: %s', (accept, expected) => {
    expect(prefersType(accept, 'application/pdf')).toBe(expected);
  });
});
