/** formats/ is pure: no imports from other server layers, no clock, no global randomness (style.md import rule). */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(process.cwd(), 'src', 'formats');
const files = (readdirSync(ROOT, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(ROOT, f));

describe('formats/ purity', () => {
  test.each(files.map((f) => [relative(ROOT, f), f]))(
    'when %s is read, then it imports no other layer and reads no clock or randomness',
    (_name, file) => {
      const source = readFileSync(file, 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const spec of imports) {
        expect({
          spec,
          ok:
            !/\/(fhir|http|storage|config|trust|credentials|validation|packages)\//.test(spec) &&
            !spec.startsWith('../../'),
        }).toEqual({ spec, ok: true });
      }
      const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, ''); // TSDoc examples may show new Date()
      expect(code).not.toMatch(/Date\.now\(|new Date\(\)|Math\.random\(|process\.env|crypto\.getRandomValues/);
      expect(source).not.toMatch(/import \{[^}]*\b(randomBytes|randomUUID|randomFillSync)\b[^}]*\} from 'node:crypto'/);
    },
  );
});
