/**
 * `gdhcn-gateway validate <file|dir>...`: validates FHIR JSON resources on the command line, as implementers
 * use the HL7 validator, with the same engine and packages as the server's `$validate`.
 * Exit codes: 0 no file has errors, 1 some file has errors (or cannot be read as a resource), 2 bad command line.
 * https://hl7.org/fhir/R4/validation.html
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { issue, OutcomeError, outcome } from '../fhir/outcome.ts';
import { useLeanDefinitions } from '../fhir/base-definitions.ts';
import { toPlainJson } from '../fhir/json.ts';
import { parseStrictJsonBytes } from '../fhir/json-pieces.ts';
import { loadPackages, type LoadPackagesOptions } from '../packages/load-packages.ts';
import type { PackageSet } from '../packages/types.ts';
import { createValidator, ENGINE_VERSION, type Validator } from '../validation/validator.ts';
import { createHeapBudget } from './heap-budget.ts';
import { formatHtmlReport } from './report-html.ts';
import { countIssues, type FileResult, type SeverityCounts, type ValidationReport } from './report-model.ts';
import { formatFileSection, headerLines, totalLine, totalLineOf } from './report-text.ts';

export const VALIDATE_USAGE = `usage: gdhcn-gateway validate <file|dir>... [options]

Validates each FHIR JSON resource (a dir: every *.json in it, sorted) against the base
definitions, its meta.profile claims and --profile, and prints a report per file.

options:
  --profile URL        also check this profile (url or url|version); repeatable
  --ig PKG             load this package (.tgz or unpacked folder); repeatable
  --format FMT         text (default), json (array of {file, outcome}) or html (self-contained page)
  --output FILE        write the report to FILE instead of standard output
packages also come from $FHIR_PACKAGES (colon-separated files or folders), ./ig/packages/
and, for dependencies, the FHIR package cache ($FHIR_PACKAGE_CACHE, default ~/.fhir/packages).
exit codes: 0 no errors, 1 some file has errors, 2 bad command line
`;

const FORMATS = ['text', 'json', 'html'] as const;
type Format = (typeof FORMATS)[number];

export interface ValidateArgs {
  readonly paths: string[];
  readonly profiles: string[];
  readonly igs: string[];
  readonly format: Format;
  readonly output?: string;
  readonly help: boolean;
}

export interface ValidateContext {
  readonly env: Record<string, string | undefined>;
  /** Where relative paths are resolved, and what shown file names are relative to. */
  readonly cwd: string;
  readonly out: (s: string) => void;
  /** Package loader (default `loadPackages`); tests pass a memoised one to load the packages once. */
  readonly load?: (options: LoadPackagesOptions) => Promise<PackageSet>;
}

/** A wrong command line: reported with the usage text and exit code 2. */
export class ValidateUsageError extends Error {}

export function parseValidateArgs(args: string[]): ValidateArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        profile: { type: 'string', multiple: true },
        ig: { type: 'string', multiple: true },
        format: { type: 'string' },
        output: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new ValidateUsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const format = values.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format))
    throw new ValidateUsageError(`--format must be one of ${FORMATS.join(', ')}, got "${format}"`);
  const help = values.help === true;
  if (positionals.length === 0 && !help) throw new ValidateUsageError('validate needs at least one file or folder');
  return {
    paths: positionals,
    profiles: values.profile ?? [],
    igs: values.ig ?? [],
    format: format as Format,
    output: values.output,
    help,
  };
}

/** Where packages come from: `--ig`, `FHIR_PACKAGES`, `./ig/packages` and the FHIR package cache. */
export function packageSources(args: ValidateArgs, ctx: ValidateContext): LoadPackagesOptions {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const ig of args.igs) {
    const path = resolve(ctx.cwd, ig);
    if (!existsSync(path)) throw new ValidateUsageError(`--ig ${ig}: no such file or folder`);
    files.push(path);
  }
  for (const entry of (ctx.env.FHIR_PACKAGES ?? '').split(':').filter((e) => e !== '')) {
    const path = resolve(ctx.cwd, entry);
    // A folder is either one unpacked package (it holds package/package.json) or a folder of packages.
    const isFolderOfPackages =
      existsSync(path) && statSync(path).isDirectory() && !existsSync(join(path, 'package', 'package.json'));
    (isFolderOfPackages ? dirs : files).push(path);
  }
  const local = join(ctx.cwd, 'ig', 'packages');
  if (existsSync(local)) dirs.push(local);
  const home = ctx.env.HOME ?? ctx.env.USERPROFILE;
  const cacheDir = ctx.env.FHIR_PACKAGE_CACHE ?? (home === undefined ? undefined : join(home, '.fhir', 'packages'));
  return { files, dirs, cacheDir };
}

