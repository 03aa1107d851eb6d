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

/** Index of the parenthesis closing the one that opens `e`, or -1. */
function closingOf(e: string): number {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < e.length; i++) {
    const c = e[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

export function balanced(e: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < e.length; i++) {
    const c = e[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0 && !quoted;
}
