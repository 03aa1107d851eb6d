/**
 * Reading the text of a FHIRPath expression at its top level: splitting at an operator and stripping enclosing
 * parentheses, outside string literals (where `or`, `(` and `)` are text). Used by the invariant shortcuts to take
 * an expression apart before deciding whether a sure answer can be read from the JSON.
 */

/** Splits at a top-level operator (outside parentheses and string literals); one part when it does not occur. */
export function splitTop(expression: string, op: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && expression.startsWith(op, i)) {
      parts.push(expression.slice(start, i).trim());
      start = i + op.length;
      i += op.length - 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}

/** Strips parentheses that enclose the whole expression (not those of `(a) or (b)`). */
export function unwrap(expression: string): string {
  let e = expression.trim();
  while (e.startsWith('(') && e.endsWith(')') && closingOf(e) === e.length - 1) e = e.slice(1, -1).trim();
  return e;
}

/**
 * Walks the parentheses of `e` outside string literals: `stop(depth)` is asked after each `)` with the depth left.
 * Returns where it stopped, or -1 at the end, with whether the text ended inside a literal and its final depth.
 */
function parentheses(e: string, stop: (depth: number) => boolean): { at: number; depth: number; quoted: boolean } {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < e.length; i++) {
    const c = e[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')' && stop(--depth)) return { at: i, depth, quoted };
  }
  return { at: -1, depth, quoted };
}

/** Index of the parenthesis closing the one that opens `e`, or -1. */
function closingOf(e: string): number {
  return parentheses(e, (depth) => depth === 0).at;
}

/** Whether every parenthesis outside a literal is closed in order, and no literal is left open. */
export function balanced(e: string): boolean {
  const { at, depth, quoted } = parentheses(e, (d) => d < 0);
  return at === -1 && depth === 0 && !quoted;
}
