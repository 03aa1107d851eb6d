/**
 * The CertLogic conformance suite (../shared/corpus, kind certlogic) through the rule engine as the server wires it:
 * `evaluateGuarded` / `validateLogic` of src/rules/certlogic-engine.ts, i.e. certlogic-js behind our depth, size,
 * path and cost guards. Expected counts come from the corpus; cases the suite itself marks `skip` are not
 * conformance requirements (corpus README) and are counted apart, not run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateGuarded, runLogic, validateLogic } from '../../src/rules/certlogic-engine.ts';

interface CertLogicCase {
  id: string;
  test: 'evaluate' | 'validate';
  expression: unknown;
  data?: unknown;
  expected?: unknown;
  expectedIssues?: Array<{ expr: unknown; message: string }>;
  valid?: boolean;
  skip?: boolean;
}

const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');
const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as {
  files: { kind: string; file: string }[];
};
const files = manifest.files
  .filter((f) => f.kind === 'certlogic')
  .map((f) => JSON.parse(readFileSync(join(CORPUS, f.file), 'utf8')) as { count: number; cases: CertLogicCase[] });
const cases = files.flatMap((f) => f.cases);
const run = cases.filter((c) => !c.skip);
const evaluateCases = run.filter((c) => c.test === 'evaluate');
const validateCases = run.filter((c) => c.test === 'validate');

/** Date results compare by instant, as the suite's own runner does; everything else deep-equals. */
const comparable = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : v);

describe('CertLogic conformance suite (kind certlogic) through src/rules', () => {
  test('when the manifest is read, then every file yields the number of cases it declares', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f.cases.length).toBe(f.count);
    expect(evaluateCases.length + validateCases.length + cases.filter((c) => c.skip).length).toBe(cases.length);
  });

  test('when every non-skipped case runs through the engine, then all of them agree with the suite', () => {
    const disagreements: string[] = [];
    for (const c of evaluateCases) {
      try {
        const got = comparable(evaluateGuarded(c.expression, c.data ?? null));
        if (JSON.stringify(got) !== JSON.stringify(comparable(c.expected)))
          disagreements.push(`${c.id}: got ${JSON.stringify(got)}`);
      } catch (e) {
        disagreements.push(`${c.id}: threw ${(e as Error).message}`);
      }
    }
    for (const c of validateCases) {
      const issues = validateLogic(c.expression);
      const want = c.expectedIssues ?? [];
      const same =
        issues.length === want.length &&
        issues.every((i, k) => JSON.stringify(i.expr) === JSON.stringify(want[k]!.expr));
      if (!same || (issues.length === 0) !== c.valid)
        disagreements.push(`${c.id}: ${issues.length} issue(s), expected ${want.length}`);
    }
    expect(disagreements).toEqual([]);
    expect(evaluateCases.length + validateCases.length).toBe(run.length);
  });

  test('when an evaluate case is a boolean rule, then runLogic gives the pass/fail the suite implies', () => {
    const boolean = evaluateCases.filter((c) => typeof c.expected === 'boolean');
    expect(boolean.length).toBeGreaterThan(0);
    const wrong = boolean
      .filter((c) => runLogic(c.expression, c.data ?? null).outcome !== (c.expected ? 'pass' : 'fail'))
      .map((c) => c.id);
    expect(wrong).toEqual([]);
  });
});
