import { checkPrimitive } from '../../../src/validation/primitives.ts';

/** The leading/trailing whitespace rule as a regex, which the character test in primitives.ts replaces. */
const EDGE_SPACE = /^[ \t\n\r]|[ \t\n\r]$/;
const CHARS = ['a', ' ', '\t', '\n', '\r', '\u00a0', '\v', '\u2028'];

describe('checkPrimitive: leading or trailing whitespace', () => {
  test('when every id of up to 3 of those characters is checked, then the edge rule agrees with its regex', () => {
    const disagreements: string[] = [];
    let layer = [''];
    for (let n = 1; n <= 3; n++) {
      layer = layer.flatMap((s) => CHARS.map((c) => s + c));
      for (const value of layer) {
        const edge = checkPrimitive('id', value)?.text.endsWith('leading or trailing whitespace') === true;
        if (edge !== EDGE_SPACE.test(value)) disagreements.push(JSON.stringify(value));
      }
    }
    expect(disagreements).toEqual([]);
  });

  test('when a string, markdown or xhtml value has edge spaces, then that is not a problem of theirs', () => {
    expect(checkPrimitive('string', ' a ')).toBeUndefined();
    expect(checkPrimitive('markdown', '\na\n')).toBeUndefined();
    expect(checkPrimitive('code', ' a')?.id).toBe('PRIMITIVE_FORMAT');
    expect(checkPrimitive('code', 'a\u00a0')).toBeUndefined();
  });
});
