import { checkPrimitive, isBase64Binary } from '../../../src/validation/primitives.ts';

/** The regex of the R4 base64Binary definition, which isBase64Binary replaces without its backtracking. */
const DEFINITION_REGEX = /^(\s*([0-9a-zA-Z+/=]){4}\s*)+$/;
/** Characters that matter to the regex: alphabet, padding, ASCII and Unicode whitespace, and outsiders. */
const CHARS = ['A', '9', '+', '=', ' ', '\n', '\u00a0', '-'];

function* allStrings(maxLength: number): Generator<string> {
  yield '';
  let layer = [''];
  for (let n = 1; n <= maxLength; n++) {
    layer = layer.flatMap((s) => CHARS.map((c) => s + c));
    yield* layer;
  }
}

describe('isBase64Binary', () => {
  test('when every string of up to 6 of those characters is checked, then it agrees with the definition regex', () => {
    let checked = 0;
    const disagreements: string[] = [];
    for (const s of allStrings(6)) {
      checked++;
      if (isBase64Binary(s) !== DEFINITION_REGEX.test(s)) disagreements.push(JSON.stringify(s));
    }
    expect(checked).toBe((CHARS.length ** 7 - 1) / (CHARS.length - 1));
    expect(disagreements).toEqual([]);
  });

  test('when a 1 MB attachment in lines of 76 is checked, then it is valid, and one stray space makes it invalid', () => {
    const line = 'QUJD'.repeat(19);
    const data = Array.from({ length: 14_000 }, () => line).join('\n');
    expect(checkPrimitive('base64Binary', data)).toBeUndefined();
    expect(checkPrimitive('base64Binary', `${data.slice(0, 10)} ${data.slice(10)}`)?.id).toBe('PRIMITIVE_FORMAT');
  });
});
