/**
 * The import rule of ../shared/style.md, checked mechanically: arrows point inward, toward pure code.
 * Each rule names a folder of src/ and the folders (or packages) its files must not import.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../src');

const RULES: Array<{ from: string; forbidden: string[]; why: string }> = [
  {
    from: 'formats',
    forbidden: ['fhir', 'http', 'storage', 'config', 'trust', 'credentials', 'validation', 'express'],
    why: 'codecs are pure',
  },
  {
    from: 'validation',
    forbidden: ['http', 'storage', 'credentials', 'config', 'express'],
    why: 'validation is a library',
  },
  {
    from: 'packages',
    forbidden: ['http', 'storage', 'credentials', 'config', 'express'],
    why: 'package reading is a library',
  },
  {
    from: 'fhir',
    forbidden: ['http', 'storage', 'credentials', 'trust', 'config', 'express'],
    why: 'FHIR helpers are leaves',
  },
  {
    from: 'trust',
    forbidden: ['http', 'express', 'storage/sqlite', 'storage/mongo'],
    why: 'trust uses the storage port only',
  },
  {
    from: 'credentials',
    forbidden: ['http', 'express', 'storage/sqlite', 'storage/mongo'],
    why: 'services use the storage port only',
  },
  {
    from: 'http',
    forbidden: ['storage/sqlite', 'storage/mongo', 'node:sqlite', 'mongodb'],
    why: 'the REST layer never sees SQL or Mongo',
  },
  {
    from: 'rules',
    forbidden: ['http', 'express', 'storage', 'credentials', 'config'],
    why: 'business rules are a library',
  },
  { from: 'cli', forbidden: ['http', 'express'], why: 'the CLI calls services, never HTTP' },
  {
    from: 'storage',
    forbidden: ['http', 'express', 'credentials', 'trust'],
    why: 'storage knows nothing of its callers',
  },
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm),
  ].map((m) => m[1] ?? m[2]);
}

/** An import as a path relative to src/ (e.g. `storage/sqlite/x.ts`), or the package name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return relative(SRC, resolve(file, '..', spec));
}

test('when every file of src/ is read, then no import crosses the boundaries of style.md', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const where = relative(SRC, file);
    for (const rule of RULES.filter((r) => where.startsWith(`${r.from}/`))) {
      for (const spec of imports(file)) {
        const to = target(file, spec);
        const hit = rule.forbidden.find((f) => to === f || to.startsWith(`${f}/`));
        if (hit) violations.push(`${where} imports ${spec} (${rule.why})`);
      }
    }
  }
  expect(violations).toEqual([]);
});

test('when the storage adapters are imported, then only the composition root does it', () => {
  const outside = files(SRC)
    .map((f) => relative(SRC, f))
    .filter((f) => !f.startsWith('storage/') && f !== 'services.ts')
    .filter((f) => imports(join(SRC, f)).some((s) => /storage\/(sqlite|mongo)\//.test(target(join(SRC, f), s))));
  expect(outside).toEqual([]);
});
