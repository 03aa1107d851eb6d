/**
 * fixed[x] and pattern[x] comparison. fixed: exact equality (no extra elements or values);
 * pattern: every element of the pattern must be present with the same value (arrays: each pattern item
 * must be matched by some instance item). https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.pattern_x_
 */

/** Exact JSON equality (fixed[x]). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => deepEqual(ao[k], bo[k]));
}

/** Whether `value` contains everything `pattern` states (pattern[x]). */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object') return value === pattern;
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(pattern)) {
    // Each pattern item is matched by some instance item (a single value counts as a list of one).
    for (const p of pattern) {
      if (!Array.isArray(value)) {
        if (!matchesPattern(value, p)) return false;
        continue;
      }
      let found = false;
      for (const v of value)
        if (matchesPattern(v, p)) {
          found = true;
          break;
        }
      if (!found) return false;
    }
    return true;
  }
  if (Array.isArray(value)) return false;
  // for…in: the pattern's own keys (a parsed definition value), without an entries array per comparison.
  const vo = value as Record<string, unknown>;
  const po = pattern as Record<string, unknown>;
  for (const k in po) if (!matchesPattern(vo[k], po[k])) return false;
  return true;
}

/** Short JSON for messages. */
export function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
