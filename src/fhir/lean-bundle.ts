/**
 * Reads a large definitions Bundle (the R4 core's profiles-resources.json is 35 MB) entry by entry, for a process
 * that only validates (the CLI): the file stays bytes, each entry is decoded and parsed on its own, and what
 * validation never reads is dropped as it is parsed. A whole-file parse held the 35 MB text (70 MB once decoded,
 * as the file has non-ASCII characters), the full tree and its garbage at once: most of the CLI's peak memory
 * before its first file (ADR 0067).
 */
import { readFileSync } from 'node:fs';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const ENTRY = Buffer.from('entry');

/**
 * Byte ranges of the elements of the root object's `entry` array. The scan only has to be right on well-formed
 * JSON (the definitions files); strings are skipped with their escapes, so braces inside them do not count.
 */
export function bundleEntryRanges(bytes: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let depth = 0;
  let lastString: [number, number] = [0, 0];
  let inEntry = false;
  let start = -1;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      const s = i + 1;
      i = stringEnd(bytes, i);
      lastString = [s, i];
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      // At depth 1 an array can only be a member's value, so the last string read is its key.
      if (depth === 1 && c === OPEN_ARRAY)
        inEntry = Buffer.compare(ENTRY, bytes.subarray(lastString[0], lastString[1])) === 0;
      if (inEntry && depth === 2) start = i;
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      if (inEntry && depth === 2) out.push([start, i + 1]);
      if (depth === 1) inEntry = false;
    }
  }
  return out;
}

/**
 * The closing quote of the string opening at `start` (the length when unterminated): the next quote preceded by an
 * even run of backslashes, found with native `indexOf` (a byte loop over 35 MB took seconds on a busy machine).
 */
function stringEnd(bytes: Uint8Array, start: number): number {
  let q = start;
  for (;;) {
    q = bytes.indexOf(QUOTE, q + 1);
    if (q < 0) return bytes.length;
    let slashes = 0;
    while (bytes[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
  }
}

/** ElementDefinition members that no validation rule reads: prose and mappings (a third of a snapshot's bytes). */
const ELEMENT_PROSE = ['definition', 'comment', 'requirements', 'mapping', 'alias'] as const;

/**
 * Drops from a definitions resource what validation never reads: its narrative and, in a StructureDefinition,
 * its mappings and the prose of each element. The resource must then not be served (the server keeps full ones).
 */
export function stripForValidation(resource: Record<string, unknown>): void {
  delete resource.text;
  if (resource.resourceType !== 'StructureDefinition') return;
  delete resource.mapping;
  for (const part of [resource.snapshot, resource.differential]) {
    const elements = (part as { element?: unknown } | undefined)?.element;
    if (!Array.isArray(elements)) continue;
    for (const e of elements as Record<string, unknown>[]) for (const k of ELEMENT_PROSE) delete e[k];
  }
}

/** The Bundle at `path`, parsed entry by entry with `stripForValidation` applied; only `entry` is kept. */
export function readLeanBundle(path: string): { resourceType: 'Bundle'; entry: { resource?: unknown }[] } {
  const bytes = readFileSync(path);
  const entry = bundleEntryRanges(bytes).map(([s, e]) => {
    const parsed = JSON.parse(bytes.toString('utf8', s, e)) as { resource?: Record<string, unknown> };
    if (parsed.resource) stripForValidation(parsed.resource);
    return parsed;
  });
  return { resourceType: 'Bundle', entry };
}
