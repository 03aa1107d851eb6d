/**
 * Diagnoses text that JSON.parse refused, for the two JSON5-isms people write by hand: comments and names or values
 * without quotes. Each one is reported where it is (as the HL7 validator reports each, one issue per comment or bare
 * word), but only when repairing exactly those makes the text parse; any other syntax error (a missing comma, a
 * wrong close marker) stays the single parse error, since a guess at the repair could invent more errors.
 * The text is never accepted: these are diagnostics for a refusal.
 */

export interface JsonProblem {
  readonly kind: 'comment' | 'unquoted-name' | 'unquoted-value';
  /** 1-based line and column of the problem in the text. */
  readonly line: number;
  readonly col: number;
  /** The bare word, for unquoted names and values. */
  readonly word?: string;
}

const WORD_START = /[A-Za-z_$]/;
const WORD_CHAR = /[A-Za-z0-9_$.\-+]/;
const LITERALS = new Set(['true', 'false', 'null']);

/** Scans `text` outside strings; returns the problems and the text with comments blanked and bare words quoted. */
function scan(text: string): { problems: JsonProblem[]; repaired: string } {
  const problems: JsonProblem[] = [];
  const out: string[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const at = (pos: number) => ({ line, col: pos - lineStart + 1 });
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      out.push(c);
      i++;
      line++;
      lineStart = i;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out.push(text.slice(i, j + 1));
      i = j + 1;
    } else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      problems.push({ kind: 'comment', ...at(i) });
      const block = text[i + 1] === '*';
      const end = block ? text.indexOf('*/', i + 2) : text.indexOf('\n', i);
      const stop = end < 0 ? text.length : block ? end + 2 : end;
      // Newlines inside a block comment are kept so later positions stay right.
      for (let k = i; k < stop; k++) {
        if (text[k] === '\n') {
          out.push('\n');
          line++;
          lineStart = k + 1;
        } else out.push(' ');
      }
      i = stop;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < text.length && WORD_CHAR.test(text[j])) j++;
      const word = text.slice(i, j);
      if (LITERALS.has(word)) out.push(word);
      else {
        let k = j;
        while (k < text.length && /\s/.test(text[k])) k++;
        problems.push({ kind: text[k] === ':' ? 'unquoted-name' : 'unquoted-value', ...at(i), word });
        out.push(JSON.stringify(word));
      }
      i = j;
    } else {
      out.push(c);
      i++;
    }
  }
  return { problems, repaired: out.join('') };
}

/**
 * The comments and bare words of `text` when they are its only syntax errors (the repaired text parses);
 * otherwise an empty list. Call only on text JSON.parse refused.
 */
export function diagnoseJson5(text: string): JsonProblem[] {
  const { problems, repaired } = scan(text);
  if (problems.length === 0) return [];
  try {
    JSON.parse(repaired);
  } catch {
    return [];
  }
  return problems;
}

export function describeJsonProblem(p: JsonProblem): string {
  const where = `line ${p.line} column ${p.col}`;
  if (p.kind === 'comment') return `Comments are not allowed in JSON (${where})`;
  if (p.kind === 'unquoted-name') return `The JSON property name '${p.word}' has no quotes around it (${where})`;
  return `The JSON value '${p.word}' has no quotes around it (${where})`;
}
