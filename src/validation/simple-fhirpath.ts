/**
 * A compiler for the most common invariant shape, `a.b.exists() or c.empty() ...` (only `or`, or only
 * `and`, of `exists()`/`empty()`/`hasValue()` on plain paths), into a plain function. Anything else
 * returns undefined and goes to the full FHIRPath engine. https://hl7.org/fhirpath/N1/#existence
 */

type Json = Record<string, unknown>;

const TERM = /^\(?([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)\.(exists|empty|hasValue)\(\)\)?$/;

/** The first key of `o` naming a choice of `name` (`value` → `valueString`), in key order; undefined if none.
 * A `for…in` over a parsed JSON object visits its own keys in `Object.keys` order, without building the array. */
function choiceKey(o: Json, name: string): string | undefined {
  for (const k in o) if (k.length > name.length && k.startsWith(name) && k.charCodeAt(name.length) < 91) return k;
  return undefined;
}

/** Whether anything is at the dotted path from `v` (arrays flattened, nulls skipped; a missing name may be a choice:
 * `value` → `valueString`), found depth-first without building the lists of values: exists/empty run on every
 * element that has such an invariant, and the first value found answers. `twins` holds `_name` for each name, made
 * once per expression rather than on every read. */
function anyAt(v: unknown, names: readonly string[], twins: readonly string[], i: number): boolean {
  if (i === names.length) return true;
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Json;
  const name = names[i] as string;
  let hit = o[name] ?? o[twins[i] as string];
  if (hit === undefined) {
    const key = choiceKey(o, name);
    if (key) hit = o[key];
  }
  if (Array.isArray(hit)) {
    for (const x of hit) if (x !== null && x !== undefined && anyAt(x, names, twins, i + 1)) return true;
    return false;
  }
  return hit !== undefined && hit !== null && anyAt(hit, names, twins, i + 1);
}

function splitTop(expression: string, op: ' or ' | ' and '): string[] {
  return expression.split(op).map((t) => t.trim());
}

/** Compiles `expression` when it has the simple shape; the function returns whether the invariant holds. */
export function compileSimple(expression: string): ((value: unknown) => boolean) | undefined {
  const op = expression.includes(' or ') ? ' or ' : ' and ';
  if (op === ' or ' && expression.includes(' and ')) return undefined;
  const terms = splitTop(expression, op).map((t) => TERM.exec(t));
  if (terms.some((m) => m === null)) return undefined;
  const tests = (terms as RegExpExecArray[]).map(([, path, fn]) => {
    const names = path.split('.');
    const twins = names.map((n) => `_${n}`);
    return fn === 'empty' ? (v: unknown) => !anyAt(v, names, twins, 0) : (v: unknown) => anyAt(v, names, twins, 0);
  });
  return op === ' or ' ? (v) => tests.some((t) => t(v)) : (v) => tests.every((t) => t(v));
}
