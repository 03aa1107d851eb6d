import { parseStoredJson, parseStrictJson, toPlainJson } from '../../../src/fhir/json.ts';
import { messageIdOf, OutcomeError } from '../../../src/fhir/outcome.ts';

function rejection(text: string): { id?: string; message: string; expression?: string[] } {
  try {
    parseStrictJson(text);
  } catch (err) {
    if (err instanceof OutcomeError)
      return { id: messageIdOf(err.outcome), message: err.message, expression: err.outcome.issue?.[0]?.expression };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('parseStrictJson', () => {
  test('when a decimal would not round-trip, then its text is kept exactly', () => {
    const value = parseStrictJson('{"doseQuantity":{"value":1.50},"n":[1e2,0.1,3]}');
    expect(JSON.stringify(value)).toBe('{"doseQuantity":{"value":1.50},"n":[1e2,0.1,3]}');
    expect(toPlainJson(value)).toEqual({ doseQuantity: { value: 1.5 }, n: [100, 0.1, 3] });
  });

  test('when a key is repeated in one object, then JSON_DUPLICATE_KEY names it', () => {
    expect(rejection('{"resourceType":"Patient","a":{"b":1,"b":2}}')).toEqual({
      id: 'JSON_DUPLICATE_KEY',
      message: 'The property "b" appears more than once in the same object',
      expression: ['a.b'],
    });
  });

  test('when the same key appears in sibling objects, then it is accepted', () => {
    expect(parseStrictJson('[{"a":1},{"a":2}]')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  test.each(['__proto__', 'constructor', 'prototype', '\\u005f_proto__'])(
    'when the key %s appears, then JSON_FORBIDDEN_KEY',
    (key) => {
      const r = rejection(`{"x":{"${key}":{"polluted":true}}}`);
      expect(r.id).toBe('JSON_FORBIDDEN_KEY');
      expect(r.message).toMatch(/is not allowed$/);
    },
  );

  test('when nesting passes the cap, then JSON_TOO_DEEP', () => {
    const r = rejection('['.repeat(65) + ']'.repeat(65));
    expect(r).toMatchObject({ id: 'JSON_TOO_DEEP', message: 'The JSON nests deeper than 64 levels' });
  });

  test('when the text is not JSON, then JSON_SYNTAX', () => {
    const r = rejection('{"a":');
    expect(r.id).toBe('JSON_SYNTAX');
    expect(r.message).toMatch(/^The body is not valid JSON: /);
  });

  test('when comments and unquoted names or values are the only faults, then each is one issue where it is', () => {
    const text = '{\n  // one\n  "a": [ Sarah ],\n  b: "x", /* two\n */ "c": "// not a comment"\n}';
    let issues: { code?: string; id?: string; text?: string }[] = [];
    try {
      parseStrictJson(text);
    } catch (err) {
      if (!(err instanceof OutcomeError)) throw err;
      issues = (err.outcome.issue ?? []).map((i) => ({ id: i.details?.coding?.[0]?.code, text: i.details?.text }));
    }
    expect(issues).toEqual([
      { id: 'JSON_COMMENT', text: 'Comments are not allowed in JSON (line 2 column 3)' },
      { id: 'JSON_UNQUOTED', text: "The JSON value 'Sarah' has no quotes around it (line 3 column 10)" },
      { id: 'JSON_UNQUOTED', text: "The JSON property name 'b' has no quotes around it (line 4 column 3)" },
      { id: 'JSON_COMMENT', text: 'Comments are not allowed in JSON (line 4 column 11)' },
    ]);
  });

  test('when a comment comes with another syntax error, then the one JSON_SYNTAX issue stays', () => {
    const r = rejection('{ // note\n "a": 1 "b": 2 }');
    expect(r.id).toBe('JSON_SYNTAX');
  });

  test('when a string holds braces and quotes, then the scan is not fooled', () => {
    expect(parseStrictJson('{"a":"{\\"a\\":1,\\"a\\":2}","b":"[[[["}')).toEqual({ a: '{"a":1,"a":2}', b: '[[[[' });
  });
});

describe('parseStoredJson', () => {
  const texts = [
    '{"a":0.3,"b":[1,2.5,-7],"c":"x:1.50"}',
    '{"a":1.50}',
    '{"a":[0.3, 1e2]}',
    '{"a":0.3,"b":-0}',
    '{"a":-0}',
    '{"a":12345678901234567890,"b":0.5}',
    '{"a":1234567890123456}',
    '{"a":"1.0","b":{"c":[ 0.25 ,3.0]}}',
    '{"a":1E-7}',
    '{"value":0.1,"n":3}',
    '{"meta":{"lastUpdated":"2026-12-03T07:01:02.123Z"},"a":[1.50 ,2],"b":{"c":1e2}}',
    '{"a":"x:1.50,","b":"[2.0]","c":0.5}',
    '{"a":[-0.0]}',
  ];

  test.each(texts)('when it reads %s, then every number keeps what the strict reader keeps', (text) => {
    // Stored text is what JSON.stringify wrote from a strictly parsed body: the same text back, the same values.
    const strict = parseStrictJson(text);
    const stored = parseStoredJson(text);
    expect(JSON.stringify(stored)).toBe(JSON.stringify(strict));
    expect(toPlainJson(stored)).toEqual(toPlainJson(strict));
  });

  test('when every decimal round-trips, then none is kept as text (plain numbers), times in strings aside', () => {
    const value = parseStoredJson<{ a: number; b: number[] }>(
      '{"meta":{"lastUpdated":"2026-12-03T07:01:02.120Z"},"a":0.3,"b":[12.5,-7]}',
    );
    expect(typeof value.a).toBe('number');
    expect(value.b.every((n) => typeof n === 'number')).toBe(true);
  });

  test('when a decimal would lose its text, then it is kept as text', () => {
    const value = parseStoredJson<{ a: unknown }>('{"a":0.3,"b":1.50}');
    expect(JSON.stringify(value)).toBe('{"a":0.3,"b":1.50}');
  });
});
