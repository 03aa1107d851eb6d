/**
 * The Dockerfile installs production dependencies only (`npm ci --omit=dev`), so every package src/ imports at run
 * time must be in `dependencies`: a devDependency imported by src/ gives an image that dies with ERR_MODULE_NOT_FOUND.
 * Imports are read with the TypeScript parser, so multi-line imports count and `import type` does not.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? files(path)
      : /\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')
        ? [path]
        : [];
  });
}

/** Module specifiers loaded at run time: value imports, re-exports and `import('literal')`. */
function runtimeSpecifiers(text: string, fileName = 'x.ts'): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause?.isTypeOnly ||
        (clause &&
          !clause.name &&
          clause.namedBindings &&
          ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.length > 0 &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) specs.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs;
}

/** The npm package a bare specifier names, or undefined for relative paths and Node built-ins. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || spec.startsWith('#'))
    return undefined;
  if (builtinModules.includes(spec.split('/')[0]!)) return undefined;
  return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
}

describe('runtime dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, string> | undefined
  >;
  const runtime = new Set(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies }));

  test('when every file of src/ is parsed, then each bare import names a package in dependencies', () => {
    const imported = new Map<string, string>();
    for (const file of files(SRC)) {
      for (const spec of runtimeSpecifiers(readFileSync(file, 'utf8'), file)) {
        const name = packageOf(spec);
        if (name && !imported.has(name)) imported.set(name, relative(ROOT, file));
      }
    }
    // The scan must see the packages the server is built on, or it is reading nothing.
    expect([...imported.keys()]).toEqual(
      expect.arrayContaining(['express', 'jose', '@medplum/core', '@peculiar/x509']),
    );
    const missing = [...imported]
      .filter(([name]) => !runtime.has(name))
      .map(([name, file]) => `${name} (imported by ${file})`);
    expect(missing).toEqual([]);
  });

  test('when an import is type-only, dynamic or multi-line, then the reader classifies it right', () => {
    const text = [
      "import type { A } from 'types-only';",
      "import { type B } from 'inline-type-only';",
      "import {\n  c,\n  type D,\n} from 'multi-line';",
      "export { e } from '@scope/re-export/sub';",
      "export type { F } from 'type-re-export';",
      "const g = await import('dynamic');",
      "import 'side-effect';",
      "import h from 'node:fs';",
      "import './relative.ts';",
    ].join('\n');
    const specs = runtimeSpecifiers(text);
    expect(specs).toEqual(['multi-line', '@scope/re-export/sub', 'dynamic', 'side-effect', 'node:fs', './relative.ts']);
    expect(specs.map(packageOf)).toEqual([
      'multi-line',
      '@scope/re-export',
      'dynamic',
      'side-effect',
      undefined,
      undefined,
    ]);
    expect(packageOf('fs/promises')).toBeUndefined();
  });
});
