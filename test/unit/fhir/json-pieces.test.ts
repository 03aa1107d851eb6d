import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseStrictJson } from '../../../src/fhir/json.ts';
import { PIECEWISE_MIN_BYTES, parsePieces, parseStrictJsonBytes } from '../../../src/fhir/json-pieces.ts';
import { OutcomeError } from '../../../src/fhir/outcome.ts';

const LIMITS = { maxDepth: 64 };
const EXAMPLES = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));

/** What a parse gives: the value's JSON text (decimal texts included) or the rejection's message and path. */
function outcomeOf(parse: () => unknown): string {
  try {
    return `value ${JSON.stringify(parse())}`;
  } catch (err) {
    if (!(err instanceof OutcomeError)) throw err;
    return `rejected ${err.message} at ${JSON.stringify(err.outcome.issue?.[0]?.expression)}`;
  }
}

/** A Bundle text; the split is tried on any size when the threshold passed is 0. */
function bundle(entries: string, head = '"resourceType":"Bundle","type":"collection"'): Buffer {
  return Buffer.from(`{${head},"id":"b1","entry":[${entries}]}`);
}

const SAME_AS_WHOLE: Record<string, string> = {
  'decimals, non-ASCII text, braces and escaped quotes in strings':
    '{"resource":{"resourceType":"Observation","valueQuantity":{"value":1.50},"note":[{"text":"é } ] \\" {"}]}},{"fullUrl":"urn:x"}',
  'an entry holding an empty object and arrays': '{},{"resource":{"resourceType":"Basic","a":[[],[{}]]}}',
  'a repeated key inside an entry': '{"resource":{"resourceType":"Basic","id":"a","id":"b"}}',
  'an entry that is not an object': '{"fullUrl":"a"},7',
  'a syntax error inside an entry': '{"resource":{"resourceType":"Basic",}}',
  'an entry nesting too deep': `{"a":${'['.repeat(62)}${']'.repeat(62)}}`,
  'a forbidden key inside an entry': '{"__proto__":{}}',
};

describe('parseStrictJsonBytes', () => {
  test.each(Object.entries(SAME_AS_WHOLE))(
    'when a Bundle has %s, then the split gives the whole-text outcome',
    (_, entries) => {
      const bytes = bundle(entries);
      expect(outcomeOf(() => parseStrictJsonBytes(bytes, LIMITS, 0))).toBe(
        outcomeOf(() => parseStrictJson(bytes.toString('utf8'), LIMITS)),
      );
    },
  );

  test('when the Bundle repeats a key of its own, then the whole-text rejection is given', () => {
    const bytes = bundle('{"fullUrl":"a"}', '"resourceType":"Bundle","type":"a","type":"b"');
    const whole = outcomeOf(() => parseStrictJson(bytes.toString('utf8'), LIMITS));
    expect(whole).toMatch(/^rejected /);
    expect(outcomeOf(() => parseStrictJsonBytes(bytes, LIMITS, 0))).toBe(whole);
  });

  test('when a file starts with a byte order mark, then it is rejected as the whole text is', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bundle('{"fullUrl":"a"}')]);
    const whole = outcomeOf(() => parseStrictJson(bytes.toString('utf8'), LIMITS));
    expect(whole).toMatch(/^rejected /);
    expect(outcomeOf(() => parseStrictJsonBytes(bytes, LIMITS, 0))).toBe(whole);
  });

  test('when a Bundle passes the default threshold, then it is split and gives the whole-text value', () => {
    const bytes = bundle(`{"resource":{"resourceType":"Basic","text":"${'é'.repeat(PIECEWISE_MIN_BYTES / 2)}"}},{}`);
    expect(bytes.length).toBeGreaterThanOrEqual(PIECEWISE_MIN_BYTES);
    expect(parsePieces(bytes, LIMITS)).toBeDefined();
    expect(JSON.stringify(parseStrictJsonBytes(bytes))).toBe(JSON.stringify(parseStrictJson(bytes.toString('utf8'))));
  });

  test('when entries are well formed, then they are parsed piece by piece', () => {
    const bytes = bundle('{"resource":{"resourceType":"Basic","n":1.50}},{"fullUrl":"b"}');
    const pieces = parsePieces(bytes, LIMITS) as { entry: unknown[] };
    expect(pieces.entry).toHaveLength(2);
    expect(JSON.stringify(pieces)).toBe(JSON.stringify(parseStrictJson(bytes.toString('utf8'), LIMITS)));
  });

  test('when an entry is not an object, then the split gives up (the whole text is parsed)', () => {
    expect(parsePieces(bundle('{"fullUrl":"a"},7'), LIMITS)).toBeUndefined();
  });

  // The two smallest multi-megabyte spec Bundles of the R4 examples (the others take the same path, only longer).
  const specBundles = readdirSync(EXAMPLES)
    .filter((f) => f.startsWith('Bundle-') && statSync(join(EXAMPLES, f)).size >= PIECEWISE_MIN_BYTES)
    .sort((a, b) => statSync(join(EXAMPLES, a)).size - statSync(join(EXAMPLES, b)).size)
    .slice(0, 2);

  test('the R4 examples have multi-megabyte spec Bundles to check', () => {
    expect(specBundles.length).toBe(2);
  });

  test.each(specBundles)('when %s is parsed piece by piece, then it equals the whole-text parse', (file) => {
    const bytes = readFileSync(join(EXAMPLES, file));
    const pieces = parsePieces(bytes, LIMITS);
    expect(pieces).toBeDefined();
    expect(JSON.stringify(pieces)).toBe(JSON.stringify(parseStrictJson(bytes.toString('utf8'), LIMITS)));
  });
});
