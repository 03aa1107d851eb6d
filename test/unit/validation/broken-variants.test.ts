/** The broken variants of test/fixtures/broken (made by test/fixtures/make-broken.ts) give exactly the stated errors. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createValidator } from '../../../src/validation/validator.ts';
import { sharedPackages } from './shared-packages.ts';

interface Expectation {
  name: string;
  description: string;
  errors: [string, string][];
  warnings: [string, string][];
}

const DIR = join(import.meta.dirname, '../../fixtures/broken');
const expectations = JSON.parse(readFileSync(join(DIR, 'expectations.json'), 'utf8')) as Expectation[];
const validator = createValidator(await sharedPackages());

const key = (id: string | undefined, expression: string | undefined): string => `${id} @ ${expression}`;

describe('broken variants', () => {
  test('when the fixtures are listed, then there are at least 30 variants', () => {
    expect(expectations.length).toBeGreaterThanOrEqual(30);
  });

  test.each(expectations.map((e) => [e.name, e] as const))(
    'when %s is validated, then exactly the expected errors are reported',
    (name, e) => {
      const resource = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8'));
      const issues = validator.validate(resource).issue;
      const errors = issues
        .filter((i) => i.severity === 'error')
        .map((i) => key(i.details?.coding?.[0]?.code, i.expression?.[0]));
      expect(errors.sort()).toEqual(e.errors.map(([id, expr]) => key(id, expr)).sort());
      const warnings = issues
        .filter((i) => i.severity === 'warning')
        .map((i) => key(i.details?.coding?.[0]?.code, i.expression?.[0]));
      for (const [id, expr] of e.warnings) expect(warnings).toContain(key(id, expr));
    },
  );
});
