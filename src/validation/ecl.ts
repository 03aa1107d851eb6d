/**
 * A syntax check of SNOMED CT Expression Constraint Language (ECL 2, https://docs.snomed.org/snomed-ct-specifications/snomed-ct-expression-constraint-language)
 * for ValueSet filters on the `constraint` property: constraint operators are prefixes, sub-expressions are joined by
 * AND / OR / MINUS, refined after `:` with attribute comparisons, grouped with parentheses and braces. Only what is
 * surely malformed is reported; anything the checker does not know (filters, history supplements, `{{ }}`) is left alone.
 */

type Token = { kind: 'id' | 'sym' | 'word' | 'term' | 'str' | 'num'; text: string };

const SYMBOLS = [
  '<<!',
  '>>!',
  '<<',
  '>>',
  '<!',
  '>!',
  '!=',
  '<=',
  '>=',
  '..',
  '<',
  '>',
  '^',
  '*',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ':',
  '=',
  ',',
  '.',
  '#',
];

function tokenize(text: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) i++;
    else if (c === '|') {
      const end = text.indexOf('|', i + 1);
      if (end < 0) return out.concat({ kind: 'sym', text: '|' }); // an unclosed term: reported by the parser
      out.push({ kind: 'term', text: text.slice(i, end + 1) });
      i = end + 1;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out.push({ kind: 'str', text: text.slice(i, end + 1) });
      i = end + 1;
    } else if (/\d/.test(c)) {
      const m = /^\d+(\.\d+)?/.exec(text.slice(i)) as RegExpExecArray;
      out.push({ kind: m[1] ? 'num' : 'id', text: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z]/.test(c)) {
      const m = /^[A-Za-z]+/.exec(text.slice(i)) as RegExpExecArray;
      out.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    } else {
      const s = SYMBOLS.find((x) => text.startsWith(x, i));
      if (!s) return undefined; // `{{`, `@`, ...: not judged
      out.push({ kind: 'sym', text: s });
      i += s.length;
    }
  }
  return out;
}

class Parser {
  private i = 0;
  private readonly t: Token[];
  constructor(tokens: Token[]) {
    this.t = tokens;
  }
  private peek(): Token | undefined {
    return this.t[this.i];
  }
  private isSym(...s: string[]): boolean {
    const p = this.peek();
    return p?.kind === 'sym' && s.includes(p.text);
  }
  private isWord(...w: string[]): boolean {
    const p = this.peek();
    return p?.kind === 'word' && w.includes(p.text.toUpperCase());
  }
  private fail(what: string): never {
    const at = this.peek();
    throw new Error(`${what}${at ? ` at '${at.text}'` : ' at the end'}`);
  }
  parse(): void {
    this.expression();
    if (this.peek()) this.fail('unexpected text');
  }
  private expression(): void {
    this.sub();
    if (this.isSym(':')) {
      this.i++;
      this.refinement();
    } else if (this.isWord('AND', 'OR', 'MINUS') || this.isSym(',')) {
      while (this.isWord('AND', 'OR', 'MINUS') || this.isSym(',')) {
        this.i++;
        this.sub();
      }
    } else while (this.isSym('.')) this.i++, this.sub();
  }
  private sub(): void {
    if (this.isSym('<<!', '>>!', '<<', '>>', '<!', '>!', '<', '>')) this.i++;
    if (this.isSym('^')) this.i++;
    const p = this.peek();
    if (p?.kind === 'id') {
      this.i++;
      if (this.peek()?.kind === 'term') this.i++;
    } else if (this.isSym('*')) this.i++;
    else if (this.isSym('(')) {
      this.i++;
      this.expression();
      if (!this.isSym(')')) this.fail("expected ')'");
      this.i++;
    } else this.fail('expected a concept, * or (');
  }
  private refinement(): void {
    this.attributeItem();
    while (this.isWord('AND', 'OR') || this.isSym(',')) {
      this.i++;
      this.attributeItem();
    }
  }
  private attributeItem(): void {
    if (this.isSym('{') || this.isSym('(')) {
      const close = this.isSym('{') ? '}' : ')';
      this.i++;
      this.refinement();
      if (!this.isSym(close)) this.fail(`expected '${close}'`);
      this.i++;
      return;
    }
    if (this.isSym('[')) {
      while (this.peek() && !this.isSym(']')) this.i++;
      if (!this.isSym(']')) this.fail("expected ']'");
      this.i++;
    }
    if (this.isWord('R')) this.i++;
    this.sub();
    if (!this.isSym('=', '!=', '<', '>', '<=', '>=')) this.fail('expected a comparison');
    this.i++;
    const p = this.peek();
    if (this.isSym('#')) {
      this.i++;
      if (this.peek()?.kind !== 'num' && this.peek()?.kind !== 'id') this.fail('expected a number');
      this.i++;
    } else if (p?.kind === 'str' || (p?.kind === 'word' && /^(true|false)$/i.test(p.text))) this.i++;
    else this.sub();
  }
}

/** Why `ecl` is not a valid expression constraint, or undefined when it is (or cannot be judged here). */
export function eclProblem(ecl: string): string | undefined {
  const tokens = tokenize(ecl);
  if (!tokens) return undefined;
  try {
    new Parser(tokens).parse();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
