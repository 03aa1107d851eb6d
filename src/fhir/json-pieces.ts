/**
 * Strict parsing of a large FHIR Bundle file without its whole text: the bytes are split at the elements of the
 * root `entry` array, and the Bundle's own members and each entry are decoded and parsed on their own. The R4
 * spec Bundles (35 MB, with non-ASCII characters) otherwise live as a 70 MB two-byte string beside their tree
 * (ADR 0067). The value is the one `parseStrictJson` gives for the whole text; any piece that does not pass, or
 * a shape the split cannot vouch for, falls back to the whole text, so errors are reported exactly as before.
 */
import { DEFAULT_JSON_LIMITS, type JsonLimits, parseStrictJson } from './json.ts';
import { bundleEntryRanges } from './lean-bundle.ts';

/** Below this size a file is parsed whole: the split only pays for multi-megabyte Bundles. */
export const PIECEWISE_MIN_BYTES = 4 * 1024 * 1024;
/** Entries sit two levels below the root (root object, `entry` array), so a piece may nest two levels less. */
const ENTRY_DEPTH = 2;
const PLACEHOLDER = Buffer.from('0');

/**
 * `parseStrictJson` of the UTF-8 text in `bytes` (as `readFileSync(path, 'utf8')` decodes it).
 * @example const value = parseStrictJsonBytes(readFileSync('Bundle-resources.json'));
 */
export function parseStrictJsonBytes(
  bytes: Buffer,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
  minBytes = PIECEWISE_MIN_BYTES,
): unknown {
  if (bytes.length >= minBytes) {
    const value = parsePieces(bytes, limits);
    if (value !== undefined) return value;
  }
  return parseStrictJson(bytes.toString('utf8'), limits);
}

/** The value parsed piece by piece, or undefined when the whole text must be parsed instead. */
export function parsePieces(bytes: Buffer, limits: JsonLimits): unknown {
  const ranges = bundleEntryRanges(bytes);
  if (ranges.length === 0 || limits.maxDepth <= ENTRY_DEPTH) return undefined;
  try {
    // The Bundle with `0` in place of each entry: every cut is at a `{` or `}`, never inside a UTF-8 sequence, and
    // putting each piece's text back in place of its `0` gives the original text, so both parse alike.
    const parts: Buffer[] = [];
    let at = 0;
    for (const [s, e] of ranges) {
      parts.push(bytes.subarray(at, s), PLACEHOLDER);
      at = e;
    }
    parts.push(bytes.subarray(at));
    const root = parseStrictJson(Buffer.concat(parts).toString('utf8'), limits) as { entry?: unknown };
    const entry = root?.entry;
    // The placeholders must be exactly the entry array's elements (an entry that is not an object is not cut out).
    if (!Array.isArray(entry) || entry.length !== ranges.length || entry.some((x) => x !== 0)) return undefined;
    const pieceLimits = { ...limits, maxDepth: limits.maxDepth - ENTRY_DEPTH };
    ranges.forEach(([s, e], i) => {
      entry[i] = parseStrictJson(bytes.toString('utf8', s, e), pieceLimits);
    });
    return root;
  } catch {
    return undefined;
  }
}