/** The files to validate, in order: each named file, and the sorted `*.json` of each named folder. */
export function collectFiles(paths: string[], cwd: string): string[] {
  const found: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (!existsSync(abs)) throw new ValidateUsageError(`${p}: no such file or folder`);
    if (!statSync(abs).isDirectory()) {
      found.push(abs);
      continue;
    }
    const inside = readdirSync(abs)
      .filter((n) => n.endsWith('.json'))
      .sort()
      .map((n) => join(abs, n))
      .filter((f) => statSync(f).isFile());
    if (inside.length === 0) throw new ValidateUsageError(`${p}: no *.json files in this folder`);
    found.push(...inside);
  }
  return found;
}

function shownPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

/**
 * Frees a file's bytes now rather than at the next full collection: a multi-MB file's buffer outlives its parse
 * otherwise (35 MB beside the tree of the largest spec Bundle while it is validated). Only a buffer that owns its
 * whole memory is detached (readFileSync's small files share a pool).
 */
function release(bytes: Buffer): void {
  const ab = bytes.buffer as ArrayBuffer & { transfer?: (n: number) => ArrayBuffer };
  if (bytes.length >= 1024 * 1024 && bytes.byteOffset === 0 && ab.byteLength === bytes.length) ab.transfer?.(0);
}

/** Size of a file to validate (0 when it cannot be read: validateFile reports that). */
function fileSize(abs: string): number {
  try {
    return statSync(abs).size;
  } catch {
    return 0;
  }
}

function unreadable(file: string, outcomeOf: OperationOutcome): FileResult {
  return { file, profiles: [], outcome: outcomeOf };
}

/** Reads, parses and validates one file; a file that is not JSON or not a resource becomes an error issue. */
export function validateFile(abs: string, file: string, validator: Validator, profiles: string[]): FileResult {
  let parsed: unknown;
  try {
    const bytes = readFileSync(abs);
    try {
      parsed = toPlainJson(parseStrictJsonBytes(bytes));
    } finally {
      release(bytes);
    }
  } catch (err) {
    if (err instanceof OutcomeError) return unreadable(file, err.outcome);
    const text = `Cannot read the file: ${(err as Error).message}`;
    return unreadable(
      file,
      outcome([issue({ severity: 'fatal', code: 'exception', id: 'CLI_FILE_UNREADABLE', text })]),
    );
  }
  const resource = parsed as { resourceType?: unknown; id?: unknown; meta?: { profile?: unknown } };
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    typeof resource.resourceType !== 'string'
  ) {
    const text = 'The file does not hold a FHIR resource: expected a JSON object with a resourceType';
    return unreadable(file, outcome([issue({ severity: 'fatal', code: 'structure', id: 'CLI_NOT_A_RESOURCE', text })]));
  }
  const type = resource.resourceType;
  const claimed = Array.isArray(resource.meta?.profile)
    ? resource.meta.profile.filter((p): p is string => typeof p === 'string')
    : [];
  const checked = [...new Set([`http://hl7.org/fhir/StructureDefinition/${type}`, ...claimed, ...profiles])];
  return {
    file,
    resource: typeof resource.id === 'string' ? `${type}/${resource.id}` : type,
    profiles: checked,
    outcome: validator.validate(parsed, profiles.length === 0 ? {} : { profile: profiles }),
  };
}

/** Loader warnings that the report header does not already state through the package summaries. */
function otherWarnings(set: PackageSet): string[] {
  return set.warnings.filter((w) => !/ depends on .*, which is not loaded/.test(w) && !/ targets FHIR /.test(w));
}

/** What a run needs before its first file: the validator and the report header, all files found. */
interface PreparedRun {
  readonly header: Omit<ValidationReport, 'files'>;
  readonly files: readonly string[];
  readonly validator: Validator;
}

async function prepareRun(args: ValidateArgs, ctx: ValidateContext): Promise<PreparedRun> {
  const sources = packageSources(args, ctx);
  const files = collectFiles(args.paths, ctx.cwd);
  const set = await (ctx.load ?? loadPackages)(sources);
  const validator = createValidator(set);
  // A requested profile that is not loaded would only yield a warning per file: a run that checks nothing it
  // was asked to check must not end in "Success", so it is refused up front, as the HL7 validator does.
  for (const profile of args.profiles) {
    if (validator.registry.profile(profile) === undefined) {
      throw new ValidateUsageError(`--profile ${profile}: not loaded (${validator.registry.missingReason(profile)})`);
    }
  }
  const header = {
    engine: `gdhcn-gateway-validator/${ENGINE_VERSION}`,
    packages: set.summaries,
    warnings: otherWarnings(set),
  };
  return { header, files, validator };
}

