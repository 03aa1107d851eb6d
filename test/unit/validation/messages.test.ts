import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGES } from '../../../src/validation/messages.ts';

const DIR = join(import.meta.dirname, '../../../src/validation');
const sources = readdirSync(DIR)
  .filter((f) => f.endsWith('.ts') && f !== 'messages.ts')
  .map((f) => readFileSync(join(DIR, f), 'utf8'))
  .join('\n');

describe('validation message ids', () => {
  test.each(Object.keys(MESSAGES))('when %s is declared, then the engine uses it', (id) => {
    expect(sources).toContain(`'${id}'`);
  });
});
