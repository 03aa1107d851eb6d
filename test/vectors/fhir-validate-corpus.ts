/**
 * Runs the `fhir-validate` corpus (HL7 Java validator's expectations on the R4 JSON cases of FHIR/fhir-test-cases,
 * read from ../shared/corpus) through our engine as the CLI and `$validate` use it: strict JSON parse, plain JSON,
 * then `validator.validate`. A case's supporting resources and inline packages are loaded as one extra package.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { OutcomeError } from '../../src/fhir/outcome.ts';
import { parseStrictJson, toPlainJson } from '../../src/fhir/json.ts';
import { readBaseR4 } from '../../src/packages/base-r4.ts';
import type { AnyResource, FhirPackage, PackageSet } from '../../src/packages/types.ts';
import { createValidator, type Validator, type ValidatorOptions } from '../../src/validation/validator.ts';

export interface CorpusExpected {
  readonly errorCount: number;
  readonly warningCount: number;
  readonly issues?: readonly { severity: string; expression?: string; message?: string }[];
}

export interface CorpusCase {
  readonly name: string;
  readonly module: string | null;
  readonly description?: string;
  readonly instanceText: string;
  readonly supporting: readonly { file: string; role: string; resource: AnyResource }[];
  readonly inlinePackages?: readonly {
    id: string;
    version: string;
    resources: { file: string; resource: AnyResource }[];
  }[];
  readonly needsSnapshot?: boolean;
  /** The Java harness settings of the case (`examples`, `noHtmlInMarkdown`, ...). */
  readonly options?: Readonly<Record<string, unknown>>;
  readonly expected: CorpusExpected;
  /** A second step: the same instance against `profile.url` (a differential-only StructureDefinition), in the base step's context plus its own supporting resources. */
  readonly profile?: {
    readonly url: string;
    readonly structureDefinition: { file: string; resource: AnyResource };
    readonly supporting?: readonly { file: string; role: string; resource: AnyResource }[];
    readonly expected: CorpusExpected;
  };
}

export interface CaseResult {
  /** The case name; a profile step is named `<case> (profile)`. */
  readonly name: string;
  readonly module: string;
  /** Always true now: differential-only StructureDefinitions get a generated snapshot (validation/snapshot.ts). */
  readonly run: boolean;
  readonly expectedErrors: number;
  readonly errors: number;
  readonly issues: readonly OperationOutcomeIssue[];
  /** A validator call that threw (a defect: malformed input must become issues). */
  readonly crash?: string;
}

const CORPUS = join(process.cwd(), '..', 'shared', 'corpus');

export function readCorpus(): CorpusCase[] {
  const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as {
    files: { kind: string; file: string }[];
  };
  return manifest.files
    .filter((f) => f.kind === 'fhir-validate')
    .flatMap((f) => (JSON.parse(readFileSync(join(CORPUS, f.file), 'utf8')) as { cases: CorpusCase[] }).cases);
}

/** The step names of a case: its base step, then its profile step when it has one. */
export function stepNames(c: CorpusCase): string[] {
  return c.profile ? [c.name, `${c.name} (profile)`] : [c.name];
}

function extraPackage(c: CorpusCase, profileStep = false): FhirPackage | undefined {
  const resources = [
    ...c.supporting.map((s) => s.resource),
    ...(c.inlinePackages ?? []).flatMap((p) => p.resources.map((r) => r.resource)),
    ...(profileStep && c.profile
      ? [...(c.profile.supporting ?? []).map((s) => s.resource), c.profile.structureDefinition.resource]
      : []),
  ];
  if (resources.length === 0) return undefined;
  return {
    id: `corpus.${c.name}`,
    version: '0.0.0',
    fhirVersion: '4.0.1',
    dependencies: {},
    resources,
    examples: [],
    source: 'corpus',
  };
}

const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal';

/** Runs every case; one validator over R4 core serves the cases that bring nothing of their own. */
export function runCorpus(cases: readonly CorpusCase[]): CaseResult[] {
  const core = readBaseR4();
  const set = (extra?: FhirPackage): PackageSet => ({
    packages: extra ? [core, extra] : [core],
    summaries: [],
    warnings: [],
  });
  const shared = createValidator(set());
  // The harness settings our engine has an option for; a case that sets one gets its own validator.
  const optionsOf = (c: CorpusCase): ValidatorOptions | undefined => {
    const o: ValidatorOptions = {};
    if (c.options?.examples === false) Object.assign(o, { allowExampleUrls: false });
    if (c.options?.noHtmlInMarkdown === true) Object.assign(o, { allowHtmlInMarkdown: false });
    if (String(c.options?.validateReference ?? '').startsWith('CHECK_EXISTS'))
      Object.assign(o, { checkReferencesExist: true });
    if (c.options?.['no-experimental-content'] === true) Object.assign(o, { noExperimentalContent: true });
    if (c.options?.validateContains === 'IGNORE') Object.assign(o, { checkContained: false });
    return Object.keys(o).length ? o : undefined;
  };
  const run = (c: CorpusCase, profileStep: boolean): CaseResult => {
    const module = c.module ?? 'none';
    const expected = profileStep && c.profile ? c.profile.expected : c.expected;
    const name = profileStep ? `${c.name} (profile)` : c.name;
    const base = { name, module, expectedErrors: expected.errorCount };
    const extra = extraPackage(c, profileStep);
    const options = optionsOf(c);
    const validator: Validator = extra || options ? createValidator(set(extra), options) : shared;
    let issues: OperationOutcomeIssue[];
    try {
      issues = validateText(validator, c.instanceText, profileStep ? c.profile?.url : undefined);
    } catch (err) {
      return { ...base, run: true, errors: -1, issues: [], crash: (err as Error).stack ?? String(err) };
    }
    return { ...base, run: true, errors: issues.filter(isError).length, issues };
  };
  return cases.flatMap((c) => (c.profile ? [run(c, false), run(c, true)] : [run(c, false)]));
}

/** The CLI's path: strict parse (syntax problems become issues), then the engine. */
function validateText(validator: Validator, text: string, profile?: string): OperationOutcomeIssue[] {
  let parsed: unknown;
  try {
    parsed = toPlainJson(parseStrictJson(text));
  } catch (err) {
    if (err instanceof OutcomeError) return err.outcome.issue ?? [];
    throw err;
  }
  return validator.validate(parsed, profile ? { profile } : {}).issue ?? [];
}

export interface Figures {
  readonly total: number;
  readonly run: number;
  readonly verdictAgree: number;
  readonly countAgree: number;
}

export function figures(results: readonly CaseResult[]): Figures & { byModule: Record<string, Figures> } {
  const sum = (rs: readonly CaseResult[]): Figures => {
    const ran = rs.filter((r) => r.run);
    return {
      total: rs.length,
      run: ran.length,
      verdictAgree: ran.filter((r) => r.errors > 0 === r.expectedErrors > 0).length,
      countAgree: ran.filter((r) => r.errors === r.expectedErrors).length,
    };
  };
  const byModule: Record<string, Figures> = {};
  for (const m of [...new Set(results.map((r) => r.module))].sort())
    byModule[m] = sum(results.filter((r) => r.module === m));
  return { ...sum(results), byModule };
}