/** Validates the files and builds the report, without printing (the HTTP-free core of the command). */
export async function buildValidationReport(args: ValidateArgs, ctx: ValidateContext): Promise<ValidationReport> {
  const run = await prepareRun(args, ctx);
  return {
    ...run.header,
    files: run.files.map((abs) => validateFile(abs, shownPath(abs, ctx.cwd), run.validator, args.profiles)),
  };
}

interface RunTotals {
  readonly files: number;
  readonly failed: number;
  readonly counts: SeverityCounts;
}

/**
 * Validates file after file and writes each one's part of the text or JSON report as soon as it is known, keeping
 * only running counts: a folder of thousands of resources (the R4 examples: 5,000 files, some of 35 MB) no longer
 * holds every outcome, and the whole report text, in memory at once. The output is byte for byte the one the
 * whole-report formatters give.
 */
function streamReport(run: PreparedRun, args: ValidateArgs, cwd: string, write: (s: string) => void): RunTotals {
  const counts: SeverityCounts = { errors: 0, warnings: 0, notes: 0 };
  let failed = 0;
  write(args.format === 'json' ? '[\n' : headerLines(run.header).join('\n'));
  const budget = createHeapBudget({ collectFirst: run.files.length > 1 });
  run.files.forEach((abs, i) => {
    budget.beforeFile(fileSize(abs));
    const result = validateFile(abs, shownPath(abs, cwd), run.validator, args.profiles);
    const c = countIssues(result.outcome);
    counts.errors += c.errors;
    counts.warnings += c.warnings;
    counts.notes += c.notes;
    if (c.errors > 0) failed++;
    if (args.format === 'json') {
      // An element of `JSON.stringify(array, null, 2)`: the element's own text, indented one level.
      const element = JSON.stringify({ file: result.file, outcome: result.outcome }, null, 2).replace(/^/gm, '  ');
      write(`${i === 0 ? '' : ',\n'}${element}`);
    } else write(`\n\n${formatFileSection(result).join('\n')}`);
  });
  const totals = { files: run.files.length, failed, counts };
  write(args.format === 'json' ? '\n]\n' : `\n\n${totalLineOf(totals.files, failed, counts)}\n`);
  return totals;
}

/** Runs the report to `--output` (written as it grows) or to `ctx.out`. */
function writeStreamed(run: PreparedRun, args: ValidateArgs, ctx: ValidateContext): RunTotals {
  if (args.output === undefined) return streamReport(run, args, ctx.cwd, ctx.out);
  const fd = openSync(resolve(ctx.cwd, args.output), 'w');
  let totals: RunTotals;
  try {
    totals = streamReport(run, args, ctx.cwd, (s) => writeSync(fd, s));
  } finally {
    closeSync(fd);
  }
  ctx.out(`${totalLineOf(totals.files, totals.failed, totals.counts)}\nReport written to ${args.output}\n`);
  return totals;
}

/**
 * Runs `validate` with its arguments (after the word `validate`) and returns the exit code.
 * @example process.exitCode = await runValidate(['examples/', '--format', 'html', '--output', 'report.html'], { env: process.env, cwd: process.cwd(), out: (s) => process.stdout.write(s) });
 */
export async function runValidate(argv: string[], ctx: ValidateContext): Promise<number> {
  try {
    const args = parseValidateArgs(argv);
    if (args.help) {
      ctx.out(VALIDATE_USAGE);
      return 0;
    }
    // This command validates and serves nothing: the core definitions can be read without their prose.
    useLeanDefinitions();
    const run = await prepareRun(args, ctx);
    if (args.format !== 'html') return writeStreamed(run, args, ctx).failed > 0 ? 1 : 0;
    // The HTML page opens with a summary of every file, so it is built from the whole report.
    const budget = createHeapBudget({ collectFirst: run.files.length > 1 });
    const report: ValidationReport = {
      ...run.header,
      files: run.files.map((abs) => {
        budget.beforeFile(fileSize(abs));
        return validateFile(abs, shownPath(abs, ctx.cwd), run.validator, args.profiles);
      }),
    };
    const text = formatHtmlReport(report);
    if (args.output === undefined) ctx.out(text);
    else {
      writeFileSync(resolve(ctx.cwd, args.output), text);
      ctx.out(`${totalLine(report.files)}\nReport written to ${args.output}\n`);
    }
    return report.files.some((f) => countIssues(f.outcome).errors > 0) ? 1 : 0;
  } catch (err) {
    if (!(err instanceof ValidateUsageError)) throw err;
    ctx.out(`${err.message}\n\n${VALIDATE_USAGE}`);
    return 2;
  }
}
