/**
 * The `fhir-validate` corpus: the HL7 Java validator's own R4 JSON test cases (FHIR/fhir-test-cases), with its
 * expected outcome, run through our engine as the CLI and `$validate` use it. Prints the agreement figures and
 * the disagreements; every disagreement must be listed with its reason in fhir-validate-expectations.ts, and every
 * listed one must still disagree (so a fix shows up as a list to shorten, and a regression fails the test).
 */
import { DISAGREEMENTS } from './fhir-validate-expectations.ts';
import { figures, readCorpus, runCorpus, stepNames, type CaseResult } from './fhir-validate-corpus.ts';

const cases = readCorpus();
let results: CaseResult[] = [];

const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)}%`;

describe('FHIR validator test cases (kind fhir-validate)', () => {
  beforeAll(() => {
    results = runCorpus(cases);
    const f = figures(results);
    const lines = [
      `fhir-validate corpus: ${cases.length} cases, ${f.total} steps (${cases.filter((c) => c.profile).length} profile steps), ${f.run} run (${cases.filter((c) => c.needsSnapshot).length} cases with a generated snapshot)`,
      `verdict agreement ${f.verdictAgree}/${f.run} (${pct(f.verdictAgree, f.run)}), exact error-count agreement ${f.countAgree}/${f.run} (${pct(f.countAgree, f.run)})`,
      ...Object.entries(f.byModule).map(
        ([m, x]) => `  ${m}: run ${x.run}/${x.total}, verdict ${x.verdictAgree}, count ${x.countAgree}`,
      ),
      'disagreements (expected errors → ours):',
      ...results
        .filter((r) => r.run && r.errors !== r.expectedErrors)
        .map((r) => `  ${r.module} ${r.name}: ${r.expectedErrors} → ${r.errors}`),
    ];
    console.log(lines.join('\n'));
  });

  test('when the manifest is read, then it yields the R4 JSON cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });

  test('when every case is validated, then none throws (malformed shapes become issues)', () => {
    expect(results.filter((r) => r.crash !== undefined).map((r) => ({ name: r.name, crash: r.crash }))).toEqual([]);
  });

  test('when the error counts are compared with the Java validator, then every disagreement is listed with a reason', () => {
    const disagreeing = results
      .filter((r) => r.run && r.errors !== r.expectedErrors)
      .map((r) => r.name)
      .sort();
    expect(disagreeing).toEqual(Object.keys(DISAGREEMENTS).sort());
    for (const reason of Object.values(DISAGREEMENTS)) expect(reason.length).toBeGreaterThan(10);
  });

  test('when a case loads a differential-only profile, then it runs with a generated snapshot and is counted', () => {
    const withSnapshot = new Set(cases.filter((c) => c.needsSnapshot).map((c) => c.name));
    expect(withSnapshot.size).toBeGreaterThan(0);
    expect(results.filter((r) => withSnapshot.has(r.name) && !r.run).map((r) => r.name)).toEqual([]);
    expect(results.filter((r) => r.run).length).toBe(cases.flatMap(stepNames).length);
  });

  test('when a case has a profile step, then that step runs against the generated snapshot of its profile', () => {
    const profileSteps = cases.filter((c) => c.profile).map((c) => `${c.name} (profile)`);
    expect(profileSteps.length).toBeGreaterThan(0);
    expect(results.filter((r) => profileSteps.includes(r.name) && r.run).map((r) => r.name)).toEqual(profileSteps);
  });
});
