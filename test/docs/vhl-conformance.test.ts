/**
 * The IHE ITI.VHL Gherkin checklist (docs/vhl-conformance.md) cannot drift: each `covered` row naming one of our VHL
 * tests points at a test title that exists, and, when the IHE feature files are at hand (IHE_VHL_FEATURES = a
 * checkout's input/tests/features), every Scenario of the mapped feature files has exactly its row. The feature
 * files are read, never copied: only their Scenario line numbers are compared.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/vhl-conformance.md'), 'utf8');
const TEST_FILES: Record<string, string> = {
  G: 'test/e2e/vhl.test.ts',
  M: 'test/e2e/vhl-manifest.test.ts',
  S: 'test/e2e/vhl-ssraa.test.ts',
  U: 'test/unit/formats/shl/vhlink.test.ts',
};

interface Row {
  feature: string;
  line: number;
  status: string;
  test: string;
}

/** The rows of every `## <feature>.feature` table. */
function rows(): Row[] {
  const out: Row[] = [];
  let feature: string | undefined;
  for (const text of doc.split('\n')) {
    const heading = /^## (.+)\.feature$/.exec(text);
    if (heading) feature = heading[1];
    const row = /^\| (\d+) \| (.*) \| (covered|n\/a|not implemented) \| (.*) \|$/.exec(text);
    if (row && feature) out.push({ feature, line: Number(row[1]), status: row[3]!, test: row[4]! });
  }
  return out;
}

/** `G:title fragment` references of a row (several may be given, `;`-separated; a `(…)` remark ends one). */
function references(test: string): Array<{ file: string; fragment: string }> {
  return test
    .split(';')
    .map((part) => /^\s*([GMSU]):(.+?)(?:\s+\(.*)?$/.exec(part))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: TEST_FILES[m[1]!]!, fragment: m[2]!.trim().replace(/\\\|/g, '|') }));
}

const all = rows();

test('when the checklist is read, then it has rows for the seven mapped feature files, each with a known status', () => {
  const features = new Set(all.map((r) => r.feature));
  expect([...features].sort()).toEqual([
    'ITI-YY3-generate-vhl-message',
    'ITI-YY3-generate-vhl-responder',
    'ITI-YY4-provide-vhl-message',
    'ITI-YY4-provide-vhl-responder',
    'ITI-YY5-retrieve-manifest-message',
    'ITI-YY5-retrieve-manifest-responder',
    'integration-qrcode-flow',
  ]);
  // The summary table counts what the rows say.
  for (const f of features) {
    const mine = all.filter((r) => r.feature === f);
    const covered = mine.filter((r) => r.status === 'covered').length;
    expect(doc).toContain(`| ${f} | ${mine.length} | ${covered} |`);
  }
});

test('when a covered row names one of our VHL tests, then that test title exists in its file', () => {
  const sources = Object.fromEntries(
    Object.values(TEST_FILES).map((f) => [f, readFileSync(join(root, f), 'utf8').replace(/\s+/g, ' ')]),
  );
  const refs = all.filter((r) => r.status === 'covered').flatMap((r) => references(r.test).map((x) => ({ ...x, r })));
  expect(refs.length).toBeGreaterThan(50);
  const missing = refs.filter(({ file, fragment }) => !sources[file]!.includes(fragment));
  expect(missing.map(({ r, fragment }) => `${r.feature}:${r.line} → ${fragment}`)).toEqual([]);
});

const features = process.env.IHE_VHL_FEATURES;

test('when the rows are compared with the scenarios, then each file has one row per Scenario line, in order (against the feature files when IHE_VHL_FEATURES names them)', () => {
  for (const feature of new Set(all.map((r) => r.feature))) {
    const lines = all.filter((r) => r.feature === feature).map((r) => r.line);
    // Always: one row per scenario, in file order.
    expect([...new Set(lines)].sort((a, b) => a - b)).toEqual(lines);
    if (features === undefined) continue;
    // With the IHE checkout at hand: exactly the Scenario lines of the file.
    const text = readFileSync(join(features, `${feature}.feature`), 'utf8');
    const scenarios = text.split('\n').flatMap((l, i) => (/^\s*Scenario( Outline)?:/.test(l) ? [i + 1] : []));
    expect(lines).toEqual(scenarios);
  }
});
