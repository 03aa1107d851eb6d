/**
 * The narrative scans of txt-1..3 (src/validation/xhtml-scan.ts) against the patterns they stand for: crafted edge
 * cases (any case, unicode whitespace, letters that case-fold to ASCII only under unicode rules), random texts
 * made of the characters that matter, and every narrative of the official R4 examples.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { hasForbiddenElement, mayHaveEventAttribute, mayHaveScriptUrl } from '../../../src/validation/xhtml-scan.ts';

const FORBIDDEN = /<(script|object|iframe|form|base|link|embed|applet|frame|frameset|meta|head|body|html|style)[\s>/]/i;
const EVENT = /\son[a-z]+\s*=/i;
const SCRIPT = /javascript:/i;

const scans = [
  { name: 'forbidden element', scan: hasForbiddenElement, pattern: FORBIDDEN },
  { name: 'event attribute', scan: mayHaveEventAttribute, pattern: EVENT },
  { name: 'script URL', scan: mayHaveScriptUrl, pattern: SCRIPT },
];

const crafted = [
  '<SCRIPT>x',
  '<scripts>',
  '<frameset/',
  '<frame\t',
  '<metal>',
  '<Head>',
  '<body1>',
  '<style\u00a0',
  '< script>',
  '<form',
  '<li\u212ank >',
  '<\u017fcript>',
  '<a onclick="x">',
  '<a\tONload =y>',
  '<a xon=1>',
  '<a on=1>',
  '<a ona=1>',
  '<a\u2003onx\u3000=1>',
  'on x=',
  ' on1x=',
  ' o\u212ax=',
  '=',
  ' onx',
  '<a href="JavaScript:x">',
  'javascript:',
  'xjavascript:',
  'javascript',
  ':javascript:',
  'java\u017fcript:',
];

/** Random texts over an alphabet rich in what the patterns look for. */
function randomTexts(count: number, seed: number): string[] {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  const pieces = [
    '<',
    '>',
    '/',
    '=',
    ':',
    ' ',
    '\t',
    '\u00a0',
    'on',
    'ON',
    'a',
    'x',
    'script',
    'frame',
    'set',
    'java',
    'JAVA',
    'script:',
    '1',
    'k',
    '\u212a',
  ];
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(next() * 12) }, () => pieces[Math.floor(next() * pieces.length)]).join(''),
  );
}

function r4Narratives(): string[] {
  const dir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
  const divs: string[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) collect(x);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'div' && typeof x === 'string') divs.push(x);
        else collect(x);
      }
  };
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'package.json')
    .slice(0, 1500))
    collect(JSON.parse(readFileSync(join(dir, f), 'utf8')));
  return divs;
}

describe.each(scans)('the $name scan', ({ scan, pattern }) => {
  test('when given the crafted edge cases, then it answers as the pattern does', () => {
    for (const text of crafted) expect([text, scan(text)]).toEqual([text, pattern.test(text)]);
  });

  test('when given random texts of the characters that matter, then it answers as the pattern does', () => {
    const texts = randomTexts(20_000, 7);
    const matched = texts.filter((t) => pattern.test(t)).length;
    expect(matched).toBeGreaterThan(0);
    expect(matched).toBeLessThan(texts.length);
    for (const text of texts) expect([text, scan(text)]).toEqual([text, pattern.test(text)]);
  });

  test('when given the narratives of the official R4 examples, then it answers as the pattern does', () => {
    const divs = r4Narratives();
    expect(divs.length).toBeGreaterThan(0);
    expect(divs.filter((d) => scan(d) !== pattern.test(d))).toEqual([]);
  });
});
